import { formatProxyStatus, inSync, mergeStatuses, parseSyncz, SynczError } from './proxy-status';
import { syncStatus } from './sync-state';
import { TypeUrls } from './translate/envoy';

const id = (pod: string) => `sidecar~10.0.0.1~${pod}.shop~shop.svc.cluster.local`;
const synced = { sentVersion: 'v1', sentNonce: '1', ackedVersion: 'v1' };

describe('syncStatus', () => {
  it.each([
    [undefined, 'NOT SENT'],
    [{}, 'NOT SENT'],
    [{ sentVersion: 'v1', sentNonce: '1' }, 'STALE'],
    [{ sentVersion: 'v2', sentNonce: '2', ackedVersion: 'v1' }, 'STALE'],
    [synced, 'SYNCED'],
    [{ sentVersion: 'v2', sentNonce: '2', ackedVersion: 'v1', nack: { version: 'v2', nonce: '2', message: 'bad', at: 't' } }, 'NACKED'],
    // A NACK of an older response while a newer one is on its way: waiting for the answer.
    [{ sentVersion: 'v3', sentNonce: '3', ackedVersion: 'v1', nack: { version: 'v2', nonce: '2', message: 'bad', at: 't' } }, 'STALE'],
  ] as const)('%j → %s', (state, expected) => {
    expect(syncStatus(state)).toBe(expected);
  });
});

describe('proxy-status from /debug/syncz', () => {
  const body = JSON.stringify({
    [id('web-1')]: { connectedAt: 't', types: { [TypeUrls.cluster]: synced, [TypeUrls.listener]: synced, [TypeUrls.endpoint]: synced, [TypeUrls.route]: synced }, configGeneration: 7,
      certificate: { spiffeId: 'spiffe://cluster.local/ns/shop/sa/web', serialNumber: 'ab', notAfter: '2026-01-02T00:00:00.000Z', issuedAt: '2026-01-01T00:00:00.000Z', matchedBy: 'pod' } },
    [id('web-2')]: { connectedAt: 't', types: { [TypeUrls.cluster]: synced, [TypeUrls.listener]: { sentVersion: 'v2', sentNonce: '2', ackedVersion: 'v1', nack: { version: 'v2', nonce: '2', message: 'listen EADDRINUSE', at: 't' } } }, snapshotErrors: ['route "x" missing'] },
  });

  it('parses each proxy: name, per-type state, NACK reasons, generation, certificate', () => {
    const [web1, web2] = parseSyncz(body, 'skein-controlplane-0');
    expect(web1).toMatchObject({ name: 'web-1.shop', controlPlane: 'skein-controlplane-0', states: { CDS: 'SYNCED', LDS: 'SYNCED', EDS: 'SYNCED', RDS: 'SYNCED' }, nacks: [], configGeneration: 7 });
    expect(web2).toMatchObject({ name: 'web-2.shop', states: { CDS: 'SYNCED', LDS: 'NACKED', EDS: 'NOT SENT', RDS: 'NOT SENT' }, nacks: [{ type: 'LDS', version: 'v2', message: 'listen EADDRINUSE' }] });
    expect(inSync(web1!)).toBe(true);
    expect(inSync(web2!)).toBe(false);
  });

  it('prints the table, then the reasons', () => {
    const out = formatProxyStatus(parseSyncz(body, 'cp-0'), new Date('2026-01-01T12:00:00Z'));
    expect(out.split('\n')).toEqual([
      'NAME         CDS      LDS      EDS        RDS        CONTROL PLANE   VERSION   CERT EXPIRES IN',
      'web-1.shop   SYNCED   SYNCED   SYNCED     SYNCED     cp-0            7         12h (2026-01-02 00:00Z)',
      'web-2.shop   SYNCED   NACKED   NOT SENT   NOT SENT   cp-0            -         -',
      '',
      'web-2.shop LDS NACKED (version v2): listen EADDRINUSE',
      'web-2.shop: snapshot refused by the control plane: route "x" missing',
      '',
    ]);
  });

  it('marks a certificate matched by identity, and an expired one', () => {
    const s = parseSyncz(JSON.stringify({ [id('a')]: { types: {}, certificate: { spiffeId: 'x', serialNumber: '1', notAfter: '2026-01-01T00:00:00.000Z', issuedAt: 't', matchedBy: 'identity' } } }), 'cp');
    const out = formatProxyStatus(s, new Date('2026-01-01T01:30:00Z'));
    expect(out).toMatch(/EXPIRED 1h30m ago\*\n\* the latest certificate the CA issued to the proxy's identity/);
  });

  it('merges replicas: a proxy listed twice once, sorted by name', () => {
    const a = parseSyncz(JSON.stringify({ [id('b')]: { types: {} }, [id('a')]: { types: {} } }), 'cp-0');
    const b = parseSyncz(JSON.stringify({ [id('b')]: { types: {} }, [id('c')]: { types: {} } }), 'cp-1');
    expect(mergeStatuses([a, b]).map((s) => `${s.name}@${s.controlPlane}`)).toEqual(['a.shop@cp-0', 'b.shop@cp-0', 'c.shop@cp-1']);
  });

  it.each([['not json', /is not JSON/], ['[1]', /is not a map of proxies/]])('refuses %s', (text, message) => {
    expect(() => parseSyncz(text, 'cp')).toThrow(SynczError);
    expect(() => parseSyncz(text, 'cp')).toThrow(message);
  });
});
