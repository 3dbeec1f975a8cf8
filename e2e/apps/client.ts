/**
 * The test client, run inside a pod's namespace (as an app UID) by the harness:
 *
 *   node e2e/apps/build/client.js <http|h2|grpc|grpc-stream|ws|tcp> <target>
 *        [--count N] [--duration 5s] [--concurrency C] [--interval 100ms] [--timeout 5s]
 *        [--header name:value]... [--message TEXT] [--method GET]
 *
 * target: a URL for http/h2/ws (`http://web.default:80/path`, `ws://10.77.200.10/chat`),
 * `host:port` for grpc and tcp. Prints one JSON LoadReport on stdout. Exit code 0 when it ran
 * (failures are counted in the report), 2 on bad usage.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import WebSocket from 'ws';
import { EchoService, type EchoRequest } from './grpc-echo';
import { type EchoReply } from './identity';
import { checkLimits, runLoad, type LoadLimits, type Outcome } from './load';

export const Protocols = ['http', 'h2', 'grpc', 'grpc-stream', 'ws', 'tcp'] as const;
export type Protocol = (typeof Protocols)[number];

export interface ClientArgs {
  protocol: Protocol;
  target: string;
  limits: LoadLimits;
  timeoutMs: number;
  headers: Record<string, string>;
  message: string;
  method: string;
}

const usage = 'usage: client <http|h2|grpc|grpc-stream|ws|tcp> <target> [--count N] [--duration 5s] [--concurrency C] [--interval 100ms] [--timeout 5s] [--header name:value]... [--message TEXT] [--method GET]';

/** `500ms`, `5s`, `1m`. */
export function parseMs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!m) throw new Error(`--${flag} must be a duration such as 500ms, 5s or 1m, got "${text}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

export function parseClientArgs(argv: string[]): ClientArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      count: { type: 'string', default: '1' },
      duration: { type: 'string', default: '30s' },
      concurrency: { type: 'string', default: '1' },
      interval: { type: 'string', default: '0ms' },
      timeout: { type: 'string', default: '5s' },
      header: { type: 'string', multiple: true, default: [] },
      message: { type: 'string', default: 'hello' },
      method: { type: 'string', default: 'GET' },
    },
  });
  const [protocol, target, ...extra] = positionals;
  if (!protocol || !target || extra.length > 0) throw new Error('expected exactly two arguments: protocol and target');
  if (!(Protocols as readonly string[]).includes(protocol)) throw new Error(`unknown protocol "${protocol}" (one of ${Protocols.join(', ')})`);
  const headers: Record<string, string> = {};
  for (const h of values.header) {
    const i = h.indexOf(':');
    if (i <= 0) throw new Error(`--header must be name:value, got "${h}"`);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  if (['http', 'h2', 'ws'].includes(protocol)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new Error(`target for ${protocol} must be a URL such as http://web.default/ , got "${target}"`);
    }
    const schemes = protocol === 'ws' ? ['ws:'] : ['http:'];
    if (!schemes.includes(url.protocol)) throw new Error(`target for ${protocol} must use ${schemes.join(' or ')}, got "${url.protocol}"`);
  } else if (!/^[^:\s]+:\d{1,5}$/.test(target)) {
    throw new Error(`target for ${protocol} must be host:port, got "${target}"`);
  }
  return {
    protocol: protocol as Protocol,
    target,
    limits: checkLimits({ count: Number(values.count), durationMs: parseMs('duration', values.duration), concurrency: Number(values.concurrency), intervalMs: parseMs('interval', values.interval) }),
    timeoutMs: parseMs('timeout', values.timeout),
    headers,
    message: values.message,
    method: values.method.toUpperCase(),
  };
}

type Requester = { one(): Promise<Outcome>; close(): void };

function withTimeout<T>(ms: number, start: (done: (e: Error | null, v?: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const cancel = start((e, v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (e) reject(e);
      else resolve(v as T);
    });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      cancel();
      reject(new Error(`timeout after ${ms} ms`));
    }, ms);
  });
}

function parseReply(body: string): EchoReply | undefined {
  try {
    return JSON.parse(body) as EchoReply;
  } catch {
    return undefined;
  }
}

function httpOutcome(status: number, body: string): Outcome {
  const reply = parseReply(body);
  const ok = status >= 200 && status < 300;
  return { ok, status: String(status), reply, error: ok ? undefined : `HTTP ${status}` };
}

function http1Requester(args: ClientArgs): Requester {
  const agent = new http.Agent({ keepAlive: true, maxSockets: args.limits.concurrency });
  return {
    one: () => withTimeout(args.timeoutMs, (done) => {
      const req = http.request(args.target, { method: args.method, headers: args.headers, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => done(null, httpOutcome(res.statusCode ?? 0, body)));
        res.on('error', done);
      });
      req.on('error', done);
      req.end();
      return () => req.destroy();
    }),
    close: () => agent.destroy(),
  };
}

