/**
 * Sidecar pair benchmark: client → [client sidecar] → mTLS → [server sidecar] → app (nginx
 * returning a small body), for HTTP/1.1 (L7) and opaque TCP (L4), comparing:
 *   direct (no proxies) | Skein pair | HAProxy pair | nginx pair
 * Each pair is configured as the same mTLS sidecar pair (client certs required and verified,
 * keep-alive/pooled upstream connections, one worker/thread each), configs generated into a temp dir.
 * Reports max rps and latency (wrk, 32 connections), p50/p99 at a fixed 1000 rps (own bounded
 * loop), and CPU seconds and RSS (idle, and after the load) of the proxy processes.
 *
 * `npm run bench proxy` (needs wrk, haproxy, nginx, openssl). BENCH_SECONDS overrides the 5 s runs;
 * BENCH_SKEIN_NODE_ARGS adds node flags to the Skein proxies (profiling, heap flags); BENCH_SKEIN_CLI runs
 * another build's `dist/cli/src/main.js` (A/B runs of two builds);
 * BENCH_MODES=http,tcp and BENCH_PAIRS=direct,skein,skein-resilience,haproxy,nginx,node-pipe select a subset
 * (`skein-resilience`: the Skein pair with retries, retry budget and outlier detection on; `node-pipe`,
 * TCP only: the minimal Node net/tls relay pair of bench/node-pipe-relay.ts, Node's floor at L4). The table is
 * printed and saved with the raw rows as JSON under bench/results/ (git-ignored).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestCa } from '../proxy/src/testing/certs';
import { clientId, inboundConfig, outboundConfig, serverId } from '../proxy/src/testing/mesh';
import { ProxyNodeOptions } from '../webhook/src/core/template';

const seconds = Number(process.env.BENCH_SECONDS ?? '5');
const connections = 32;
const fixedRate = 1000;
const fixedSeconds = 3;
const onlyModes = (process.env.BENCH_MODES ?? 'http,tcp').split(',');
const onlyPairs = (process.env.BENCH_PAIRS ?? 'direct,skein,skein-resilience,haproxy,nginx,node-pipe').split(',');
/**
 * Node flags of the Skein proxies: the injected sidecar's NODE_OPTIONS (heap sizing), then any extra
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them under load).
 */
const skeinNodeArgs = `${ProxyNodeOptions} ${process.env.BENCH_SKEIN_NODE_ARGS ?? ''}`.split(' ').filter(Boolean);

interface Running {
  port: number;
  pids: () => number[];
  stop(): Promise<void>;
}

interface Row {
  mode: string;
  pair: string;
  rps: number;
  wrkP50: number;
  wrkP99: number;
  fixedP50: number;
  fixedP99: number;
  fixedErrors: number;
  cpuSeconds: number;
  userSeconds: number;
  /** After the first request, before any load: what a quiet sidecar pair costs. */
  idleRssMb: number;
  rssMb: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

/** Every process the bench started, so a failed start still cleans up. */
const children = new Set<ChildProcess>();

function startProcess(cmd: string, args: string[], logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  children.add(child);
  child.on('exit', () => {
    children.delete(child);
    fs.closeSync(log);
  });
  return child;
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The process and its children (nginx workers). */
function processTree(pid: number): number[] {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...kids.flatMap(processTree)];
  } catch {
    return [pid];
  }
}

/** CPU seconds of the processes: user + system (`total`) and `user` alone (the rest is kernel: syscalls, loopback TCP). */
function cpuSeconds(pids: number[]): { total: number; user: number } {
  let ticks = 0;
  let userTicks = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      userTicks += Number(fields[11]);
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // process gone
    }
  }
  return { total: ticks / 100, user: userTicks / 100 };
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // process gone
    }
  }
  return kb / 1024;
}

