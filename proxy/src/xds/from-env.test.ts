import { nodeId as envNodeId, readProxyEnv } from '../env';
import { NodeConfigError, buildNode } from './core/node';
import { nodeSettingsFromEnv } from './from-env';

describe('nodeSettingsFromEnv', () => {
  const env = readProxyEnv({ POD_NAME: 'reviews-v1', POD_NAMESPACE: 'shop', INSTANCE_IP: '10.0.0.3', SERVICE_ACCOUNT: 'reviews', SKEIN_CLUSTER_DOMAIN: 'corp.local' });

  it('builds the same node id as the proxy environment module, with labels and outbound ports', () => {
    const node = buildNode(nodeSettingsFromEnv(env, { labels: { app: 'reviews' }, outboundPorts: '15101=ratings:9080' }));
    expect(node.id).toBe(envNodeId(env));
    expect(node.metadata).toMatchObject({ SERVICE_ACCOUNT: 'reviews', LABELS: { app: 'reviews' }, SKEIN_OUTBOUND_PORTS: '15101=ratings:9080' });
  });

  it('refuses a bad outbound port list', () => {
    expect(() => nodeSettingsFromEnv(env, { outboundPorts: '15101' })).toThrow(NodeConfigError);
  });
});
