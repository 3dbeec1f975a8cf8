import { SyncState } from './sync-state';

describe('SyncState', () => {
  const t = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

  it('classifies requests and keeps the NACK reason until the next ACK', () => {
    const s = new SyncState();
    s.connect('n', 'sidecar~1', 't0');
    expect(s.received('n', t, { versionInfo: '', responseNonce: '' }, 't1')).toBe('initial');
    s.sent('n', t, 'v1', '1', 't2');
    expect(s.received('n', t, { versionInfo: 'v1', responseNonce: '1' }, 't3')).toBe('ack');
    s.sent('n', t, 'v2', '2', 't4');
    expect(s.received('n', t, { versionInfo: 'v1', responseNonce: '1' }, 't5')).toBe('stale');
    expect(s.received('n', t, { versionInfo: 'v1', responseNonce: '2', errorMessage: 'bad cluster' }, 't6')).toBe('nack');
    expect(s.view()['sidecar~1']!.types[t]).toEqual({ sentVersion: 'v2', sentNonce: '2', sentAt: 't4', ackedVersion: 'v1', nack: { version: 'v2', nonce: '2', message: 'bad cluster', at: 't6' } });
    s.sent('n', t, 'v3', '3', 't7');
    expect(s.received('n', t, { versionInfo: 'v3', responseNonce: '3' }, 't8')).toBe('ack');
    expect(s.view()['sidecar~1']!.types[t]!.nack).toBeUndefined();
    s.disconnect('n');
    expect(s.connected()).toBe(0);
  });

  it('keeps each stream apart: a second stream with the same node id has its own entry, the oldest keeps the node id', () => {
    const s = new SyncState();
    s.connect('1', 'sidecar~victim', 't0', { identity: 'spiffe://cluster.local/ns/default/sa/victim' });
    s.connect('2', 'sidecar~victim', 't1', { identity: 'spiffe://cluster.local/ns/default/sa/victim', protocol: 'delta' });
    s.sent('1', t, 'v1', '1', 't2');
    s.received('2', t, { versionInfo: '', responseNonce: '' }, 't3');
    s.sent('2', t, 'v9', '1', 't4');
    expect(s.received('2', t, { versionInfo: 'v9', responseNonce: '1', errorMessage: 'nope' }, 't5')).toBe('nack');
    const view = s.view();
    expect(Object.keys(view)).toEqual(['sidecar~victim', 'sidecar~victim (stream 2)']);
    expect(view['sidecar~victim']).toEqual({ stream: '1', connectedAt: 't0', identity: 'spiffe://cluster.local/ns/default/sa/victim', protocol: 'sotw', types: { [t]: { sentVersion: 'v1', sentNonce: '1', sentAt: 't2' } } });
    expect(view['sidecar~victim (stream 2)']!.types[t]!.nack?.message).toBe('nope');
    expect(view['sidecar~victim (stream 2)']!.protocol).toBe('delta');
    s.disconnect('1');
    expect(Object.keys(s.view())).toEqual(['sidecar~victim']);
    expect(s.view()['sidecar~victim']!.stream).toBe('2');
  });
});
