/**
 * The real `skein controlplane` (built CLI, local mode, mTLS) and two real `skein proxy` processes
 * on loopback: productpage's sidecar speaks delta xDS (the default), reviews' sidecar is started
 * with SKEIN_XDS_PROTOCOL=sotw. What a user sees: both connect and hold the same mesh config, a
 * request from productpage crosses both sidecars (mTLS, productpage's identity at reviews), a
 * VirtualService edit reaches both (new timeout, new response header on the traffic) and the
 * delta sidecar is sent only the changed RouteConfiguration.
 * Proxyless gRPC over state of the world: operator/src/proxyless-grpc.int.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BuiltCli } from '../install/manifest-deployment';
import { ControlPlaneUnderAttack, skeinCli } from '../attacks/xds-world';
import { startHttpEcho, type EchoListener } from '../apps/http-echo';
import { steadyPolicy } from '../apps/flaky';
import { type EchoReply } from '../apps/identity';
import { waitUntil } from '../harness/wait';

jest.setTimeout(120_000);

interface Named { name: string }
interface ConfigDump {
  xds: { protocol: string; connected: boolean; appliedVersion?: string };
  config: {
    clusters: Named[];
    endpoints: { clusterName: string }[];
    routeConfigs: (Named & { virtualHosts: { routes: { action: { timeoutMs?: number } }[] }[] })[];
  } | null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** One workload of the local-mode mesh: its pod, its loopback "pod IP" and its sidecar's ports. */
interface Workload { pod: string; app: string; ip: string; inbound?: { port: number; appPort: number } }

function meshYaml(productpage: Workload, reviews: Workload & { inbound: { port: number } }): string {
  const pod = (w: Workload) => `apiVersion: v1\nkind: Pod\nmetadata: { name: ${w.pod}, namespace: default, labels: { app: ${w.app} } }\nspec: { serviceAccountName: ${w.app} }\nstatus: { podIP: ${w.ip} }`;
  return [
    'apiVersion: v1\nkind: Namespace\nmetadata: { name: default, labels: { skein.dev/inject: enabled } }',
    'apiVersion: v1\nkind: Service\nmetadata: { name: reviews, namespace: default }\nspec: { clusterIP: 10.96.0.10, selector: { app: reviews }, ports: [{ name: http, port: 9080, targetPort: 9080 }] }',
    pod(productpage),
    pod(reviews),
    // Peers reach a local-mode workload at its sidecar's inbound listener (as `skein demo` does).
    `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: { name: reviews-v1, namespace: default, labels: { kubernetes.io/service-name: reviews } }\naddressType: IPv4\nports: [{ name: http, port: ${reviews.inbound.port} }]\nendpoints:\n  - { addresses: [${reviews.ip}], targetRef: { kind: Pod, name: ${reviews.pod} } }`,
  ].join('\n---\n');
}

class SkeinProxy {
  output = '';
  private child: ChildProcess | undefined;
  private exit: number | null | undefined;
  admin = 0;
  /** The local-mode outbound listener on 127.0.0.1 to reviews:9080. */
  outbound = 0;

  constructor(readonly workload: Workload) {}

