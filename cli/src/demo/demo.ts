/**
 * `skein demo`: a local mesh without root. A CA, the control plane in local mode, three services
 * (frontend → reviews v1/v2 → ratings) each behind a real `skein proxy` sidecar in xDS mode with
 * explicit ports on loopback, a load loop, the control plane's dashboard URL, and a table refreshed
 * every second with per-route rates, errors and the caller's SPIFFE id as the callee's sidecar
 * vouched for it. Stops on Ctrl-C or after --duration, leaving no process behind.
 */
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, usageErrors, type Command, type CommandIo } from '../../../api/src/command';
import { closeClientConnections, get, recordFailure, startApp } from './apps';
import type * as DemoCommandLines from './commands';
import { freePort, httpStatus, portOpen, runSkein, skeinMain, startSkein, stopChild, waitFor, type Child } from './processes';
import { LiveBlock } from './screen';
import { demoConfigYaml, demoTopology, sidecarEnv, type DemoWorkload } from './topology';
import { renderTable, TrafficCounters, type TrafficSample } from './traffic';

/* eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: it loads the xDS translation, which listing the commands (`skein help`) must not */
const commandLines = () => require('./commands') as typeof DemoCommandLines;

const usage = `Usage: skein demo [--duration 30s] [--concurrency N] [--keep]

Starts a local mesh on this machine, no root needed: a CA, the control plane (local mode), three
services with sidecars (frontend -> reviews v1 80% / v2 20% -> ratings, all calls mTLS between
sidecars), and a load loop. Prints where to look — the dashboard first — then a table every
second: route, version, requests per second, errors (with their codes and flags) and the caller's
SPIFFE id as the callee's sidecar saw it. Ctrl-C stops everything.

  --duration D     stop after D (e.g. 5s, 2m); default: run until Ctrl-C
  --concurrency N  parallel requests of the load loop (default 2, at most 64)
  --keep           keep the working directory (config, CA, logs) after the demo`;

/** `5s`, `250ms`, `2m`, `1h` → ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new UsageError(`--duration: expected a duration like 5s, 2m or 500ms, got "${text}"`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (!(ms >= 1000 && ms <= 24 * 3_600_000)) throw new UsageError(`--duration: must be between 1s and 24h, got "${text}"`);
  return ms;
}

interface Flags {
  durationMs?: number;
  concurrency: number;
  keep: boolean;
}

function flags(args: string[]): Flags {
  const { values } = usageErrors(() => parseArgs({ args, strict: true, allowPositionals: false, options: { duration: { type: 'string' }, concurrency: { type: 'string' }, keep: { type: 'boolean' } } }));
  const concurrency = Number(values.concurrency ?? '2');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency: expected 1-64, got "${values.concurrency}"`);
  return { ...(values.duration !== undefined ? { durationMs: parseDuration(values.duration) } : {}), concurrency, keep: values.keep === true };
}

class Demo {
  private readonly children: Child[] = [];
  private readonly apps: http.Server[] = [];
  readonly counters = new TrafficCounters();
  private stopping = false;

  constructor(private readonly io: CommandIo, readonly dir: string) {}

  /** Starts a child unless the demo is stopping (Ctrl-C during start-up must not leave one behind). */
  private launch(name: string, args: string[], env: Record<string, string>, logDir: string): Child {
    if (this.stopping) throw new Error('stopped during start-up');
    const child = startSkein(name, args, env, logDir);
    this.children.push(child);
    return child;
  }

  private say(line: string): void {
    this.io.stdout.write(`${line}\n`);
  }

  async start(): Promise<{ frontend: DemoWorkload; workloads: DemoWorkload[] }> {
    const pool: number[] = [];
    for (let i = 0; pool.length < 40 && i < 400; i++) {
      const port = await freePort();
      if (!pool.includes(port)) pool.push(port);
    }
    const ports = (): number => {
      const p = pool.shift();
      if (p === undefined) throw new Error('out of free ports');
      return p;
    };
    const topology = demoTopology(ports);
    const xdsPort = ports();
    const monitorPort = ports();
    const caDir = path.join(this.dir, 'ca');
    const configDir = path.join(this.dir, 'config');
    const logDir = path.join(this.dir, 'logs');
    fs.mkdirSync(configDir, { recursive: true });
    fs.mkdirSync(logDir, { recursive: true });

    this.say(`skein demo: working directory ${this.dir}`);
    await runSkein(['ca', 'init', '--dir', caDir]);
    const tokens = await Promise.all(topology.workloads.map((w) => runSkein(['ca', 'token', '--dir', caDir, '--namespace', topology.namespace, '--service-account', w.app, '--ttl', '24h']).then((t) => t.trim())));
    fs.writeFileSync(path.join(configDir, 'mesh.yaml'), demoConfigYaml(topology));

    const cp = this.launch('controlplane', ['controlplane', '--config-dir', configDir, '--ca-dir', caDir, '--xds-host', '127.0.0.1', '--xds-port', String(xdsPort), '--monitor-port', String(monitorPort)], {}, logDir);
    await waitFor('the control plane to be ready', cp, async () => (await httpStatus('127.0.0.1', monitorPort, '/readyz')) === 200, 30_000);

    for (const w of topology.workloads) {
      if (this.stopping) throw new Error('stopped during start-up');
      const app = await startApp(w, this.counters);
      this.apps.push(app);
      if (this.stopping) app.close();
    }
    const rootCert = path.join(caDir, 'root-cert.pem');
    const envs = topology.workloads.map((w) => sidecarEnv(topology, w, `127.0.0.1:${xdsPort}`, rootCert));
    topology.workloads.forEach((w, i) => {
      const env = { ...envs[i]!, SKEIN_JOIN_TOKEN: tokens[i]! };
      this.launch(`proxy-${w.pod}`, ['proxy', '--no-original-dst', '--drain-seconds', '0', '--admin-port', String(w.admin), '--health-port', String(w.health), '--prometheus-port', String(w.prometheus), '--agent-port', String(w.agent)], env, logDir);
    });
    await Promise.all(topology.workloads.map((w, i) => waitFor(`${w.pod}'s sidecar to be ready`, this.children[i + 1]!, async () => (await httpStatus('127.0.0.1', w.health, '/healthz/ready')) === 200, 60_000)));
    const frontend = topology.workloads[0]!;
    await waitFor('the frontend listener', this.children[1]!, () => portOpen(frontend.ip, frontend.inboundPort), 10_000);

    this.say('');
    this.say(`dashboard: http://127.0.0.1:${monitorPort}/`);
    this.say(`control plane   ADS+CA 127.0.0.1:${xdsPort}   monitoring http://127.0.0.1:${monitorPort}/debug/syncz  /metrics  /debug/configz`);
    const { proxyConfigCommand, sidecarNode, skeinInvocation } = commandLines();
    const skein = skeinInvocation(process.cwd(), skeinMain);
    topology.workloads.forEach((w, i) => {
      this.say(`${w.pod.padEnd(12)} app 127.0.0.1:${w.appPort}  sidecar in ${w.ip}:${w.inboundPort}${w.outbound ? `  out 127.0.0.1:${w.outbound.port} -> ${w.outbound.service}:${w.outbound.servicePort}` : ''}`);
      this.say(`${''.padEnd(12)} admin http://127.0.0.1:${w.admin}/config_dump  metrics http://127.0.0.1:${w.prometheus}/stats/prometheus`);
      this.say(`${''.padEnd(12)} ${proxyConfigCommand(skein, configDir, sidecarNode(envs[i]!))}`);
    });
    this.say(`config          ${configDir}/mesh.yaml (edit the VirtualService weights: applied within a second)`);
    this.say(`logs            ${logDir}`);
    this.say('');
    return { frontend, workloads: topology.workloads };
  }

  /** Calls the frontend (through its sidecar's inbound listener) until stopped; bounded per request. */
  async loadLoop(frontend: DemoWorkload, concurrency: number, until: Promise<void>): Promise<void> {
    let done = false;
    void until.then(() => (done = true));
    const worker = async (): Promise<void> => {
      for (let i = 0; !done && i < 10_000_000; i++) {
        try {
          const r = await get(frontend.ip, frontend.inboundPort, 'frontend');
          if (r.status !== 200) recordFailure(this.counters, 'load', 'frontend', r);
        } catch (err) {
          if (!done) recordFailure(this.counters, 'load', 'frontend', err as Error);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    closeClientConnections();
    await Promise.all(this.children.slice(1).map((c) => stopChild(c)));
    if (this.children[0]) await stopChild(this.children[0]);
    await Promise.all(this.apps.map((s) => new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    })));
  }
}

