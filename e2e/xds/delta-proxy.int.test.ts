/**
 * The real `skein controlplane` (built CLI, local mode, mTLS) and real `skein proxy` processes:
 * the proxy speaks delta xDS by default, SKEIN_XDS_PROTOCOL=sotw keeps state of the world, both
 * end with the same configuration, and a VirtualService edit reaches the delta proxy as one
 * RouteConfiguration (the control plane counts what it pushed, the proxy shows the new route).
 * Proxyless gRPC over state of the world: operator/src/proxyless-grpc.int.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BuiltCli } from '../install/manifest-deployment';
import { ControlPlaneUnderAttack, skeinCli } from '../attacks/xds-world';
import { waitUntil } from '../harness/wait';

jest.setTimeout(90_000);

interface ConfigDump {
  xds: { protocol: string; connected: boolean; appliedVersion?: string };
  config: { routeConfigs: { name: string; virtualHosts: { routes: { action: { timeoutMs?: number } }[] }[] }[] } | null;
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

class SkeinProxy {
  output = '';
  private child: ChildProcess | undefined;
  private exit: number | null | undefined;
  admin = 0;
  /** The local-mode outbound listener to reviews:9080. */
  outbound = 0;

  async start(cp: ControlPlaneUnderAttack, env: Record<string, string>): Promise<void> {
    const [admin, health, prometheus, agent, outbound] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    this.admin = admin;
    this.outbound = outbound;
    const token = skeinCli('ca', 'token', '--dir', cp.caDir, '--namespace', 'default', '--service-account', 'productpage', '--ttl', '1h').trim();
    this.child = spawn(process.execPath, [BuiltCli, 'proxy', '--no-original-dst', '--drain-seconds', '0', '--admin-port', String(admin), '--health-port', String(health), '--prometheus-port', String(prometheus), '--agent-port', String(agent)], {
      env: {
        PATH: process.env.PATH ?? '', POD_NAME: 'productpage-1', POD_NAMESPACE: 'default', INSTANCE_IP: '10.0.2.1', SERVICE_ACCOUNT: 'productpage',
        SKEIN_XDS_ADDRESS: cp.address, SKEIN_ROOT_CERT_PATH: path.join(cp.caDir, 'root-cert.pem'), SKEIN_JOIN_TOKEN: token,
        SKEIN_OUTBOUND_PORTS: `${outbound}=reviews:9080`, ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const s of [this.child.stdout!, this.child.stderr!]) s.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.on('exit', (code) => (this.exit = code));
  }

  async dump(): Promise<ConfigDump> {
    return (await fetch(`http://127.0.0.1:${this.admin}/config_dump`)).json() as Promise<ConfigDump>;
  }

  /** The applied configuration without its version label and with this proxy's own port masked. */
  async comparableConfig(): Promise<string> {
    const d = await this.dump();
    return JSON.stringify({ ...d.config, version: undefined }).replaceAll(String(this.outbound), 'OUTBOUND_PORT');
  }

  /** The timeout of the outbound route to reviews, once the proxy has a config. */
  async reviewsTimeout(): Promise<number | undefined> {
    const d = await this.dump();
    return d.config?.routeConfigs.find((r) => r.name.startsWith('outbound_127.0.0.1_'))?.virtualHosts[0]?.routes[0]?.action.timeoutMs;
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

describe('skein proxy ↔ skein controlplane over xDS', () => {
  const cp = new ControlPlaneUnderAttack();
  const delta = new SkeinProxy();
  const sotw = new SkeinProxy();

  beforeAll(async () => {
    await cp.start();
    await delta.start(cp, {});
    await sotw.start(cp, { SKEIN_XDS_PROTOCOL: 'sotw' });
  });

  afterAll(async () => {
    await delta.stop();
    await sotw.stop();
    await cp.stop();
  });

  it('delta by default, state of the world when asked; both get the same configuration; an edit reaches the delta proxy as one RouteConfiguration', async () => {
    for (const p of [delta, sotw]) {
      await waitUntil(async () => (await p.dump().catch(() => undefined))?.config != null, { timeoutMs: 30_000, what: 'a first config', giveUp: () => undefined });
    }
    expect((await delta.dump()).xds).toMatchObject({ protocol: 'delta', connected: true });
    expect((await sotw.dump()).xds).toMatchObject({ protocol: 'sotw', connected: true });
    const syncz = await cp.syncz() as unknown as Record<string, { protocol: string }>;
    expect(Object.values(syncz).map((s) => s.protocol).sort()).toEqual(['delta', 'sotw']);
    expect(await delta.comparableConfig()).toEqual(await sotw.comparableConfig());
    expect(await delta.reviewsTimeout()).toBe(0); // no timeout (Istio: 0s)

    const before = await pushes(cp);
    fs.writeFileSync(path.join(cp.configDir, 'vs.yaml'), [
      'apiVersion: networking.skein.dev/v1alpha1', 'kind: VirtualService', 'metadata: { name: reviews, namespace: default }',
      'spec: { hosts: [reviews], http: [{ route: [{ destination: { host: reviews } }], timeout: 7s }] }',
    ].join('\n'));
    for (const p of [delta, sotw]) await waitUntil(async () => (await p.reviewsTimeout()) === 7000, { timeoutMs: 20_000, what: 'the new route timeout' });
    const after = await pushes(cp);
    const diff = Object.fromEntries(Object.entries(after).map(([t, n]) => [t, n - (before[t] ?? 0)]).filter(([, n]) => n !== 0));
    // One RouteConfiguration response per proxy: the delta one carries the changed route only, the SotW one the subscribed set.
    expect(diff).toEqual({ RouteConfiguration: 2 });
    expect(delta.output).not.toMatch(/NACK/);
  });
});
