import { SyncState } from './sync-state';

describe('SyncState', () => {
  const t = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

  it('classifies requests and keeps the NACK reason until the next ACK', () => {
    const s = new SyncState();
    s.connect('n', 't0');
    expect(s.received('n', t, { versionInfo: '', responseNonce: '' }, 't1')).toBe('initial');
    s.sent('n', t, 'v1', '1', 't2');
    expect(s.received('n', t, { versionInfo: 'v1', responseNonce: '1' }, 't3')).toBe('ack');
    s.sent('n', t, 'v2', '2', 't4');
    expect(s.received('n', t, { versionInfo: 'v1', responseNonce: '1' }, 't5')).toBe('stale');
    expect(s.received('n', t, { versionInfo: 'v1', responseNonce: '2', errorMessage: 'bad cluster' }, 't6')).toBe('nack');
    expect(s.view().n!.types[t]).toEqual({ sentVersion: 'v2', sentNonce: '2', sentAt: 't4', ackedVersion: 'v1', nack: { version: 'v2', nonce: '2', message: 'bad cluster', at: 't6' } });
    s.sent('n', t, 'v3', '3', 't7');
    expect(s.received('n', t, { versionInfo: 'v3', responseNonce: '3' }, 't8')).toBe('ack');
    expect(s.view().n!.types[t]!.nack).toBeUndefined();
    s.disconnect('n');
    expect(s.connected()).toBe(0);
  });
});