export const demoCommand: Command = {
  path: ['demo'],
  summary: 'run a local mesh (no root): control plane, three services with sidecars, live traffic table',
  usage,
  async run(args, io) {
    const f = flags(args);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-demo-'));
    const demo = new Demo(io, dir);
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const onSignal = (): void => {
      io.stdout.write('\nstopping…\n');
      stop();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let timer: NodeJS.Timeout | undefined;
    let table: NodeJS.Timeout | undefined;
    let code = 0;
    try {
      const { frontend } = await Promise.race([demo.start(), stopped.then(() => undefined)]) ?? {};
      if (frontend) {
        // --duration counts traffic time, not start-up time.
        if (f.durationMs !== undefined) timer = setTimeout(stop, f.durationMs);
        const trafficStart = Date.now();
        const live = new LiveBlock(io.stdout as NodeJS.WriteStream);
        let prev: TrafficSample | undefined;
        let last = Date.now();
        table = setInterval(() => {
          const cur = demo.counters.sample();
          const now = Date.now();
          live.show(`${new Date(now).toISOString()}  (Ctrl-C to stop)\n${renderTable(prev, cur, now - last)}`);
          prev = cur;
          last = now;
        }, 1000);
        await demo.loadLoop(frontend, f.concurrency, stopped);
        clearInterval(table);
        const elapsed = Date.now() - trafficStart;
        io.stdout.write(`\ntotals over ${(elapsed / 1000).toFixed(1)} s (RPS = average)\n${renderTable(undefined, demo.counters.sample(), elapsed)}\n`);
      }
    } catch (err) {
      io.stderr.write(`skein demo: ${(err as Error).message}\n`);
      code = 1;
    } finally {
      clearTimeout(timer);
      clearInterval(table);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await demo.stop();
      if (f.keep) io.stdout.write(`kept ${dir}\n`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
    io.stdout.write(code === 0 ? 'demo stopped; every process it started has exited\n' : '');
    return code;
  },
};

export const demoCommands: Command[] = [demoCommand];
