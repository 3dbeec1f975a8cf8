/**
 * A proxyless gRPC client (@grpc/grpc-js-xds, not ours) against the local-mode control plane: its
 * real RPCs follow a VirtualService (80/20 split, header match) and a change in the config dir takes
 * effect without restarting the client. Backends are @grpc/grpc-js servers on loopback.
 * grpc-js-xds bootstraps only support `insecure` channel credentials, so this uses the loopback
 * plaintext ADS listener (--plaintext-xds-port). The client runs in a child process
 * (testing/grpc-xds-client.ts) because grpc-js-xds's process-wide xDS client cannot be shut down.
 */
import { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { runControlPlane, type RunningControlPlane } from './run';
import { startGrpcXdsClient } from './testing/grpc-xds-client';
import { defaultMeshSettings } from './core/mesh-index';

const identity = (b: Buffer) => b;
const service: grpc.ServiceDefinition = {
  Who: { path: '/skein.test.Echo/Who', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};

async function backend(name: string): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(service, { Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, server };
}

const mesh = (v1: number, v2: number) => `
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec: { clusterIP: 10.96.0.20, selector: { app: echo }, ports: [{ name: grpc, port: 8080 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: echo-v1, namespace: default, labels: { app: echo, version: v1 } }
status: { podIP: 127.0.0.1 }
---
apiVersion: v1
kind: Pod
metadata: { name: echo-v2, namespace: default, labels: { app: echo, version: v2 } }
status: { podIP: 127.0.0.1 }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: echo-v1, namespace: default, labels: { kubernetes.io/service-name: echo } }
ports: [{ name: grpc, port: ${v1} }]
endpoints: [{ addresses: [127.0.0.1], zone: local, targetRef: { kind: Pod, name: echo-v1 } }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: echo-v2, namespace: default, labels: { kubernetes.io/service-name: echo } }
ports: [{ name: grpc, port: ${v2} }]
endpoints: [{ addresses: [127.0.0.1], zone: local, targetRef: { kind: Pod, name: echo-v2 } }]
---
apiVersion: networking.skein.dev/v1alpha1
kind: DestinationRule
metadata: { name: echo, namespace: default }
spec:
  host: echo
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;

const routing = (v1Weight: number) => `
apiVersion: networking.skein.dev/v1alpha1
kind: VirtualService
metadata: { name: echo, namespace: default }
spec:
  hosts: [echo]
  http:
    - match: [{ headers: { x-version: { exact: v2 } } }]
      route: [{ destination: { host: echo, subset: v2 } }]
    - route:
        - { destination: { host: echo, subset: v1 }, weight: ${v1Weight} }
        - { destination: { host: echo, subset: v2 }, weight: ${100 - v1Weight} }
`;

describe('proxyless gRPC (grpc-js-xds) follows VirtualServices from the control plane', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-grpc-'));
  const servers: grpc.Server[] = [];
  let cp: RunningControlPlane | undefined;
  let child: ChildProcess | undefined;
  let nextId = 0;

  afterAll(async () => {
    child?.kill();
    for (const s of servers) s.forceShutdown();
    await cp?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  /** Makes `n` RPCs from the proxyless client; resolves with how many each backend answered. */
  function count(n: number, metadata?: Record<string, string>): Promise<Record<string, number>> {
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`client: no answer to ${n} RPCs within 30 s`)), 30_000);
      const onMessage = (msg: { id?: number; counts?: Record<string, number>; error?: string }) => {
        if (msg.id !== id) return;
        clearTimeout(timer);
        child!.off('message', onMessage);
        if (msg.error) reject(new Error(msg.error));
        else resolve(msg.counts!);
      };
      child!.on('message', onMessage);
      child!.send({ id, target: 'xds:///echo.default.svc.cluster.local:8080', count: n, metadata });
    });
  }

  it('splits 80/20, routes by header, and follows a config change', async () => {
    const v1 = await backend('v1');
    const v2 = await backend('v2');
    servers.push(v1.server, v2.server);
    fs.writeFileSync(path.join(dir, 'mesh.yaml'), mesh(v1.port, v2.port));
    fs.writeFileSync(path.join(dir, 'routing.yaml'), routing(80));
    cp = await runControlPlane({
      configDir: dir, settings: defaultMeshSettings, xdsHost: '127.0.0.1', xdsPort: 0, plaintextXdsPort: 0,
      monitorHost: '127.0.0.1', monitorPort: 0, pollIntervalMs: 200,
    });
    const bootstrap = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${cp.plaintextXdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'sidecar~127.0.0.1~client.default~default.svc.cluster.local', metadata: { GENERATOR: 'grpc' }, locality: { zone: 'local' } },
    });
    child = startGrpcXdsClient(bootstrap);
    await new Promise<void>((resolve, reject) => {
      child!.once('message', () => resolve());
      child!.once('exit', (code) => reject(new Error(`client exited with ${code}`)));
    });

    const split = await count(300);
    expect((split.v1 ?? 0) + (split.v2 ?? 0)).toBe(300);
    // p = 0.2, n = 300: sd ≈ 7 requests; 35..95 is more than 3.5 sd either side.
    expect(split.v2).toBeGreaterThanOrEqual(35);
    expect(split.v2).toBeLessThanOrEqual(95);

    expect(await count(20, { 'x-version': 'v2' })).toEqual({ v2: 20 });

    // Change the split to 0/100 on disk; the running client follows without a restart.
    fs.writeFileSync(path.join(dir, 'routing.yaml'), routing(0));
    let followed = false;
    for (let attempt = 0; attempt < 50 && !followed; attempt++) {
      const c = await count(10);
      followed = c.v2 === 10;
      if (!followed) await new Promise((r) => setTimeout(r, 200));
    }
    expect(followed).toBe(true);

    const syncz = await (await fetch(`http://127.0.0.1:${cp.monitorPort}/debug/syncz`)).json() as Record<string, { types: Record<string, { ackedVersion?: string; nack?: unknown }> }>;
    const node = syncz['sidecar~127.0.0.1~client.default~default.svc.cluster.local'];
    expect(Object.keys(node!.types).sort()).toEqual([
      'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
      'type.googleapis.com/envoy.config.listener.v3.Listener',
      'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
    ]);
    for (const t of Object.values(node!.types)) {
      expect(t.ackedVersion).toBeDefined();
      expect(t.nack).toBeUndefined();
    }
  }, 60_000);
});
