/**
 * gRPC through two sidecars (client → VIP → server). Fails today: the control plane's inbound
 * cluster (`inbound|<port>||`, operator/src/core/translate/clusters.ts inboundCluster) carries no
 * protocol options, so the server's sidecar speaks HTTP/1.1 to a gRPC app ("INTERNAL: upstream
 * protocol error"). Envoy/Istio set `use_downstream_protocol_config` (HTTP/2 for grpc/http2 ports)
 * on inbound clusters; the proxy's xDS client already accepts it.
 */
import { describeSystem } from '../support/system';
import { useMesh, type Pod } from '../harness';
import { addSidecar, startMeshWorld } from './support';

describeSystem('mesh journeys: gRPC between sidecars', () => {
  let client: Pod;

  useMesh({
    setupTimeoutMs: 120_000,
    setup: async (m) => {
      client = await m.addPod({ name: 'client', labels: { app: 'client' }, serviceAccount: 'client' });
      const api = await m.addPod({ name: 'api-v1', labels: { app: 'api', version: 'v1' }, serviceAccount: 'api' });
      m.labelNamespace('default', { 'skein.dev/inject': 'enabled' });
      m.addService({ name: 'api', ports: [{ name: 'grpc-api', port: 9090, targetPort: 9090 }], pods: [api] });
      const world = await startMeshWorld(m);
      await api.startEcho({ grpc: 9090 });
      await Promise.all([client, api].map((p) => addSidecar(m, world, p)));
    },
  });

  it('unary and server-streaming calls by VIP reach the app with the caller identity', async () => {
    const unary = await client.client({ protocol: 'grpc', target: 'api:9090', message: 'ping', count: 3 });
    expect({ ok: unary.ok, failed: unary.failed, firstError: unary.firstError }).toEqual({ ok: 3, failed: 0, firstError: undefined });
    expect(unary.first).toMatchObject({ protocol: 'grpc', name: 'api', echo: 'ping' });
    const stream = await client.client({ protocol: 'grpc-stream', target: 'api:9090', count: 2 });
    expect({ ok: stream.ok, failed: stream.failed }).toEqual({ ok: 2, failed: 0 });
  });
}, ['ip', 'iptables', 'setpriv', 'bash']);
