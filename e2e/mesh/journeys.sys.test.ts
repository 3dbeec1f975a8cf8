/**
 * User journeys on a real local mesh: pods in network namespaces with `skein init-network` rules,
 * `skein proxy` in xDS mode as UID 1337, `skein controlplane` in local mode, join tokens from the
 * CA. One mesh for the whole file; each test writes the policies it needs into the config dir.
 */
import { ProxyPorts } from '../../api/src/names';
import { describeSystem } from '../support/system';
import { containsPlaintext, containsTlsRecords, useMesh, waitUntil, type ManagedProcess, type Pod } from '../harness';
import { authorizationPolicy, destinationRule, peerAuthentication, virtualService, yamlDocs } from './policies';
import { addSidecar, adminJson, changeConfig, startControlPlane, startMeshWorld, type MeshWorld } from './support';

const tools = ['ip', 'iptables', 'tcpdump', 'setpriv', 'bash'];

/** Always present: subsets for web, STRICT for `strict`, DISABLE (both sides) for `open`. */
const base = yamlDocs(
  destinationRule('web', '  subsets:\n    - { name: v1, labels: { version: v1 } }\n    - { name: v2, labels: { version: v2 } }'),
  destinationRule('open', '  trafficPolicy: { tls: { mode: DISABLE } }'),
  peerAuthentication('strict', 'strict', 'STRICT'),
  peerAuthentication('open', 'open', 'DISABLE'),
);

const split = (v1: number, canaryHeader = false): string => yamlDocs(base, virtualService('web', `${canaryHeader ? `    - match: [{ headers: { x-canary: { exact: "yes" } } }]
      route: [{ destination: { host: web, subset: v2 } }]
` : ''}    - route:
        - { destination: { host: web, subset: v1 }, weight: ${v1} }
        - { destination: { host: web, subset: v2 }, weight: ${100 - v1} }`));

/** Lines of a process log matching a pattern (the proxies log every applied config and certificate). */
async function countLog(p: ManagedProcess, pattern: RegExp): Promise<number> {
  return (await p.log()).split('\n').filter((l) => pattern.test(l)).length;
}