  async start(cp: ControlPlaneUnderAttack, env: Record<string, string>): Promise<void> {
    const [admin, health, prometheus, agent, outbound] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    this.admin = admin;
    this.outbound = outbound;
    const w = this.workload;
    const token = skeinCli('ca', 'token', '--dir', cp.caDir, '--namespace', 'default', '--service-account', w.app, '--ttl', '1h').trim();
    this.child = spawn(process.execPath, [BuiltCli, 'proxy', '--no-original-dst', '--drain-seconds', '0', '--admin-port', String(admin), '--health-port', String(health), '--prometheus-port', String(prometheus), '--agent-port', String(agent)], {
      env: {
        PATH: process.env.PATH ?? '', POD_NAME: w.pod, POD_NAMESPACE: 'default', INSTANCE_IP: w.ip, SERVICE_ACCOUNT: w.app,
        SKEIN_XDS_ADDRESS: cp.address, SKEIN_ROOT_CERT_PATH: path.join(cp.caDir, 'root-cert.pem'), SKEIN_JOIN_TOKEN: token,
        SKEIN_POD_LABELS: JSON.stringify({ app: w.app }),
        SKEIN_OUTBOUND_PORTS: `${outbound}=reviews:9080`,
        ...(w.inbound ? { SKEIN_INBOUND_PORTS: `${w.inbound.port}=${w.inbound.appPort}` } : {}),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [this.child.stdout!, this.child.stderr!]) s.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.on('exit', (code) => (this.exit = code));
  }

  async dump(): Promise<ConfigDump> {
    return (await fetch(`http://127.0.0.1:${this.admin}/config_dump`)).json() as Promise<ConfigDump>;
  }

  /** The mesh as this proxy sees it: outbound clusters, their endpoints, the route to reviews (own port masked). */
  async outboundView(): Promise<string> {
    const c = (await this.dump()).config!;
    const outbound = (n: string) => n.startsWith('outbound|');
    return JSON.stringify({
      clusters: c.clusters.filter((x) => outbound(x.name)),
      endpoints: c.endpoints.filter((x) => outbound(x.clusterName)),
      routes: c.routeConfigs.filter((r) => r.name.startsWith('outbound_127.0.0.1_')),
    }).replaceAll(String(this.outbound), 'OUTBOUND_PORT');
  }

  /** The timeout of the outbound route to reviews, once the proxy has a config. */
  async reviewsTimeout(): Promise<number | undefined> {
    const d = await this.dump();
    return d.config?.routeConfigs.find((r) => r.name.startsWith('outbound_127.0.0.1_'))?.virtualHosts[0]?.routes[0]?.action.timeoutMs;
  }

  /** GET reviews through this sidecar's outbound listener, as the app would. */
  async callReviews(): Promise<{ status: number; edited: string | null; reply: EchoReply }> {
    const res = await fetch(`http://127.0.0.1:${this.outbound}/reviews`);
    return { status: res.status, edited: res.headers.get('x-route-edited'), reply: await res.json() as EchoReply };
  }

  async stop(): Promise<void> {
    if (this.child && this.exit === undefined) {
      this.child.kill('SIGTERM');
      await waitUntil(() => this.exit !== undefined, { timeoutMs: 10_000, what: 'the proxy to exit' }).catch(() => this.child?.kill('SIGKILL'));
    }
  }
}

async function pushes(cp: ControlPlaneUnderAttack): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${cp.monitorPort}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^skein_xds_pushes_total\{type="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe('skein proxy ↔ skein controlplane over xDS (delta by default, SotW when asked)', () => {
  const cp = new ControlPlaneUnderAttack();
  let app: EchoListener;
  let delta: SkeinProxy; // productpage's sidecar
  let sotw: SkeinProxy; // reviews' sidecar

  beforeAll(async () => {
    app = await startHttpEcho({ port: 0, host: '127.0.0.1', identity: { name: 'reviews', version: 'v1', pod: 'reviews-v1', namespace: 'default' }, policy: steadyPolicy });
    const reviews = { pod: 'reviews-v1', app: 'reviews', ip: '127.0.31.2', inbound: { port: await freePort(), appPort: app.port } };
    delta = new SkeinProxy({ pod: 'productpage-1', app: 'productpage', ip: '127.0.31.1' });
    sotw = new SkeinProxy(reviews);
    await cp.start([], meshYaml(delta.workload, reviews));
    await delta.start(cp, {});
    await sotw.start(cp, { SKEIN_XDS_PROTOCOL: 'sotw' });
  });

  afterAll(async () => {
    await delta?.stop();
    await sotw?.stop();
    await cp.stop();
    await app?.close();
  });

  it('both connect, each with its protocol, and hold the same view of the mesh', async () => {
    for (const p of [delta, sotw]) {
      await waitUntil(async () => (await p.dump().catch(() => undefined))?.config != null, { timeoutMs: 30_000, what: 'a first config', giveUp: () => undefined });
    }
    expect((await delta.dump()).xds).toMatchObject({ protocol: 'delta', connected: true });
    expect((await sotw.dump()).xds).toMatchObject({ protocol: 'sotw', connected: true });
    const syncz = await cp.syncz() as unknown as Record<string, { protocol: string }>;
    expect(Object.values(syncz).map((s) => s.protocol).sort()).toEqual(['delta', 'sotw']);
    expect(await delta.outboundView()).toEqual(await sotw.outboundView());
    expect(await delta.reviewsTimeout()).toBe(0); // no timeout (Istio: 0s)
  });

  it('a request from productpage crosses both sidecars over mTLS; the SotW sidecar carries its own traffic too', async () => {
    const viaDelta = await delta.callReviews();
    expect(viaDelta.status).toBe(200);
    expect(viaDelta.reply).toMatchObject({ name: 'reviews', callerSpiffeId: 'spiffe://cluster.local/ns/default/sa/productpage' });
    const viaSotw = await sotw.callReviews();
    expect(viaSotw.status).toBe(200);
    expect(viaSotw.reply).toMatchObject({ name: 'reviews', callerSpiffeId: 'spiffe://cluster.local/ns/default/sa/reviews' });
  });

  it('a VirtualService edit reaches both sidecars and their traffic; the delta one is sent one RouteConfiguration', async () => {
    const before = await pushes(cp);
    fs.writeFileSync(path.join(cp.configDir, 'vs.yaml'), [
      'apiVersion: networking.skein.dev/v1alpha1', 'kind: VirtualService', 'metadata: { name: reviews, namespace: default }',
      'spec: { hosts: [reviews], http: [{ route: [{ destination: { host: reviews } }], timeout: 7s, headers: { response: { set: { x-route-edited: "yes" } } } }] }',
    ].join('\n'));
    for (const p of [delta, sotw]) await waitUntil(async () => (await p.reviewsTimeout()) === 7000, { timeoutMs: 20_000, what: 'the new route timeout' });
    const after = await pushes(cp);
    const diff = Object.fromEntries(Object.entries(after).map(([t, n]) => [t, n - (before[t] ?? 0)]).filter(([, n]) => n !== 0));
    // One RouteConfiguration response per proxy: the delta one carries the changed route only, the SotW one the subscribed set.
    expect(diff).toEqual({ RouteConfiguration: 2 });

    for (const p of [delta, sotw]) expect(await p.callReviews()).toMatchObject({ status: 200, edited: 'yes' });
    expect(await delta.outboundView()).toEqual(await sotw.outboundView());
    expect(delta.output + sotw.output).not.toMatch(/NACK/);
  });
});