function h2Requester(args: ClientArgs): Requester {
  const url = new URL(args.target);
  let session: http2.ClientHttp2Session | undefined;
  const connect = () => {
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(url.origin);
      session.on('error', () => undefined); // surfaced per request
    }
    return session;
  };
  return {
    one: () => withTimeout(args.timeoutMs, (done) => {
      const stream = connect().request({ ':method': args.method, ':path': `${url.pathname}${url.search}`, ...args.headers }, { endStream: true });
      let status = 0;
      let body = '';
      stream.setEncoding('utf8');
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.on('data', (c: string) => (body += c));
      stream.on('end', () => done(null, httpOutcome(status, body)));
      stream.on('error', done);
      return () => stream.close(http2.constants.NGHTTP2_CANCEL);
    }),
    close: () => session?.destroy(),
  };
}

const EchoClient = grpc.makeGenericClientConstructor(EchoService, 'Echo');
/** The generic client's methods, typed (the constructor only knows `[method: string]: Function`). */
interface EchoClientApi {
  echo(request: EchoRequest, metadata: grpc.Metadata, callback: (e: grpc.ServiceError | null, reply: EchoReply) => void): grpc.ClientUnaryCall;
  stream(request: EchoRequest, metadata: grpc.Metadata): grpc.ClientReadableStream<EchoReply>;
  close(): void;
}

function grpcRequester(args: ClientArgs, streaming: boolean): Requester {
  const client = new EchoClient(args.target, grpc.credentials.createInsecure()) as unknown as EchoClientApi;
  const metadata = () => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(args.headers)) md.set(k, v);
    return md;
  };
  const failure = (e: grpc.ServiceError): Outcome => ({ ok: false, status: grpc.status[e.code] ?? String(e.code), error: `${grpc.status[e.code]}: ${e.details}` });
  const request: EchoRequest = { message: args.message, count: 3 };
  return {
    one: () => withTimeout(args.timeoutMs, (done) => {
      if (!streaming) {
        const call = client.echo(request, metadata(), (e, reply) => {
          done(null, e ? failure(e) : { ok: true, status: 'OK', reply });
        });
        return () => call.cancel();
      }
      const call = client.stream(request, metadata());
      const replies: EchoReply[] = [];
      call.on('data', (r: EchoReply) => replies.push(r));
      call.on('error', (e: grpc.ServiceError) => done(null, failure(e)));
      call.on('end', () => done(null, replies.length === request.count ? { ok: true, status: 'OK', reply: replies[0] } : { ok: false, error: `stream ended after ${replies.length} of ${request.count} messages` }));
      return () => call.cancel();
    }),
    close: () => client.close(),
  };
}

function wsRequester(args: ClientArgs): Requester {
  return {
    one: () => withTimeout(args.timeoutMs, (done) => {
      const ws = new WebSocket(args.target, { headers: args.headers });
      ws.on('open', () => ws.send(args.message));
      ws.on('message', (data) => {
        const reply = parseReply(String(data));
        ws.close();
        done(null, reply?.echo === args.message ? { ok: true, reply } : { ok: false, error: `unexpected WebSocket reply: ${String(data).slice(0, 200)}` });
      });
      ws.on('unexpected-response', (_req, res) => done(null, { ok: false, status: String(res.statusCode), error: `upgrade refused: HTTP ${res.statusCode}` }));
      ws.on('error', done);
      return () => ws.terminate();
    }),
    close: () => undefined,
  };
}

function tcpRequester(args: ClientArgs): Requester {
  const i = args.target.lastIndexOf(':');
  const host = args.target.slice(0, i);
  const port = Number(args.target.slice(i + 1));
  return {
    one: () => withTimeout(args.timeoutMs, (done) => {
      const socket = net.connect(port, host);
      let data = '';
      let reply: EchoReply | undefined;
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        data += chunk;
        if (!reply) {
          const nl = data.indexOf('\n');
          if (nl < 0) return;
          reply = parseReply(data.slice(0, nl));
          data = data.slice(nl + 1);
          if (!reply) return done(null, { ok: false, error: 'TCP greeting is not JSON' });
          socket.write(args.message);
        }
        if (data.length >= args.message.length) {
          socket.end();
          done(null, data === args.message ? { ok: true, reply } : { ok: false, error: `TCP echo mismatch: ${data.slice(0, 200)}` });
        }
      });
      socket.on('end', () => done(null, { ok: false, error: reply ? 'connection closed before the echo' : 'connection closed before the greeting' }));
      socket.on('error', done);
      return () => socket.destroy();
    }),
    close: () => undefined,
  };
}

export function requester(args: ClientArgs): Requester {
  switch (args.protocol) {
    case 'http': return http1Requester(args);
    case 'h2': return h2Requester(args);
    case 'grpc': return grpcRequester(args, false);
    case 'grpc-stream': return grpcRequester(args, true);
    case 'ws': return wsRequester(args);
    case 'tcp': return tcpRequester(args);
  }
}

async function main(): Promise<void> {
  let args: ClientArgs;
  try {
    args = parseClientArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`client: ${(e as Error).message}\n${usage}\n`);
    process.exit(2);
  }
  const r = requester(args);
  const report = await runLoad(() => r.one(), args.limits, () => Date.now());
  r.close();
  process.stdout.write(`${JSON.stringify({ protocol: args.protocol, target: args.target, ...report })}\n`);
  process.exit(0);
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`client: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