describeSystem('mesh journeys: sidecars in xDS mode between network namespaces', () => {
  let world: MeshWorld;
  let client: Pod;
  let other: Pod;
  let outsider: Pod;
  let webV1: Pod;
  let webV2: Pod;
  let strict: Pod;
  let open: Pod;
  let rotor: Pod;
  let clientProxy: ManagedProcess;
  let otherProxy: ManagedProcess;
  let rotorProxy: ManagedProcess;

  const mesh = useMesh({
    setupTimeoutMs: 120_000,
    testTimeoutMs: 60_000,
    setup: async (m) => {
      client = await m.addPod({ name: 'client', labels: { app: 'client' }, serviceAccount: 'client' });
      other = await m.addPod({ name: 'other', labels: { app: 'other' }, serviceAccount: 'other' });
      rotor = await m.addPod({ name: 'rotor', labels: { app: 'rotor' }, serviceAccount: 'rotor' });
      outsider = await m.addPod({ name: 'outsider', namespace: 'legacy', labels: { app: 'outsider' }, serviceAccount: 'outsider' });
      webV1 = await m.addPod({ name: 'web-v1', labels: { app: 'web', version: 'v1' }, serviceAccount: 'web' });
      webV2 = await m.addPod({ name: 'web-v2', labels: { app: 'web', version: 'v2' }, serviceAccount: 'web' });
      strict = await m.addPod({ name: 'strict-1', labels: { app: 'strict' }, serviceAccount: 'strict' });
      open = await m.addPod({ name: 'open-1', labels: { app: 'open' }, serviceAccount: 'open' });
      m.labelNamespace('default', { 'skein.dev/inject': 'enabled' });
      m.addService({ name: 'web', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }, { name: 'grpc-api', port: 9090, targetPort: 9090 }, { name: 'tcp-echo', port: 7070, targetPort: 7070 }], pods: [webV1, webV2] });
      m.addService({ name: 'strict', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }], pods: [strict] });
      m.addService({ name: 'open', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }], pods: [open] });
      world = await startMeshWorld(m, base);
      await Promise.all([webV1, webV2].map((p) => p.startEcho({ http: 8080, grpc: 9090, tcp: 7070 })));
      await Promise.all([strict, open].map((p) => p.startEcho({ http: 8080 })));
      const proxies = await Promise.all([client, other, webV1, webV2, strict, open].map((p) => addSidecar(m, world, p)));
      clientProxy = proxies[0]!;
      otherProxy = proxies[1]!;
      rotorProxy = await addSidecar(m, world, rotor, { certValiditySeconds: 3 }); // renewed about every 1.5 s (half-life)
    },
  });

  // gRPC through the mesh is in grpc.sys.test.ts (it fails today: see there).
  it('1. A calls B by VIP over HTTP/1.1, HTTP/2, WebSocket and TCP; B sees A\'s SPIFFE id; the wire shows only TLS', async () => {
    const capture = await mesh().captureBridge('tcp');
    const marker = 'SKEIN-MARKER-7f3a';
    const http1 = await client.client({ protocol: 'http', target: 'http://web/j1', headers: { 'x-marker': marker }, count: 4 });
    const h2 = await client.client({ protocol: 'h2', target: 'http://web/j1', headers: { 'x-marker': marker }, count: 4 });
    const ws = await client.client({ protocol: 'ws', target: 'ws://web/ws', message: marker, count: 2 });
    const tcp = await client.client({ protocol: 'tcp', target: 'web:7070', message: marker, count: 2 });
    const pcap = await capture.stop();
    const outcome = (r: typeof http1) => ({ protocol: r.protocol, ok: r.ok, failed: r.failed, firstError: r.firstError });
    expect([http1, h2, ws, tcp].map(outcome)).toEqual([
      { protocol: 'http', ok: 4, failed: 0, firstError: undefined },
      { protocol: 'h2', ok: 4, failed: 0, firstError: undefined },
      { protocol: 'ws', ok: 2, failed: 0, firstError: undefined },
      { protocol: 'tcp', ok: 2, failed: 0, firstError: undefined },
    ]);
    expect(http1.first).toMatchObject({ name: 'web', callerSpiffeId: client.spiffeId, remoteAddress: '127.0.0.6' });
    expect(h2.first).toMatchObject({ name: 'web', callerSpiffeId: client.spiffeId });
    expect(containsTlsRecords(pcap)).toBe(true);
    expect(containsPlaintext(pcap, marker)).toBe(false);

    // The sidecar's admin shows its identity, readiness and the xDS stream (never a key).
    const dump = await adminJson(client, '/config_dump') as Record<string, unknown>;
    expect(dump).toMatchObject({ identity: { spiffeId: client.spiffeId }, ready: { ready: true }, xds: { connected: true } });
    expect(JSON.stringify(dump)).not.toMatch(/PRIVATE KEY/);
  });

  it('2. STRICT refuses a client without a sidecar; PERMISSIVE accepts it; DISABLE sends plaintext', async () => {
    const refused = await outsider.client({ protocol: 'http', target: `http://${strict.ip}:8080/`, timeoutMs: 3000 });
    expect(refused).toMatchObject({ ok: 0, failed: 1 });
    const permissive = await outsider.client({ protocol: 'http', target: `http://${webV1.ip}:8080/` });
    expect(permissive).toMatchObject({ ok: 1, failed: 0 });
    expect(permissive.first).toMatchObject({ name: 'web', callerSpiffeId: null });
    // A meshed client still reaches the STRICT workload.
    expect(await client.client({ protocol: 'http', target: 'http://strict/' })).toMatchObject({ ok: 1, first: { callerSpiffeId: client.spiffeId } });

    const capture = await mesh().captureBridge('tcp');
    const marker = 'SKEIN-PLAINTEXT-42';
    const plain = await client.client({ protocol: 'http', target: 'http://open/', headers: { 'x-marker': marker } });
    const pcap = await capture.stop();
    expect(plain).toMatchObject({ ok: 1, failed: 0 });
    expect(plain.first?.callerSpiffeId).toBeNull();
    expect(containsPlaintext(pcap, marker)).toBe(true);
  });

  it('3. a 90/10 split converges, a header routes to v2, and a change applies quickly without failed requests', async () => {
    const m = mesh();
    const applied = await countLog(clientProxy, /^config .+ applied: /m);
    const ms = await changeConfig(m, world, split(90, true), async () => (await countLog(clientProxy, /^config .+ applied: /m)) > applied);
    console.log(`journey 3: VirtualService 90/10 + header route applied by the client's sidecar ${ms} ms after the config dir changed`);
    const r = await client.client({ protocol: 'http', target: 'http://web/split', count: 200, concurrency: 4 });
    expect(r.failed).toBe(0);
    const v1 = (r.byVersion.v1 ?? 0) / r.requests;
    expect(v1).toBeGreaterThan(0.8);
    expect(v1).toBeLessThan(0.98);
    expect(await client.client({ protocol: 'http', target: 'http://web/canary', headers: { 'x-canary': 'yes' }, count: 10 })).toMatchObject({ ok: 10, byVersion: { v2: 10 } });

    // Shift everything to v2 while traffic flows.
    const load = client.client({ protocol: 'http', target: 'http://web/during', durationMs: 4000, count: 5000, concurrency: 2 });
    await new Promise((r) => setTimeout(r, 1000));
    const before = await countLog(clientProxy, /^config .+ applied: /m);
    const shiftMs = await changeConfig(m, world, split(0), async () => (await countLog(clientProxy, /^config .+ applied: /m)) > before);
    console.log(`journey 3: shift to 100 % v2 applied by the client's sidecar ${shiftMs} ms after the config dir changed`);
    const during = await load;
    expect({ failed: during.failed, errors: during.errors }).toEqual({ failed: 0, errors: {} });
    expect(during.byVersion.v2).toBeGreaterThan(0);
    expect(await client.client({ protocol: 'http', target: 'http://web/after', count: 10 })).toMatchObject({ ok: 10, byVersion: { v2: 10 } });
  });

  it('4. AuthorizationPolicy DENY by principal answers 403 to that caller while another passes', async () => {
    const webProxyApplied = async (): Promise<boolean> => (await other.client({ protocol: 'http', target: 'http://web/probe' })).statuses['403'] === 1;
    const deny = authorizationPolicy('deny-other', 'web', 'DENY', '[{ from: [{ source: { principals: ["cluster.local/ns/default/sa/other"] } }] }]');
    const ms = await changeConfig(mesh(), world, yamlDocs(base, deny), webProxyApplied);
    console.log(`journey 4: DENY policy effective after ${ms} ms`);
    expect(await other.client({ protocol: 'http', target: 'http://web/x', count: 5 })).toMatchObject({ ok: 0, statuses: { 403: 5 } });
    expect(await client.client({ protocol: 'http', target: 'http://web/x', count: 5 })).toMatchObject({ ok: 5, statuses: { 200: 5 } });
  });

  it('5. a fault abort in a VirtualService answers the configured status', async () => {
    const faulty = async (): Promise<boolean> => (await client.client({ protocol: 'http', target: 'http://web/fault', headers: { 'x-fault': 'yes' } })).statuses['418'] === 1;
    const fault = virtualService('web', `    - match: [{ headers: { x-fault: { exact: "yes" } } }]
      fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }
      route: [{ destination: { host: web } }]
    - route: [{ destination: { host: web } }]`);
    await changeConfig(mesh(), world, yamlDocs(base, fault), faulty);
    expect(await client.client({ protocol: 'http', target: 'http://web/fault', headers: { 'x-fault': 'yes' }, count: 5 })).toMatchObject({ ok: 0, statuses: { 418: 5 } });
    expect(await client.client({ protocol: 'http', target: 'http://web/fine', count: 5 })).toMatchObject({ ok: 5 });
  });

  it('6. short-lived certificates rotate under traffic without a failed request', async () => {
    const before = await countLog(rotorProxy, /certificate for spiffe:/);
    const r = await rotor.client({ protocol: 'http', target: 'http://web/rotate', durationMs: 5000, count: 5000, concurrency: 2 });
    const rotations = (await countLog(rotorProxy, /certificate for spiffe:/)) - before;
    console.log(`journey 6: ${rotations} certificate rotations during ${r.elapsedMs} ms, ${r.requests} requests`);
    expect(rotations).toBeGreaterThanOrEqual(2);
    expect({ failed: r.failed, errors: r.errors }).toEqual({ failed: 0, errors: {} });
    expect(r.first?.callerSpiffeId).toBe(rotor.spiffeId);
  });

  it('7. without the control plane traffic flows on the last config; after a restart pushes resume', async () => {
    const m = mesh();
    await world.controlPlane.stop();
    const r = await client.client({ protocol: 'http', target: 'http://web/cp-down', count: 20, concurrency: 2 });
    expect(r).toMatchObject({ ok: 20, failed: 0 });
    expect(await m.node.httpStatus(`http://${webV1.ip}:${ProxyPorts.health}/healthz/ready`)).toBe(200);

    // A change made while the control plane is down is picked up once it is back.
    await m.writeConfig(world.configDir, split(0));
    world.controlPlane = await startControlPlane(m, world);
    await waitUntil(async () => (await client.client({ protocol: 'http', target: 'http://web/cp-back', count: 4 })).byVersion.v2 === 4, { timeoutMs: 30_000, intervalMs: 200, what: 'the restarted control plane to push the 100 % v2 route' });
  });

  it('8. a sidecar is not ready without a config and says why; SIGTERM drains it and it exits 0', async () => {
    const m = mesh();
    const lonely = await m.addPod({ name: 'lonely', labels: { app: 'lonely' }, serviceAccount: 'lonely' });
    const proxy = await addSidecar(m, world, lonely, { xdsAddress: `${m.node.ip}:15999`, waitReady: false });
    await proxy.waitForLog(/certificate for spiffe:/, { timeoutMs: 20_000 });
    expect(await m.node.httpStatus(`http://${lonely.ip}:${ProxyPorts.health}/healthz/ready`)).toBe(503);
    expect(await adminJson(lonely, '/config_dump')).toMatchObject({
      identity: { spiffeId: lonely.spiffeId },
      ready: { ready: false, reason: 'no configuration from the control plane yet' },
      xds: { connected: false },
    });

    expect(await m.node.httpStatus(`http://${other.ip}:${ProxyPorts.health}/healthz/ready`)).toBe(200);
    otherProxy.signal('SIGTERM');
    await waitUntil(async () => (await m.node.httpStatus(`http://${other.ip}:${ProxyPorts.health}/healthz/ready`)) !== 200, { timeoutMs: 5_000, intervalMs: 50, what: 'the draining sidecar to report not ready' });
    const exit = await Promise.race([otherProxy.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 10_000))]);
    expect(exit).toEqual({ code: 0, signal: null });
  });
}, tools);
