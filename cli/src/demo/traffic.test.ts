import { callerFromSpiffeId, peerFromXfcc, renderTable, TrafficCounters } from './traffic';

describe('demo traffic table', () => {
  it.each([
    ['By=spiffe://cluster.local/ns/default/sa/reviews;Hash=ab;URI=spiffe://cluster.local/ns/default/sa/frontend', 'spiffe://cluster.local/ns/default/sa/frontend'],
    ['URI=spiffe://td/ns/a/sa/x,By=b;URI="spiffe://td/ns/a/sa/y"', 'spiffe://td/ns/a/sa/y'],
    ['By=spiffe://td/ns/a/sa/x;Hash=ab', undefined],
    [undefined, undefined],
  ])('reads the direct caller from XFCC %j', (header, id) => {
    expect(peerFromXfcc(header)).toBe(id);
  });

  it('names callers by service account, the load generator without one', () => {
    expect(callerFromSpiffeId('spiffe://cluster.local/ns/default/sa/frontend')).toBe('frontend');
    expect(callerFromSpiffeId(undefined)).toBe('load');
  });

  it('computes per-route rates between two samples and shows errors and peers', () => {
    const c = new TrafficCounters();
    const key = { from: 'frontend', to: 'reviews', version: 'v2', peer: 'spiffe://cluster.local/ns/default/sa/frontend' };
    c.served(key);
    const first = c.sample();
    for (let i = 0; i < 4; i++) c.served(key);
    c.failure('frontend', 'reviews');
    c.failure('reviews', 'ratings');
    const text = renderTable(first, c.sample(), 2000);
    expect(text).toMatch(/frontend -> reviews\s+v2\s+2\.0\s+5\s+1\s+spiffe:\/\/cluster\.local\/ns\/default\/sa\/frontend/);
    // A route that only failed still shows up.
    expect(text).toMatch(/reviews -> ratings\s+-\s+0\.0\s+0\s+1\s+-/);
  });
});
