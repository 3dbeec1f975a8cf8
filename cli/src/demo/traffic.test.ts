import { callerFromSpiffeId, failureReason, peerFromXfcc, renderTable, TrafficCounters } from './traffic';

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

  it('computes per-route rates between two samples and shows errors per route and version with their codes and flags', () => {
    const c = new TrafficCounters();
    const key = { from: 'frontend', to: 'reviews', version: 'v2', peer: 'spiffe://cluster.local/ns/default/sa/frontend' };
    c.served(key);
    c.served({ ...key, version: 'v1' });
    const first = c.sample();
    for (let i = 0; i < 4; i++) c.served(key);
    c.failure({ from: 'frontend', to: 'reviews', version: 'v2', reason: '502' });
    c.failure({ from: 'frontend', to: 'reviews', version: 'v2', reason: '502' });
    c.failure({ from: 'frontend', to: 'reviews', version: 'v2', reason: '500' });
    c.failure({ from: 'frontend', to: 'reviews', version: '-', reason: '503 UF' });
    c.failure({ from: 'reviews', to: 'ratings', version: '-', reason: 'timeout' });
    const text = renderTable(first, c.sample(), 2000);
    expect(text).toMatch(/frontend -> reviews\s+v2\s+2\.0\s+5\s+3: 502×2 500×1\s+spiffe:\/\/cluster\.local\/ns\/default\/sa\/frontend/);
    expect(text).toMatch(/frontend -> reviews\s+v1\s+0\.0\s+1\s+0\s+spiffe:/);
    // Failures no app answered (no version) and routes that only failed get rows of their own.
    expect(text).toMatch(/frontend -> reviews\s+-\s+0\.0\s+0\s+1: 503 UF×1\s+-/);
    expect(text).toMatch(/reviews -> ratings\s+-\s+0\.0\s+0\s+1: timeout×1\s+-/);
    // Columns line up: the PEER column starts at the same offset on every row.
    const lines = text.split('\n');
    const peerAt = lines[0]!.indexOf('PEER');
    expect(lines.slice(1).every((l) => l[peerAt - 1] === ' ' && l[peerAt] !== ' ')).toBe(true);
  });

  it.each([
    [{ status: 503, flags: 'UF' }, '503 UF'],
    [{ status: 503, flags: 'FI' }, '503 FI'],
    [{ status: 500 }, '500'],
    [{ status: 502, flags: '-' }, '502'],
    [{ error: 'timed out after 5000 ms' }, 'timeout'],
    [{ error: 'connect ECONNREFUSED 127.0.10.1:4000' }, 'ECONNREFUSED'],
    [{ error: 'socket hang up' }, 'error'],
  ])('names failure %j as %s', (result, reason) => {
    expect(failureReason(result)).toBe(reason);
  });
});
