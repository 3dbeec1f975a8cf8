import { DeltaWatch, type DeltaRequestFields } from './delta-watch';
import { type TypeResources, makeSnapshot } from './snapshot';
import { TypeUrls } from './translate/envoy';

/** A route-type snapshot from `name=content` pairs (content decides the version), in one part or several. */
function routes(...parts: Record<string, string>[]): TypeResources {
  const input = {
    [TypeUrls.cluster]: [], [TypeUrls.endpoint]: [], [TypeUrls.listener]: [],
    [TypeUrls.route]: parts.map((p) => Object.entries(p).map(([name, content]) => ({ '@type': TypeUrls.route, name, virtual_hosts: [{ name: content }] }))),
  };
  return makeSnapshot(1, input).types[TypeUrls.route].resources;
}

const req = (fields: Partial<DeltaRequestFields>): DeltaRequestFields => ({ subscribe: [], unsubscribe: [], initialVersions: {}, nonce: '', ...fields });

/** Plans, "writes" with a nonce and returns what was planned as names. */
function send(watch: DeltaWatch, target: TypeResources, nonce: string): { names: string[]; removed: string[] } | undefined {
  const plan = watch.plan(target);
  if (!plan) return undefined;
  watch.sent(nonce);
  return { names: plan.resources.map((r) => r.name).sort(), removed: [...plan.removed].sort() };
}

const version = (t: TypeResources, name: string) => t.get(name)!.version;

