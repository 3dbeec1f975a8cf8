import { EnvError, nodeId, readProxyEnv } from './env';

describe('readProxyEnv', () => {
  it('reads the variables and fills defaults', () => {
    const e = readProxyEnv({ POD_NAME: 'reviews-1', POD_NAMESPACE: 'shop', INSTANCE_IP: '10.0.0.7', SKEIN_XDS_ADDRESS: 'skein-controlplane.skein-system.svc:15012' });
    expect(e).toMatchObject({ podName: 'reviews-1', podNamespace: 'shop', trustDomain: 'cluster.local', caAddress: 'skein-controlplane.skein-system.svc:15012', serviceAccount: 'default' });
    expect(nodeId(e)).toBe('sidecar~10.0.0.7~reviews-1.shop~shop.svc.cluster.local');
  });
  it.each([
    [{ SKEIN_TRUST_DOMAIN: 'Bad Domain' }, /SKEIN_TRUST_DOMAIN: invalid trust domain/],
    [{ SKEIN_XDS_ADDRESS: 'no-port' }, /SKEIN_XDS_ADDRESS: expected host:port/],
    [{ SKEIN_CA_ADDRESS: 'a:b' }, /SKEIN_CA_ADDRESS: expected host:port/],
  ])('rejects %j', (env, message) => {
    expect(() => readProxyEnv(env)).toThrow(EnvError);
    expect(() => readProxyEnv(env)).toThrow(message);
  });
});
