/**
 * Probes as the kubelet executes them, from the node (HTTP, TCP and gRPC connect from the node's
 * network namespace to the pod IP through the node's dialer; exec runs inside the container),
 * and the probe worker's timing: a first probe when the container starts, then one every
 * periodSeconds, none before initialDelaySeconds, readiness and liveness only once the container
 * has started, startup only until it has, each bounded by timeoutSeconds.
 */
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import tls from 'node:tls';
import { type ProbeAction, type ProbePlan, ProbeTracker, ProbeUserAgent } from './core/probe';

export type Dialer = (host: string, port: number, timeoutMs: number) => Promise<net.Socket>;

export interface ProbeOutcome {
  ok: boolean;
  /** Why it failed (for the Unhealthy event). */
  message: string;
}

export interface ProbeTarget {
  podIP: string;
  dial: Dialer;
  exec(command: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }>;
}

async function connect(target: ProbeTarget, host: string | undefined, port: number, timeoutMs: number, tlsWanted: boolean, opened: Opened): Promise<net.Socket> {
  const socket = await target.dial(host ?? target.podIP, port, timeoutMs);
  opened.push(socket);
  if (!tlsWanted) return socket;
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket, rejectUnauthorized: false, servername: host && !/^[\d.]+$/.test(host) ? host : undefined }, () => resolve(secure));
    opened.push(secure);
    secure.once('error', reject);
  });
}

/** Sockets a probe opened, closed whatever the outcome (a hanging server must not leak them). */
type Opened = net.Socket[];

async function withTimeout<T>(what: string, timeoutMs: number, work: (opened: Opened) => Promise<T>): Promise<T> {
  const opened: Opened = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what}: timeout after ${timeoutMs / 1000}s`)), timeoutMs)));
  try {
    return await Promise.race([work(opened), timeout]);
  } finally {
    clearTimeout(timer);
    for (const s of opened) s.destroy();
  }
}

async function httpProbe(target: ProbeTarget, a: Extract<ProbeAction, { type: 'http' }>, timeoutMs: number, opened: Opened): Promise<ProbeOutcome> {
  const host = a.host ?? target.podIP;
  const url = `${a.scheme.toLowerCase()}://${host}:${a.port}${a.path}`;
  const socket = await connect(target, a.host, a.port, timeoutMs, a.scheme === 'HTTPS', opened);
  const headers: Record<string, string> = { 'user-agent': ProbeUserAgent, accept: '*/*', connection: 'close' };
  for (const [name, value] of a.headers) headers[name.toLowerCase()] = value;
  return new Promise((resolve, reject) => {
    const req = http.request({ createConnection: () => socket, method: 'GET', path: a.path, headers: { host: `${host}:${a.port}`, ...headers } }, (res) => {
      let read = 0;
      res.on('data', (c: Buffer) => {
        read += c.length;
        if (read > 10 * 1024) res.destroy();
      });
      res.on('close', () => socket.destroy());
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('error', (e) => reject(new Error(`Get "${url}": ${e.message}`)));
    req.end();
  });
}

async function grpcProbe(target: ProbeTarget, a: Extract<ProbeAction, { type: 'grpc' }>, timeoutMs: number, opened: Opened): Promise<ProbeOutcome> {
  const socket = await connect(target, undefined, a.port, timeoutMs, false, opened);
  const session = http2.connect(`http://${target.podIP}:${a.port}`, { createConnection: () => socket });
  try {
    const service = Buffer.from(a.service);
    // HealthCheckRequest { string service = 1; } in a gRPC frame.
    const message = service.length > 0 ? Buffer.concat([Buffer.from([0x0a, service.length]), service]) : Buffer.alloc(0);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
    const stream = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers', 'user-agent': ProbeUserAgent });
    const chunks: Buffer[] = [];
    const result = await new Promise<{ grpcStatus: string | undefined; body: Buffer }>((resolve, reject) => {
      let grpcStatus: string | undefined;
      stream.on('response', (h) => (grpcStatus = h['grpc-status'] as string | undefined ?? grpcStatus));
      stream.on('trailers', (h) => (grpcStatus = h['grpc-status'] as string | undefined));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ grpcStatus, body: Buffer.concat(chunks) }));
      stream.on('error', reject);
      stream.end(frame);
    });
    if (result.grpcStatus !== '0') return { ok: false, message: `rpc error: code = ${result.grpcStatus ?? 'unknown'}` };
    // HealthCheckResponse { ServingStatus status = 1; } — SERVING is 1.
    const payload = result.body.subarray(5);
    const serving = payload.length >= 2 && payload[0] === 0x08 && payload[1] === 1;
    return serving ? { ok: true, message: '' } : { ok: false, message: `service unhealthy (responded with "${payload[1] === 2 ? 'NOT_SERVING' : 'UNKNOWN'}")` };
  } finally {
    session.destroy();
  }
}

/** Runs one probe; any error is a failed probe with its message. */
export async function runProbe(target: ProbeTarget, plan: Pick<ProbePlan, 'action' | 'timeoutSeconds'>): Promise<ProbeOutcome> {
  const timeoutMs = plan.timeoutSeconds * 1000;
  const a = plan.action;
  try {
    switch (a.type) {
      case 'http':
        return await withTimeout(`Get "${a.scheme.toLowerCase()}://${a.host ?? target.podIP}:${a.port}${a.path}"`, timeoutMs, (opened) => httpProbe(target, a, timeoutMs, opened));
      case 'tcp':
        return await withTimeout(`dial tcp ${a.host ?? target.podIP}:${a.port}`, timeoutMs, async (opened) => {
          opened.push(await target.dial(a.host ?? target.podIP, a.port, timeoutMs));
          return { ok: true, message: '' };
        });
      case 'grpc':
        return await withTimeout(`grpc probe :${a.port}`, timeoutMs, (opened) => grpcProbe(target, a, timeoutMs, opened));
      case 'exec': {
        const r = await target.exec(a.command, timeoutMs);
        if (r.timedOut) return { ok: false, message: `command timed out after ${plan.timeoutSeconds}s` };
        return r.code === 0 ? { ok: true, message: '' } : { ok: false, message: `command ${JSON.stringify(a.command)} exited with ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 200)}` };
      }
    }
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

export interface ProbeWorkerOptions {
  plan: ProbePlan;
  target: ProbeTarget;
  /** When the container started (initialDelaySeconds counts from here). */
  startedAt: number;
  /** Whether the container has started (startup probe passed or none). */
  isStarted: () => boolean;
  onResult: (tracker: ProbeTracker, outcome: ProbeOutcome, changed: boolean) => void;
  now?: () => number;
}

/** One probe of one container instance, ticking every periodSeconds until stopped. */
export class ProbeWorker {
  readonly tracker: ProbeTracker;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private busy = false;

  constructor(private readonly o: ProbeWorkerOptions) {
    this.tracker = new ProbeTracker(o.plan);
  }

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.o.plan.periodSeconds * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.busy || this.tracker.onHold) return;
    const { plan } = this.o;
    const started = this.o.isStarted();
    if (plan.kind === 'startup' ? started : !started) return;
    const now = (this.o.now ?? Date.now)();
    if (Math.floor((now - this.o.startedAt) / 1000) < plan.initialDelaySeconds) return;
    this.busy = true;
    try {
      const outcome = await runProbe(this.o.target, plan);
      if (this.stopped) return;
      const changed = this.tracker.record(outcome.ok);
      this.o.onResult(this.tracker, outcome, changed);
    } finally {
      this.busy = false;
    }
  }
}