describe('DeltaWatch', () => {
  const v1 = routes({ a: 'a1', b: 'b1', c: 'c1' });

  it.each([
    ['legacy wildcard (first request names nothing)', req({}), ['a', 'b', 'c']],
    ['explicit wildcard', req({ subscribe: ['*'] }), ['a', 'b', 'c']],
    ['named', req({ subscribe: ['b', 'zz'] }), ['b']],
  ])('%s: the first response carries what is subscribed', (_what, first, expected) => {
    const w = new DeltaWatch();
    expect(w.onRequest(first)).toBe('request');
    expect(send(w, v1, '1')).toEqual({ names: expected, removed: [] });
  });

  it('answers the first request even when the proxy already holds everything (reconnect with initial_resource_versions)', () => {
    const w = new DeltaWatch();
    w.onRequest(req({ subscribe: ['*'], initialVersions: { a: version(v1, 'a'), b: version(v1, 'b'), c: version(v1, 'c') } }));
    expect(send(w, v1, '1')).toEqual({ names: [], removed: [] });
    w.onRequest(req({ nonce: '1' }));
    expect(w.plan(v1)).toBeUndefined();
  });

  it('reconnect: sends only what differs from initial_resource_versions and removes what is gone', () => {
    const w = new DeltaWatch();
    w.onRequest(req({ subscribe: ['*'], initialVersions: { a: version(v1, 'a'), b: 'old', gone: 'x' } }));
    expect(send(w, v1, '1')).toEqual({ names: ['b', 'c'], removed: ['gone'] });
  });

  it('named reconnect: initial versions count only for subscribed names', () => {
    const w = new DeltaWatch();
    w.onRequest(req({ subscribe: ['a', 'b'], initialVersions: { a: version(v1, 'a'), b: 'old' } }));
    expect(send(w, v1, '1')).toEqual({ names: ['b'], removed: [] });
  });

  it('after an ACK only changed resources are sent; removals for wildcard', () => {
    const w = new DeltaWatch();
    w.onRequest(req({}));
    send(w, v1, '1');
    expect(w.onRequest(req({ nonce: '1' }))).toBe('ack');
    expect(w.plan(v1)).toBeUndefined();
    const v2 = routes({ a: 'a2', b: 'b1', d: 'd1' });
    expect(send(w, v2, '2')).toEqual({ names: ['a', 'd'], removed: ['c'] });
  });

  it('named: a subscribed resource that disappears is removed; unsubscribed ones are not sent', () => {
    const w = new DeltaWatch();
    w.onRequest(req({ subscribe: ['a', 'b'] }));
    send(w, v1, '1');
    w.onRequest(req({ nonce: '1', unsubscribe: ['b'] }));
    const v2 = routes({ b: 'b2', c: 'c1' });
    expect(send(w, v2, '2')).toEqual({ names: [], removed: ['a'] });
    expect(w.subscriptions()).toEqual(['a']);
  });

  it('a name subscribed again after unsubscribing is sent again', () => {
    const w = new DeltaWatch();
    w.onRequest(req({ subscribe: ['a'] }));
    send(w, v1, '1');
    w.onRequest(req({ nonce: '1', unsubscribe: ['a'] }));
    expect(w.plan(v1)).toBeUndefined();
    w.onRequest(req({ subscribe: ['a'] }));
    expect(send(w, v1, '2')).toEqual({ names: ['a'], removed: [] });
  });

  it('subscription changes while a response is in flight are answered after its ACK', () => {
    const w = new DeltaWatch();
    w.onRequest(req({ subscribe: ['a'] }));
    send(w, v1, '1');
    expect(w.onRequest(req({ subscribe: ['b'] }))).toBe('request');
    expect(w.plan(v1)).toBeUndefined(); // one response in flight per type
    w.onRequest(req({ nonce: '1' }));
    expect(send(w, v1, '2')).toEqual({ names: ['b'], removed: [] });
  });

  it('unsubscribing the wildcard keeps the explicit names only', () => {
    const w = new DeltaWatch();
    w.onRequest(req({ subscribe: ['*', 'a'] }));
    send(w, v1, '1');
    w.onRequest(req({ nonce: '1', unsubscribe: ['*'] }));
    expect(w.isWildcard).toBe(false);
    const v2 = routes({ a: 'a2', b: 'b2', c: 'c2' });
    expect(send(w, v2, '2')).toEqual({ names: ['a'], removed: [] });
  });

  it('a stale nonce is not an ACK; its subscription changes still count', () => {
    const w = new DeltaWatch();
    w.onRequest(req({ subscribe: ['a'] }));
    send(w, v1, '1');
    expect(w.onRequest(req({ nonce: '0', subscribe: ['c'] }))).toBe('stale');
    expect(w.pendingNonce).toBe('1');
    expect(w.onRequest(req({ nonce: '1' }))).toBe('ack');
    expect(send(w, v1, '2')).toEqual({ names: ['c'], removed: [] });
  });

  it('NACK: the proxy keeps its version; the rejected version is not re-sent until the response changes, then all of it is', () => {
    const w = new DeltaWatch();
    w.onRequest(req({}));
    send(w, v1, '1');
    w.onRequest(req({ nonce: '1' }));
    const bad = routes({ a: 'a-bad', b: 'b-new', c: 'c1' });
    expect(send(w, bad, '2')).toEqual({ names: ['a', 'b'], removed: [] });
    expect(w.onRequest(req({ nonce: '2', error: 'RouteConfiguration a: bad' }))).toBe('nack');
    expect(w.plan(bad)).toBeUndefined();
    // Another resource changes: it is sent alone; the rejected ones stay out.
    const other = routes({ a: 'a-bad', b: 'b-new', c: 'c2' });
    expect(send(w, other, '3')).toEqual({ names: ['c'], removed: [] });
    w.onRequest(req({ nonce: '3' }));
    // The bad resource is fixed: the whole rejected response is reconsidered (b was refused with it).
    const fixed = routes({ a: 'a-fixed', b: 'b-new', c: 'c2' });
    expect(send(w, fixed, '4')).toEqual({ names: ['a', 'b'], removed: [] });
  });

  it('a NACKed removal is not repeated until something in it changes', () => {
    const w = new DeltaWatch();
    w.onRequest(req({}));
    send(w, v1, '1');
    w.onRequest(req({ nonce: '1' }));
    const without = routes({ a: 'a1', b: 'b1' });
    expect(send(w, without, '2')).toEqual({ names: [], removed: ['c'] });
    w.onRequest(req({ nonce: '2', error: 'no' }));
    expect(w.plan(without)).toBeUndefined();
    expect(send(w, v1, '3')).toBeUndefined(); // c is back as the proxy holds it: nothing to do
  });

  it('parts that are the same object are skipped; a new part is compared name by name', () => {
    const shared = routes({ a: 'a1', b: 'b1' }, { own: 'o1' });
    const w = new DeltaWatch();
    w.onRequest(req({}));
    send(w, shared, '1');
    w.onRequest(req({ nonce: '1' }));
    const changedOwn = routes({ a: 'a1', b: 'b1' }, { own: 'o2' });
    expect(send(w, changedOwn, '2')).toEqual({ names: ['own'], removed: [] });
  });
});