function wrk(port: number, durationS: number): Promise<{ rps: number; p50: number; p99: number }> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', `http://127.0.0.1:${port}/`], { timeout: (durationS + 30) * 1000 }, (err, stdout) => {
      if (err) return reject(new Error(`wrk failed: ${err.message}`));
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
      const ms = (label: string): number => {
        const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(stdout);
        if (!m) return NaN;
        const v = Number(m[1]);
        return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
      };
      const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
      if (errors) process.stderr.write(`  wrk: ${errors[0]}\n`);
      resolve({ rps, p50: ms('50'), p99: ms('99') });
    });
  });
}

/** Requests at a fixed rate (bounded: rate × seconds requests, and a deadline); latency from send to last byte. */
async function fixedRateLatency(port: number, runSeconds = fixedSeconds): Promise<{ p50: number; p99: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const total = fixedRate * runSeconds;
  const latencies: number[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const deadline = start + (runSeconds + 10) * 1000;
  let sent = 0;
  const one = (): Promise<void> => new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - t0);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.setTimeout(5000, () => req.destroy());
  });
  while (sent < total && performance.now() < deadline) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * fixedRate));
    while (sent < due) {
      pending.push(one());
      sent++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { p50: pct(50), p99: pct(99), errors };
}

interface Files {
  dir: string;
  ca: string;
  clientCrt: string;
  clientKey: string;
  clientPem: string;
  serverCrt: string;
  serverKey: string;
  serverPem: string;
}

function writeCerts(dir: string): Files {
  const ca = createTestCa('bench-root');
  try {
    const client = ca.issue(clientId, 1, ['localhost']);
    const server = ca.issue(serverId, 1, ['localhost']);
    const f = (name: string, text: string): string => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, text, { mode: 0o600 });
      return p;
    };
    return {
      dir,
      ca: f('ca.pem', ca.certPem),
      clientCrt: f('client.crt', client.certChainPem),
      clientKey: f('client.key', client.privateKeyPem),
      clientPem: f('client.pem', client.certChainPem + client.privateKeyPem),
      serverCrt: f('server.crt', server.certChainPem),
      serverKey: f('server.key', server.privateKeyPem),
      serverPem: f('server.pem', server.certChainPem + server.privateKeyPem),
    };
  } finally {
    ca.dispose();
  }
}

async function startNginx(dir: string, name: string, body: string): Promise<ChildProcess> {
  const conf = path.join(dir, `${name}.conf`);
  fs.writeFileSync(conf, `worker_processes 1;
daemon off;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/${name}-body;
  proxy_temp_path ${dir}/${name}-proxy;
  fastcgi_temp_path ${dir}/${name}-fcgi;
  uwsgi_temp_path ${dir}/${name}-uwsgi;
  scgi_temp_path ${dir}/${name}-scgi;
  keepalive_requests 1000000;
${body}
}
`);
  return startProcess('nginx', ['-c', conf, '-p', dir], path.join(dir, `${name}.log`));
}

async function startApp(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = await startNginx(dir, 'app', `  server { listen 127.0.0.1:${port}; location / { return 200 "hello from the app, a small body\\n"; } }`);
  await waitForPort(port);
  return { port, child };
}

/**
 * `resilient`: the client sidecar's route retries (Istio's default policy: 2 retries on
 * connect-failure, refused-stream, unavailable, cancelled, 503) and its cluster runs outlier
 * detection — the happy-path cost of resilience (pair `skein-resilience`).
 */
