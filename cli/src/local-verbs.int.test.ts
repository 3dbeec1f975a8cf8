/**
 * proxy-status, proxy-config and version in local mode, as a user runs them next to a real
 * `skein controlplane --config-dir` and real `skein proxy` sidecars (no root, explicit listeners):
 * one sidecar in sync, one that NACKs because its outbound port is taken (a real NACK, with the
 * proxy's own reason). Also offline proxy-config against the same files, and a closed pipe.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './demo/processes';
import { type Background, skein, skeinMain, startBackground, waitUntil } from './testing/cluster-sim';

async function output(args: string[]): Promise<string> {
  const r = await skein(args);
  if (r.code !== 0) throw new Error(`skein ${args.join(' ')}: ${r.err}`);
  return r.out;
}

jest.setTimeout(120_000);

const mesh = (echoPort: number) => `apiVersion: v1
kind: Namespace
metadata: { name: default, labels: { skein.dev/inject: enabled } }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: web, namespace: default }
---
apiVersion: v1
kind: Pod
metadata: { name: web-1, namespace: default, labels: { app: web, version: v1 } }
spec: { serviceAccountName: web }
status: { podIP: 127.0.20.1 }
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: default }
spec:
  clusterIP: 10.96.20.10
  selector: { app: echo }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: echo-1, namespace: default, labels: { kubernetes.io/service-name: echo } }
addressType: IPv4
ports: [{ name: http, port: ${echoPort} }]
endpoints:
  - { addresses: [127.0.20.2] }
`;

describe('proxy-status / proxy-config / version against a local control plane and real sidecars', () => {
  let dir: string;
  let monitoring: string;
  let adminGood: string;
  let adminNacking: string;
  let outbound: number;
  const children: Background[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-local-verbs-'));
    fs.mkdirSync(path.join(dir, 'config'));
    fs.writeFileSync(path.join(dir, 'config', 'mesh.yaml'), mesh(await freePort()));
    await output(['ca', 'init', '--dir', path.join(dir, 'ca')]);
    const [xds, mon] = [await freePort(), await freePort()];
    const cp = startBackground('controlplane', ['controlplane', '--config-dir', path.join(dir, 'config'), '--ca-dir', path.join(dir, 'ca'), '--xds-host', '127.0.0.1', '--xds-port', String(xds), '--monitor-port', String(mon)], {}, dir);
    children.push(cp);
    monitoring = `http://127.0.0.1:${mon}`;
    await waitUntil('control plane ready', cp, async () => (await skein(['version', '--monitoring-url', monitoring])).out.includes('control plane: skein'), 60_000);
    outbound = await freePort();
    const sidecar = async (pod: string, ip: string) => {
      const token = (await output(['ca', 'token', '--dir', path.join(dir, 'ca'), '--namespace', 'default', '--service-account', 'web'])).trim();
      const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
      children.push(startBackground(pod, ['proxy', '--no-original-dst', '--drain-seconds', '0', '--admin-port', String(ports[0]), '--health-port', String(ports[1]), '--prometheus-port', String(ports[2]), '--agent-port', String(ports[3])], {
        POD_NAME: pod, POD_NAMESPACE: 'default', INSTANCE_IP: ip, SERVICE_ACCOUNT: 'web', SKEIN_XDS_ADDRESS: `127.0.0.1:${xds}`,
        SKEIN_ROOT_CERT_PATH: path.join(dir, 'ca', 'root-cert.pem'), SKEIN_JOIN_TOKEN: token, SKEIN_OUTBOUND_PORTS: `${outbound}=echo:8080`,
      }, dir));
      return `http://127.0.0.1:${ports[0]}`;
    };
    adminGood = await sidecar('web-1', '127.0.20.1');
    await waitUntil('web-1 in sync', cp, async () => /web-1\.default\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED/.test((await skein(['proxy-status', '--monitoring-url', monitoring])).out), 60_000);
    // web-2 wants the same outbound port, which web-1 holds: it cannot apply its config and NACKs.
    adminNacking = await sidecar('web-2', '127.0.20.3');
    await waitUntil('web-2 NACKing', cp, async () => (await skein(['proxy-status', '--monitoring-url', monitoring])).out.includes('web-2.default RDS NACKED'), 60_000);
  });

  afterAll(async () => {
    for (const c of children.reverse()) await c.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('proxy-status: the proxy in sync and the NACKing one, with the reason the proxy sent', async () => {
    const r = await skein(['proxy-status', '--monitoring-url', monitoring]);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CDS\s+LDS\s+EDS\s+RDS\s+CONTROL PLANE\s+VERSION\s+CERT EXPIRES IN$/);
    expect(lines[1]).toMatch(new RegExp(`^web-1\\.default\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+SYNCED\\s+${monitoring.replace(/\./g, '\\.')}\\s+\\d+\\s+23h\\d+m \\(.*Z\\)\\*$`));
    expect(lines[2]).toMatch(/^web-2\.default\s+SYNCED\s+SYNCED\s+SYNCED\s+NACKED\s/);
    expect(r.out).toContain("* the latest certificate the CA issued to the proxy's identity (the CA did not know the pod: local mode)");
    expect(r.out).toMatch(new RegExp(`\\nweb-2\\.default RDS NACKED \\(version [0-9a-f]+\\): the proxy could not apply the snapshot: listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${outbound}\\n`));
    const json = JSON.parse((await skein(['proxy-status', '--monitoring-url', monitoring, '-o', 'json'])).out) as { name: string; states: Record<string, string>; nacks: { type: string; message: string }[] }[];
    expect(json.find((s) => s.name === 'web-2.default')).toMatchObject({ states: { RDS: 'NACKED' }, nacks: [{ type: 'RDS', message: expect.stringMatching(/EADDRINUSE/) }] });
  });

  it('proxy-config over the admin URL: clusters, listeners, routes, endpoints, secrets', async () => {
    const clusters = await skein(['proxy-config', 'cluster', '--admin-url', adminGood]);
    expect(clusters.code).toBe(0);
    expect(clusters.out).toMatch(/\necho\.default\.svc\.cluster\.local\s+8080\s+-\s+outbound\s+EDS\s+\S+\s+-\n/);
    const listeners = await skein(['proxy-config', 'listeners', '--admin-url', adminGood]);
    expect(listeners.out).toMatch(new RegExp(`\\n127\\.0\\.0\\.1\\s+${outbound}\\s+outbound_127\\.0\\.0\\.1_${outbound}\\s+ALL\\s+Route: outbound_127\\.0\\.0\\.1_${outbound}\\n`));
    const routes = await skein(['proxy-config', 'route', '--admin-url', adminGood]);
    expect(routes.out).toMatch(/\s\/\*\s+outbound\|8080\|\|echo\.default\.svc\.cluster\.local\n/);
    const endpoints = await skein(['proxy-config', 'endpoint', '--admin-url', adminGood]);
    expect(endpoints.out).toMatch(/^ENDPOINT\s+STATUS\s+WEIGHT\s+CLUSTER\n127\.0\.20\.2:\d+\s+HEALTHY\s+1\s+outbound\|8080\|\|echo\.default\.svc\.cluster\.local\n$/);
    const secrets = await skein(['proxy-config', 'secret', '--admin-url', adminGood, '-o', 'yaml']);
    expect(secrets.out).toMatch(/name: default\n\s+type: Cert Chain/);
    expect(secrets.out).toMatch(/spiffeId: spiffe:\/\/cluster\.local\/ns\/default\/sa\/web/);
    expect(secrets.out).not.toMatch(/PRIVATE KEY/);
  });

  it('proxy-config of the NACKing proxy: it has no configuration yet, and says so (exit 1)', async () => {
    const r = await skein(['proxy-config', 'cluster', '--admin-url', adminNacking]);
    expect(r).toMatchObject({ code: 1, out: '', err: `${adminNacking}: no configuration yet (the proxy has not received its first snapshot from the control plane)\n` });
  });

  it('offline proxy-config from the same files: the same cluster table the running proxy shows; the Envoy JSON without TYPE', async () => {
    const node = 'sidecar~127.0.20.1~web-1.default~default.svc.cluster.local';
    const args = ['--config-dir', path.join(dir, 'config'), '--node', node, '--metadata', JSON.stringify({ SKEIN_OUTBOUND_PORTS: `${outbound}=echo:8080` })];
    const offline = await skein(['proxy-config', 'cluster', ...args]);
    expect(offline.code).toBe(0);
    expect(offline.out).toBe((await skein(['proxy-config', 'cluster', '--admin-url', adminGood])).out);
    const legacy = await skein(['proxy-config', ...args, '--type', 'listeners']);
    const dump = JSON.parse(legacy.out) as { node: string; configs: { type_url: string; resources: { name: string }[] }[] };
    expect(dump.node).toBe(node);
    expect(dump.configs.map((c) => c.type_url)).toEqual(['type.googleapis.com/envoy.config.listener.v3.Listener']);
    expect(dump.configs[0]!.resources.map((l) => l.name)).toEqual(expect.arrayContaining(['virtualOutbound', 'virtualInbound', `outbound_127.0.0.1_${outbound}`]));
    expect((await skein(['proxy-config', 'secret', ...args])).err).toMatch(/secrets exist only in a running proxy/);
    expect(await skein(['proxy-config', '--config-dir', path.join(dir, 'config'), '--node', 'bogus'])).toMatchObject({ code: 2, err: expect.stringMatching(/invalid node id "bogus"/) });
    expect(await skein(['proxy-config', ...args, '--type', 'secrets'])).toMatchObject({ code: 2, err: expect.stringMatching(/--type must be one of clusters, endpoints, listeners, routes/) });
  });

  it('version: the local control plane answers with its version', async () => {
    expect(await skein(['version', '--monitoring-url', monitoring])).toMatchObject({ code: 0, out: `client: skein 0.1.0\ncontrol plane: skein 0.1.0 (${monitoring})\n` });
  });

  it('a monitoring or admin URL nobody listens on: one sentence, exit 1', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    expect(await skein(['proxy-status', '--monitoring-url', nobody])).toMatchObject({ code: 1, err: `skein proxy-status: cannot reach the control plane at ${nobody}: connection refused\n` });
    expect(await skein(['proxy-config', 'route', '--admin-url', nobody])).toMatchObject({ code: 1, err: `skein proxy-config: cannot reach the proxy's admin API at ${nobody}: connection refused\n` });
  });

  it('writing to a closed pipe (skein proxy-config … | head): exits quietly, status 0, no EPIPE trace', async () => {
    // The reader is gone before skein writes: every write fails with EPIPE.
    const child = spawn(process.execPath, [skeinMain, 'proxy-config', 'cluster', '--admin-url', adminGood, '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
    // And as a shell pipeline does it.
    const piped = spawn('sh', ['-c', `"${process.execPath}" "${skeinMain}" proxy-config route --admin-url ${adminGood} -o json | head -c 10`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let perr = '';
    piped.stdout.on('data', (d: Buffer) => (out += d.toString()));
    piped.stderr.on('data', (d: Buffer) => (perr += d.toString()));
    expect(await new Promise((resolve) => piped.on('close', resolve))).toBe(0);
    expect(out).toHaveLength(10);
    expect(perr).toBe('');
  });
});
