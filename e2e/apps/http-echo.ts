/**
 * HTTP echo on one port: HTTP/1.1, h2c (prior knowledge, detected by the connection preface) and
 * WebSocket upgrades. Replies with an EchoReply as JSON. Per-request control for fault journeys:
 * `x-echo-status: 503` answers with that status, `x-echo-delay-ms: 500` answers late.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { FlakyCounter, type FlakyPolicy } from './flaky';
import { callerSpiffeId, plainAddress, type EchoReply, type ServerIdentity } from './identity';

const Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const MaxDelayMs = 60_000;

type Headers = Record<string, string | string[] | undefined>;

function plainHeaders(headers: Headers): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string | string[]] => e[1] !== undefined && !e[0].startsWith(':')));
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Feeds a socket whose first bytes were already read to the HTTP/2 server. http2 reads from the
 * native handle and would miss bytes put back with unshift(), so it gets a JS stream instead.
 */
function replayed(socket: net.Socket, head: Buffer): Duplex & { remoteAddress?: string } {
  const stream: Duplex & { remoteAddress?: string } = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _enc, cb) => void socket.write(chunk, cb),
    final: (cb) => {
      socket.end();
      cb();
    },
    destroy: (err, cb) => {
      socket.destroy();
      cb(err);
    },
  });
  stream.remoteAddress = socket.remoteAddress;
  stream.push(head);
  socket.on('data', (chunk) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (e) => stream.destroy(e));
  socket.on('close', () => stream.destroy());
  return stream;
}

export interface HttpEchoOptions {
  port: number;
  host: string;
  identity: ServerIdentity;
  policy: FlakyPolicy;
}

/** A running echo listener: the port it bound (useful with port 0) and how to stop it. */
export interface EchoListener {
  port: number;
  close(): Promise<void>;
}

export async function startHttpEcho(options: HttpEchoOptions): Promise<EchoListener> {
  const flaky = new FlakyCounter(options.policy);
  const delayed = new Set<NodeJS.Timeout>();

  function reply(
    protocol: 'http/1.1' | 'h2',
    req: { method?: string; url?: string; headers: Headers },
    remoteAddress: string | undefined,
    res: { writeHead(status: number, headers: Record<string, string>): unknown; end(body: string): unknown; on(e: 'close', l: () => void): unknown },
  ): void {
    const v = flaky.next();
    if (v === 'hang') return; // the connection stays open until the client or close() ends it
    const body: EchoReply = {
      ...options.identity,
      protocol,
      method: req.method,
      path: req.url,
      authority: first(req.headers[':authority']) ?? first(req.headers.host),
      headers: plainHeaders(req.headers),
      callerSpiffeId: callerSpiffeId(req.headers['x-forwarded-client-cert']),
      remoteAddress: plainAddress(remoteAddress),
    };
    const asked = Number(first(req.headers['x-echo-status']));
    const status = v === 'fail' ? 503 : asked >= 200 && asked <= 599 ? asked : 200;
    const delay = Math.min(MaxDelayMs, Math.max(0, Number(first(req.headers['x-echo-delay-ms'])) || 0));
    const send = () => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-echo-version': options.identity.version });
      res.end(JSON.stringify(body));
    };
    if (delay === 0) return send();
    const timer = setTimeout(() => {
      delayed.delete(timer);
      send();
    }, delay);
    delayed.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      delayed.delete(timer);
    });
  }

  const h1 = http.createServer((req, res) => reply('http/1.1', req, req.socket.remoteAddress, res));
  const h2 = http2.createServer((req, res) => {
    const socket = req.stream.session?.socket as unknown as { stream?: { remoteAddress?: string } } | undefined;
    reply('h2', req, socket?.stream?.remoteAddress, res);
  });
  const wss = new WebSocketServer({ server: h1 });
  wss.on('connection', (ws, req) => {
    const base = { ...options.identity, protocol: 'ws' as const, path: req.url, headers: plainHeaders(req.headers) };
    const caller = callerSpiffeId(req.headers['x-forwarded-client-cert']);
    ws.on('message', (data) => {
      const echo: EchoReply = { ...base, callerSpiffeId: caller, remoteAddress: plainAddress(req.socket.remoteAddress), echo: String(data) };
      ws.send(JSON.stringify(echo));
    });
  });

  const server = net.createServer((socket) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, Preface.length);
      const isH2 = head.subarray(0, n).equals(Preface.subarray(0, n));
      if (isH2 && head.length < Preface.length) return;
      socket.removeListener('data', onData);
      socket.pause();
      if (isH2) {
        h2.emit('connection', replayed(socket, head));
      } else {
        socket.unshift(head);
        h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const timer of delayed) clearTimeout(timer);
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
