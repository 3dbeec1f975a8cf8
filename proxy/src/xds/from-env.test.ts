import { readProxyEnv } from '../env';
import { NodeConfigError, buildNode } from './core/node';
import { nodeSettingsFromEnv } from './from-env';

describe('nodeSettingsFromEnv', () => {
  const base = { POD_NAME: 'reviews-v1', POD_NAMESPACE: 'shop', INSTANCE_IP: '10.0.0.3', SERVICE_ACCOUNT: 'reviews', SKEIN_CLUSTER_DOMAIN: 'corp.local' };

  it('builds the node id, labels and local-mode ports from the environment', () => {
    const env = readProxyEnv({ ...base, SKEIN_POD_LABELS: '{"app":"reviews","version":"v1"}', SKEIN_OUTBOUND_PORTS: '15101=ratings:9080', SKEIN_INBOUND_PORTS: '15106=9080' });
    const node = buildNode(nodeSettingsFromEnv(env));
    expect(node.id).toBe('sidecar~10.0.0.3~reviews-v1.shop~shop.svc.corp.local');
    expect(node.metadata).toMatchObject({ SERVICE_ACCOUNT: 'reviews', LABELS: { app: 'reviews', version: 'v1' }, SKEIN_OUTBOUND_PORTS: '15101=ratings:9080', SKEIN_INBOUND_PORTS: '15106=9080' });
  });

  it.each([
    ['outbound without a target', { SKEIN_OUTBOUND_PORTS: '15101' }, /LOCAL_PORT=HOST:PORT/],
    ['inbound without an app port', { SKEIN_INBOUND_PORTS: '15106' }, /LISTEN_PORT=APP_PORT/],
    ['inbound port out of range', { SKEIN_INBOUND_PORTS: '15106=70000' }, /not a port/],
    ['inbound listen port = app port', { SKEIN_INBOUND_PORTS: '9080=9080' }, /must differ/],
    ['inbound listen port twice', { SKEIN_INBOUND_PORTS: '15106=9080,15106=9090' }, /listed twice/],
  ])('refuses %s', (_name, extra, message) => {
    const env = readProxyEnv({ ...base, ...extra });
    expect(() => nodeSettingsFromEnv(env)).toThrow(NodeConfigError);
    expect(() => nodeSettingsFromEnv(env)).toThrow(message);
  });
});
