/**
 * Small real apps for integration tests: an HTTP/1.1 echo server that reports what it received
 * (method, path, headers incl. XFCC, body size) and who it is; an h2c echo server; a TCP echo.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Echo {
  app: string;
  method: string;
  path: string;
  headers: Record<string, unknown>;
  bodyBytes: number;
  remoteAddress: string;
  httpVersion: string;
}

export interface RunningApp {
  port: number;
  close(): Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closer(server: net.Server & { closeAllConnections?: () => void }, sockets?: Set<net.Socket>): () => Promise<void> {
  return () => new Promise((resolve) => {
    server.closeAllConnections?.();
    for (const s of sockets ?? []) s.destroy();
    server.close(() => resolve());
  });
}

/** HTTP/1.1 echo. `/status/NNN` answers with that status; `/slow/MS` waits before answering. */
export async function startHttpEcho(app: string): Promise<RunningApp> {
  const server = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      const status = /^\/status\/(\d{3})/.exec(req.url ?? '');
      const slow = /^\/slow\/(\d+)/.exec(req.url ?? '');
      const echo: Echo = { app, method: req.method ?? '', path: req.url ?? '', headers: req.headers, bodyBytes, remoteAddress: req.socket.remoteAddress ?? '', httpVersion: req.httpVersion };
      const send = (): void => {
        const body = JSON.stringify(echo);
        res.writeHead(status ? Number(status[1]) : 200, { 'content-type': 'application/json', 'x-app': app });
        res.end(body);
      };
      if (slow) setTimeout(send, Number(slow[1]));
      else send();
    });
  });
  const port = await listen(server);
  return { port, close: closer(server) };
}

export async function startH2cEcho(app: string): Promise<RunningApp> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    let bodyBytes = 0;
    stream.on('data', (c: Buffer) => (bodyBytes += c.length));
    stream.on('end', () => {
      const echo: Echo = { app, method: String(headers[':method']), path: String(headers[':path']), headers, bodyBytes, remoteAddress: stream.session?.socket.remoteAddress ?? '', httpVersion: '2.0' };
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-app': app });
      stream.end(JSON.stringify(echo));
    });
  });
  const port = await listen(server);
  return {
    port,
    close: () => new Promise((resolve) => {
      for (const s of sessions) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export async function startTcpEcho(): Promise<RunningApp & { peers: string[] }> {
  const sockets = new Set<net.Socket>();
  const peers: string[] = [];
  const server = net.createServer((s) => {
    sockets.add(s);
    peers.push(s.remoteAddress ?? '');
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  const port = await listen(server);
  return { port, peers, close: closer(server, sockets) };
}

/** One HTTP/1.1 request with a fresh connection; resolves status, headers, body text. */
export function request(port: number, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('test request timed out')));
    req.end(opts.body);
  });
}

/** Sends raw bytes and collects everything until the peer closes (or `timeoutMs`). */
export function rawExchange(port: number, bytes: Buffer | string, timeoutMs = 3000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    s.write(bytes);
  });
}