async function skeinPair(files: Files, appPort: number, mode: 'http' | 'tcp', resilient = false): Promise<Running> {
  const [outPort, inPort, ...adminPorts] = await Promise.all(Array.from({ length: 8 }, freePort));
  const server = inboundConfig({ appPort, protocol: mode });
  server.listeners[0]!.port = inPort!;
  const client = outboundConfig({ upstreams: [{ subset: 'v1', ports: [inPort!] }], protocol: mode });
  client.listeners[0]!.port = outPort!;
  if (resilient) {
    const retryPolicy = { retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'], retriableStatusCodes: [503], numRetries: 2 };
    for (const vh of client.routeConfigs[0]?.virtualHosts ?? []) for (const r of vh.routes) if (r.action.kind === 'route') r.action.retryPolicy = retryPolicy;
    client.clusters[0]!.outlierDetection = { consecutive5xx: 5, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 10 };
    client.clusters[0]!.circuitBreakers = { retryBudget: { budgetPercent: 20, minRetryConcurrency: 3 } };
  }
  const cli = process.env.BENCH_SKEIN_CLI ?? path.join(__dirname, '..', 'cli', 'src', 'main.js');
  const start = (name: string, cfg: unknown, crt: string, key: string, ports: number[]): ChildProcess => {
    const file = path.join(files.dir, `skein-${name}.json`);
    fs.writeFileSync(file, JSON.stringify(cfg));
    return startProcess(process.execPath, [...skeinNodeArgs, cli, 'proxy', '--static-config', file, '--cert', crt, '--key', key, '--ca', files.ca, '--admin-port', String(ports[0]), '--health-port', String(ports[1]), '--prometheus-port', String(ports[2]), '--drain-seconds', '0'], path.join(files.dir, `skein-${name}.log`));
  };
  const s = start('server', server, files.serverCrt, files.serverKey, adminPorts.slice(0, 3));
  const c = start('client', client, files.clientCrt, files.clientKey, adminPorts.slice(3, 6));
  await Promise.all([waitForPort(inPort!), waitForPort(outPort!)]);
  return { port: outPort!, pids: () => [c.pid!, s.pid!], stop: async () => void (await Promise.all([stopProcess(c), stopProcess(s)])) };
}

async function haproxyPair(files: Files, appPort: number, mode: 'http' | 'tcp'): Promise<Running> {
  const [outPort, inPort] = await Promise.all([freePort(), freePort()]);
  const conf = (name: string, body: string): string => {
    const p = path.join(files.dir, `haproxy-${name}.cfg`);
    fs.writeFileSync(p, `global
  nbthread 1
  maxconn 4096
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode ${mode}
  timeout connect 5s
  timeout client 60s
  timeout server 60s
${mode === 'http' ? '  option http-keep-alive\n  http-reuse always\n' : ''}${body}
`);
    return p;
  };
  const client = conf('client', `frontend out
  bind 127.0.0.1:${outPort}
  default_backend up
backend up
  server s1 127.0.0.1:${inPort} ssl crt ${files.clientPem} ca-file ${files.ca} verify required verifyhost localhost${mode === 'http' ? ' alpn http/1.1' : ''}`);
  const server = conf('server', `frontend in
  bind 127.0.0.1:${inPort} ssl crt ${files.serverPem} ca-file ${files.ca} verify required${mode === 'http' ? ' alpn http/1.1' : ''}
  default_backend app
backend app
  server app 127.0.0.1:${appPort}`);
  const c = startProcess('haproxy', ['-db', '-f', client], path.join(files.dir, 'haproxy-client.log'));
  const s = startProcess('haproxy', ['-db', '-f', server], path.join(files.dir, 'haproxy-server.log'));
  await Promise.all([waitForPort(inPort!), waitForPort(outPort!)]);
  return { port: outPort!, pids: () => [c.pid!, s.pid!], stop: async () => void (await Promise.all([stopProcess(c), stopProcess(s)])) };
}

/** The minimal Node relay pair (bench/node-pipe-relay.ts): Node's own floor for an L4 mTLS sidecar. */
async function nodePipePair(files: Files, appPort: number): Promise<Running> {
  const [outPort, inPort] = await Promise.all([freePort(), freePort()]);
  const script = path.join(__dirname, 'node-pipe-relay.js');
  const s = startProcess(process.execPath, [...skeinNodeArgs, script, 'server', String(inPort), String(appPort), files.serverCrt, files.serverKey, files.ca], path.join(files.dir, 'node-pipe-server.log'));
  const c = startProcess(process.execPath, [...skeinNodeArgs, script, 'client', String(outPort), String(inPort), files.clientCrt, files.clientKey, files.ca], path.join(files.dir, 'node-pipe-client.log'));
  await Promise.all([waitForPort(inPort!), waitForPort(outPort!)]);
  return { port: outPort!, pids: () => [c.pid!, s.pid!], stop: async () => void (await Promise.all([stopProcess(c), stopProcess(s)])) };
}

async function nginxPair(files: Files, appPort: number, mode: 'http' | 'tcp'): Promise<Running> {
  const [outPort, inPort] = await Promise.all([freePort(), freePort()]);
  const tlsUp = `proxy_ssl_certificate ${files.clientCrt}; proxy_ssl_certificate_key ${files.clientKey}; proxy_ssl_trusted_certificate ${files.ca}; proxy_ssl_verify on; proxy_ssl_name localhost; proxy_ssl_session_reuse on;`;
  const tlsDown = `ssl_certificate ${files.serverCrt}; ssl_certificate_key ${files.serverKey}; ssl_client_certificate ${files.ca}; ssl_verify_client on; ssl_protocols TLSv1.2 TLSv1.3;`;
  let c: ChildProcess;
  let s: ChildProcess;
  if (mode === 'http') {
    c = await startNginx(files.dir, 'nginx-client', `  upstream up { server 127.0.0.1:${inPort}; keepalive 64; }
  server { listen 127.0.0.1:${outPort}; location / { proxy_pass https://up; proxy_http_version 1.1; proxy_set_header Connection ""; ${tlsUp} } }`);
    s = await startNginx(files.dir, 'nginx-server', `  upstream app { server 127.0.0.1:${appPort}; keepalive 64; }
  server { listen 127.0.0.1:${inPort} ssl; ${tlsDown} location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } }`);
  } else {
    if (!nginxHasStream()) throw new Error('n/a: this nginx has no stream module (L4 proxying)');
    // nginx `stream` has no upstream keepalive (none is possible at L4): one TLS connection per client connection, like every L4 pair.
    const stream = (name: string, body: string): Promise<ChildProcess> => {
      const conf = path.join(files.dir, `${name}.conf`);
      fs.writeFileSync(conf, `worker_processes 1;\ndaemon off;\npid ${files.dir}/${name}.pid;\nerror_log ${files.dir}/${name}.error.log warn;\nevents { worker_connections 4096; }\nstream {\n${body}\n}\n`);
      return Promise.resolve(startProcess('nginx', ['-c', conf, '-p', files.dir], path.join(files.dir, `${name}.log`)));
    };
    c = await stream('nginx-client', `  server { listen 127.0.0.1:${outPort}; proxy_pass 127.0.0.1:${inPort}; proxy_ssl on; ${tlsUp} }`);
    s = await stream('nginx-server', `  server { listen 127.0.0.1:${inPort} ssl; ${tlsDown} proxy_pass 127.0.0.1:${appPort}; }`);
  }
  await Promise.all([waitForPort(inPort!), waitForPort(outPort!)]);
  return { port: outPort!, pids: () => [...processTree(c.pid!), ...processTree(s.pid!)], stop: async () => void (await Promise.all([stopProcess(c), stopProcess(s)])) };
}

function nginxHasStream(): boolean {
  try {
    return fs.readdirSync('/usr/lib/nginx/modules').some((m) => m.includes('stream'));
  } catch {
    return false;
  }
}

async function direct(appPort: number): Promise<Running> {
  return { port: appPort, pids: () => [], stop: async () => undefined };
}

async function measure(mode: string, pair: string, running: Running): Promise<Row> {
  const ok = await new Promise<boolean>((resolve) => {
    http.get({ host: '127.0.0.1', port: running.port, path: '/' }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
  if (!ok) throw new Error(`${pair} ${mode}: the pair does not answer 200; see its logs`);
  const idleRss = rssMb(running.pids());
  await wrk(running.port, 3); // warm-up (Node's JIT needs a few seconds to reach steady state)
  const pids = running.pids();
  const before = cpuSeconds(pids);
  const w = await wrk(running.port, seconds);
  const after = cpuSeconds(pids);
  const rss = rssMb(running.pids());
  await fixedRateLatency(running.port, 1); // warm-up at the fixed rate: pools/connections for this concurrency
  const f = await fixedRateLatency(running.port);
  return { mode, pair, rps: w.rps, wrkP50: w.p50, wrkP99: w.p99, fixedP50: f.p50, fixedP99: f.p99, fixedErrors: f.errors, cpuSeconds: after.total - before.total, userSeconds: after.user - before.user, idleRssMb: idleRss, rssMb: rss };
}

function table(rows: Row[]): string {
  const head = ['mode', 'pair', 'rps', 'x direct', 'x haproxy', 'wrk p50 ms', 'wrk p99 ms', `p50 ms @${fixedRate}`, `p99 ms @${fixedRate}`, 'CPU s (both)', 'µs CPU/req', 'µs user/req', 'idle RSS MB (both)', 'RSS MB (both)'];
  const lines = rows.map((r) => {
    const base = rows.find((x) => x.mode === r.mode && x.pair === 'direct');
    const ha = rows.find((x) => x.mode === r.mode && x.pair === 'haproxy');
    const perReq = (cpu: number): string => (r.pair === 'direct' ? '-' : ((cpu * 1e6) / (r.rps * seconds)).toFixed(0));
    return [r.mode, r.pair, r.rps.toFixed(0), base ? (r.rps / base.rps).toFixed(2) : '-', ha ? (r.rps / ha.rps).toFixed(2) : '-', r.wrkP50.toFixed(2), r.wrkP99.toFixed(2), r.fixedP50.toFixed(2), r.fixedP99.toFixed(2) + (r.fixedErrors ? ` (${r.fixedErrors} err)` : ''), r.pair === 'direct' ? '-' : r.cpuSeconds.toFixed(2), perReq(r.cpuSeconds), perReq(r.userSeconds), r.pair === 'direct' ? '-' : r.idleRssMb.toFixed(0), r.pair === 'direct' ? '-' : r.rssMb.toFixed(0)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

function saveResults(rows: Row[]): void {
  const dir = path.join(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `proxy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ cores: os.cpus().length, connections, seconds, fixedRate, fixedSeconds, node: process.version, rows }, null, 2));
  console.log(`saved ${path.relative(process.cwd(), file)}`);
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-bench-proxy-'));
  const files = writeCerts(dir);
  const app = await startApp(dir);
  const rows: Row[] = [];
  try {
    console.log(`cores: ${os.cpus().length}, wrk -t1 -c${connections} -d${seconds}s; fixed rate ${fixedRate} rps for ${fixedSeconds}s; configs in ${dir}`);
    for (const mode of (['http', 'tcp'] as const).filter((m) => onlyModes.includes(m))) {
      const pairs: [string, () => Promise<Running>][] = [
        ['direct', () => direct(app.port)],
        ['skein', () => skeinPair(files, app.port, mode)],
        ...(mode === 'http' ? [['skein-resilience', () => skeinPair(files, app.port, mode, true)] as [string, () => Promise<Running>]] : []),
        ['haproxy', () => haproxyPair(files, app.port, mode)],
        ['nginx', () => nginxPair(files, app.port, mode)],
        ...(mode === 'tcp' ? [['node-pipe', () => nodePipePair(files, app.port)] as [string, () => Promise<Running>]] : []),
      ];
      for (const [name, start] of pairs.filter(([n]) => onlyPairs.includes(n))) {
        const directHttp = rows.find((r) => r.pair === 'direct');
        if (mode === 'tcp' && name === 'direct' && directHttp) {
          rows.push({ ...directHttp, mode });
          continue;
        }
        let running: Running | undefined;
        try {
          running = await start();
          rows.push(await measure(mode, name, running));
          process.stderr.write(`  done: ${mode} ${name}\n`);
        } catch (err) {
          console.log(`  ${mode} ${name}: ${(err as Error).message}`);
        } finally {
          await running?.stop();
          await Promise.all([...children].filter((c) => c !== app.child).map(stopProcess));
        }
      }
    }
    console.log(table(rows));
    saveResults(rows);
  } finally {
    await stopProcess(app.child);
    if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
}
