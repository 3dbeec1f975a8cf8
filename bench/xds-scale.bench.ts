/**
 * xDS at scale: the real `skein controlplane` (built CLI, its own process, local mode, defaults:
 * debounce 100 ms / 10 s) holding the controlplane bench's mesh of 1000 services, and N simulated
 * proxies in this process (./xds-load.ts), delta or state of the world, over the loopback
 * plaintext ADS port.
 *
 *   npm run bench xds-scale                  # N = 50, 200, 500; 5 changes each
 *   BENCH_XDS_PROXIES=50 BENCH_XDS_CHANGES=7 npm run bench xds-scale
 *
 * Per N and protocol: time until every proxy has its first config; then, 5 times, svc0's
 * VirtualService timeout is edited (a file write) and it measures the time until every proxy has
 * the new route configuration (p50/p99/max over proxies), the bytes received by all proxies, and
 * the control plane's CPU for the change; its CPU at steady state, its RSS; and a reconnect storm
 * (all N proxies restart at once: streams dropped and reopened, everything asked for again).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mesh, nodeId } from './controlplane.bench';
import { quantile, sampleProcess, SimulatedProxy, until, type XdsProtocol } from './xds-load';

const cli = path.join(__dirname, '..', 'cli', 'src', 'main.js');
const proxyCounts = (process.env.BENCH_XDS_PROXIES ?? '50,200,500').split(',').map(Number);
const changes = Number(process.env.BENCH_XDS_CHANGES ?? 5);
/** The sidecars' RDS names: every service port of the mesh (8000..8019). */
const routeNames = Array.from({ length: 20 }, (_, i) => String(8000 + i));
const TimeoutMs = 180_000;

const yamlDocs = (objects: unknown[]) => objects.map((o) => JSON.stringify(o)).join('\n---\n');
const isChanged = (o: { kind: string; metadata: { name: string } }) => o.kind === 'VirtualService' && o.metadata.name === 'svc0';
const median = (xs: number[]) => quantile(xs, 0.5);

async function startControlPlane(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  const objects = mesh('1s');
  fs.writeFileSync(path.join(configDir, 'mesh.yaml'), yamlDocs(objects.filter((o) => !isChanged(o))));
  fs.writeFileSync(path.join(configDir, 'change.yaml'), yamlDocs(objects.filter(isChanged)));
  const child = spawn(process.execPath, [cli, 'controlplane', '--config-dir', configDir, '--plaintext-xds-port', '0', '--monitor-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const s of [child.stdout!, child.stderr!]) s.on('data', (c: Buffer) => (output += c.toString()));
  await until(() => /plaintext ADS on 127\.0\.0\.1:\d+/.test(output) || child.exitCode !== null, 60_000, 'the control plane to start');
  const port = /plaintext ADS on 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
  if (!port) throw new Error(`control plane did not start: ${output}`);
  return { child, port: Number(port) };
}

function editRoute(dir: string, timeoutSeconds: number): void {
  const vs = mesh(`${timeoutSeconds}s`).filter(isChanged);
  fs.writeFileSync(path.join(dir, 'config', 'change.yaml'), yamlDocs(vs));
}

interface Result {
  protocol: XdsProtocol;
  proxies: number;
  firstConfigMs: number;
  convergeP50: number[];
  convergeP99: number[];
  convergeMax: number[];
  kibPerChange: number[];
  cpuPerChange: number[];
  steadyCores: number;
  rssMiB: number;
  peakRssMiB: number;
  stormMs: number;
}

async function measure(protocol: XdsProtocol, n: number): Promise<Result> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-xds-scale-'));
  const cp = await startControlPlane(dir);
  const pid = cp.child.pid!;
  const proxies = Array.from({ length: n }, (_, p) => new SimulatedProxy(nodeId(p), protocol, `127.0.0.1:${cp.port}`, routeNames));
  try {
    let t = performance.now();
    for (const p of proxies) p.connect();
    await until(() => proxies.every((p) => p.hasConfig()), TimeoutMs, `${n} ${protocol} proxies: first config`);
    const firstConfigMs = performance.now() - t;
    await new Promise((r) => setTimeout(r, 1000)); // let EDS and ACKs settle

    const r: Result = { protocol, proxies: n, firstConfigMs, convergeP50: [], convergeP99: [], convergeMax: [], kibPerChange: [], cpuPerChange: [], steadyCores: 0, rssMiB: 0, peakRssMiB: 0, stormMs: 0 };
    for (let k = 0; k < changes; k++) {
      const bytes = proxies.reduce((s, p) => s + p.bytes, 0);
      const cpu = sampleProcess(pid).cpuSeconds;
      t = performance.now();
      editRoute(dir, k + 2);
      await until(() => proxies.every((p) => (p.routeAt.get('8000') ?? 0) > t), TimeoutMs, `${n} ${protocol} proxies: change ${k}`);
      const latencies = proxies.map((p) => p.routeAt.get('8000')! - t);
      await new Promise((res) => setTimeout(res, 500)); // anything else the change sends
      r.convergeP50.push(quantile(latencies, 0.5));
      r.convergeP99.push(quantile(latencies, 0.99));
      r.convergeMax.push(Math.max(...latencies));
      r.kibPerChange.push((proxies.reduce((s, p) => s + p.bytes, 0) - bytes) / 1024);
      r.cpuPerChange.push(sampleProcess(pid).cpuSeconds - cpu);
    }

    const before = sampleProcess(pid);
    await new Promise((res) => setTimeout(res, 5000));
    const after = sampleProcess(pid);
    r.steadyCores = (after.cpuSeconds - before.cpuSeconds) / 5;
    r.rssMiB = after.rssMiB;

    for (const p of proxies) {
      p.close();
      p.forget(); // restarted proxies: everything is sent again
    }
    t = performance.now();
    for (const p of proxies) p.connect();
    await until(() => proxies.every((p) => p.hasConfig(t)), TimeoutMs, `${n} ${protocol} proxies: reconnect storm`);
    r.stormMs = performance.now() - t;
    r.peakRssMiB = sampleProcess(pid).peakRssMiB;
    return r;
  } finally {
    for (const p of proxies) p.close();
    cp.child.kill('SIGTERM');
    await new Promise((res) => cp.child.once('exit', res));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log(`mesh: 1000 services (controlplane bench), real skein controlplane process; ${changes} VirtualService edits per row (medians shown)`);
  console.log('converge: file write → every proxy has the new RouteConfiguration (fs.watch + 100 ms debounce included)\n');
  const header = ['protocol', 'proxies', 'first cfg ms', 'conv p50 ms', 'conv p99 ms', 'conv max ms', 'KiB/change', 'CPU s/change', 'steady cores', 'RSS MiB', 'peak RSS MiB', 'storm ms'];
  console.log(header.join(' | '));
  for (const n of proxyCounts) {
    for (const protocol of ['delta', 'sotw'] as const) {
      const r = await measure(protocol, n);
      console.log([r.protocol, r.proxies, r.firstConfigMs.toFixed(0), median(r.convergeP50).toFixed(0), median(r.convergeP99).toFixed(0), median(r.convergeMax).toFixed(0),
        median(r.kibPerChange).toFixed(1), median(r.cpuPerChange).toFixed(2), r.steadyCores.toFixed(3), r.rssMiB.toFixed(0), r.peakRssMiB.toFixed(0), r.stormMs.toFixed(0)].join(' | '));
      console.log(`  runs: conv max ${r.convergeMax.map((x) => x.toFixed(0)).join(', ')} ms; KiB ${r.kibPerChange.map((x) => x.toFixed(1)).join(', ')}`);
    }
  }
}
