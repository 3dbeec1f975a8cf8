/**
 * The lean HTTP/1.1 upstream client against raw TCP servers on loopback that answer exactly what
 * each case needs: normal, chunked, until-close, split heads, garbage, mid-body close, stale
 * keep-alive connections, request bodies (length and chunked), the connection cap, how the pool
 * grows under a burst, and upgrade requests (switched or refused).
 */
import net from 'node:net';
import { PassThrough } from 'node:stream';
import type { HeaderMap } from '../core/headers';
import { H1Client, type H1Target } from './h1-client';

interface Result {
  status?: number;
  headers?: HeaderMap;
  body: string;
  trailers?: HeaderMap;
  error?: string;
}

const servers: net.Server[] = [];
const clients: H1Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => {
    s.close(() => r());
    (s as unknown as { sockets?: Set<net.Socket> }).sockets?.forEach((x) => x.destroy());
  })));
});

/** A server that calls `onRequest(socket, requestBytes, n)` whenever a full request head (and body, if framed by length/chunked end) arrived. */
async function rawServer(onRequest: (socket: net.Socket, raw: string, n: number) => void): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  let n = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    let buf = '';
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        let total = end + 4;
        const cl = /content-length: (\d+)/i.exec(buf.slice(0, end));
        if (cl) total += Number(cl[1]);
        else if (/transfer-encoding: chunked/i.test(buf.slice(0, end))) {
          const z = buf.indexOf('0\r\n\r\n', end + 4);
          if (z < 0) return;
          total = z + 5;
        }
        if (buf.length < total) return;
        const raw = buf.slice(0, total);
        buf = buf.slice(total);
        onRequest(s, raw, n++);
      }
    });
  });
  (server as unknown as { sockets: Set<net.Socket> }).sockets = sockets;
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

function target(port: number, maxConnections = 16): H1Target {
  return {
    key: `127.0.0.1:${port}`,
    maxConnections,
    connect: () => new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    }),
  };
}

function send(client: H1Client, t: H1Target, opts: { method?: string; body?: string[]; chunked?: boolean } = {}): Promise<Result> {
  const method = opts.method ?? 'GET';
  return new Promise((resolve) => {
    const out: Result = { body: '' };
    let body: PassThrough | undefined;
    let head = `${method} / HTTP/1.1\r\nhost: t\r\n`;
    if (opts.body) {
      body = new PassThrough();
      const len = opts.body.join('').length;
      head += opts.chunked ? 'transfer-encoding: chunked\r\n' : `content-length: ${len}\r\n`;
    }
    head += '\r\n';
    client.send(t, method, head, body, opts.chunked ?? false, {
      onHead: (status, headers) => Object.assign(out, { status, headers }),
      onData: (c) => {
        out.body += c.toString('latin1');
        return true;
      },
      onEnd: (trailers) => resolve({ ...out, trailers }),
      onError: (err) => resolve({ ...out, error: err.code }),
    });
    if (body) {
      for (const part of opts.body!) body.write(part);
      body.end();
    }
  });
}

function newClient(): H1Client {
  const c = new H1Client();
  clients.push(c);
  return c;
}

describe('H1Client', () => {
  it('reuses one keep-alive connection for sequential requests', async () => {
    const srv = await rawServer((s, _raw, n) => s.write(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-n: ${n}\r\n\r\nok`));
    const c = newClient();
    const t = target(srv.port);
    for (let i = 0; i < 5; i++) expect(await send(c, t)).toMatchObject({ status: 200, body: 'ok', headers: { 'x-n': String(i) } });
    expect(srv.connections()).toBe(1);
  });

  it('pauses reading while the exchange applies backpressure and delivers a large body intact', async () => {
    const body = Buffer.alloc(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const srv = await rawServer((s) => {
      s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      s.write(body);
    });
    const c = newClient();
    const got: Buffer[] = [];
    let pauses = 0;
    await new Promise<void>((resolve, reject) => {
      const handle = c.send(target(srv.port), 'GET', 'GET / HTTP/1.1\r\nhost: t\r\n\r\n', undefined, false, {
        onHead: () => undefined,
        onData: (chunk) => {
          got.push(Buffer.from(chunk));
          if (pauses >= 3) return true;
          pauses++;
          setTimeout(() => handle.resume(), 20);
          return false;
        },
        onEnd: () => resolve(),
        onError: (err) => reject(new Error(err.code)),
      });
    });
    expect(pauses).toBe(3);
    expect(Buffer.concat(got).equals(body)).toBe(true);
  });

  it('closes a pooled connection left idle for idleTimeoutMs, but never one waiting on a slow answer', async () => {
    let closed = 0;
    const srv = await rawServer((s) => {
      s.once('close', () => closed++);
      setTimeout(() => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'), 300);
    });
    const c = newClient();
    const t = { ...target(srv.port), idleTimeoutMs: 100 };
    expect(await send(c, t)).toMatchObject({ status: 200, body: 'ok' });
    expect(closed).toBe(0);
    await new Promise((r) => setTimeout(r, 400));
    expect(closed).toBe(1);
  });

  it('closes a connection after maxRequestsPerConnection requests (1 = no keep-alive)', async () => {
    const srv = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    const c = newClient();
    const one = { ...target(srv.port), maxRequestsPerConnection: 1 };
    for (let i = 0; i < 3; i++) expect(await send(c, one)).toMatchObject({ status: 200, body: 'ok' });
    expect(srv.connections()).toBe(3);
    const srv2 = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    const two = { ...target(srv2.port), key: 'two', maxRequestsPerConnection: 2 };
    for (let i = 0; i < 4; i++) expect(await send(c, two)).toMatchObject({ status: 200 });
    expect(srv2.connections()).toBe(2);
  });

  it('decodes chunked responses (split anywhere) and passes trailers', async () => {
    const srv = await rawServer((s) => {
      const parts = ['HTTP/1.1 200 OK\r\ntransfer-', 'encoding: chunked\r\n\r\n5\r\nhel', 'lo\r\n6\r\n world\r\n0\r\ngrpc-status: 0\r\n', '\r\n'];
      parts.forEach((p, i) => setTimeout(() => s.write(p), i * 5));
    });
    const c = newClient();
    const t = target(srv.port);
    expect(await send(c, t)).toMatchObject({ status: 200, body: 'hello world', trailers: { 'grpc-status': '0' } });
    expect(await send(c, t)).toMatchObject({ body: 'hello world' });
    expect(srv.connections()).toBe(1);
  });

  it('reads an unframed response until the server closes, and does not reuse that connection', async () => {
    const srv = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\n\r\nall of it'));
    const c = newClient();
    const t = target(srv.port);
    expect(await send(c, t)).toMatchObject({ status: 200, body: 'all of it' });
    expect(await send(c, t)).toMatchObject({ status: 200, body: 'all of it' });
    expect(srv.connections()).toBe(2);
  });

  it('skips 100 Continue and gives no body for HEAD and 204', async () => {
    const srv = await rawServer((s, raw) => {
      if (raw.startsWith('HEAD')) s.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n');
      else s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
    });
    const c = newClient();
    const t = target(srv.port);
    expect(await send(c, t, { method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
    expect(await send(c, t)).toMatchObject({ status: 204, body: '' });
    expect(srv.connections()).toBe(1);
  });

  it('sends request bodies with content-length and chunked framing', async () => {
    const seen: string[] = [];
    const srv = await rawServer((s, raw) => {
      seen.push(raw.slice(raw.indexOf('\r\n\r\n') + 4));
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    });
    const c = newClient();
    const t = target(srv.port);
    expect(await send(c, t, { method: 'POST', body: ['abc', 'def'] })).toMatchObject({ status: 200 });
    expect(await send(c, t, { method: 'POST', body: ['abc', 'defgh'], chunked: true })).toMatchObject({ status: 200 });
    expect(seen).toEqual(['abcdef', '3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n']);
  });

  it.each([
    ['a garbage status line', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', 'HPE_INVALID_RESPONSE'],
    ['CL and TE together (smuggling)', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n', 'HPE_INVALID_RESPONSE'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    ['a 101 to a plain request', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', 'HPE_UNEXPECTED_UPGRADE'],
    ['an oversized head', `HTTP/1.1 200 OK\r\nx: ${'a'.repeat(100 * 1024)}\r\n\r\n`, 'HPE_INVALID_RESPONSE'],
  ])('reports %s as a protocol error', async (_name, answer, code) => {
    const srv = await rawServer((s) => s.write(answer));
    expect(await send(newClient(), target(srv.port))).toMatchObject({ error: code });
  });

  it('reports a close in the middle of a length-framed body', async () => {
    const srv = await rawServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial'));
    expect(await send(newClient(), target(srv.port))).toMatchObject({ status: 200, body: 'partial', error: 'ECONNRESET' });
  });

  it('reports a connection failure', async () => {
    const srv = await rawServer(() => undefined);
    const port = srv.port;
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    expect(await send(newClient(), target(port))).toMatchObject({ error: 'ECONNREFUSED' });
  });

  it('retries once on a new connection when the server closed an idle keep-alive connection', async () => {
    const srv = await rawServer((s, _raw, n) => {
      if (n === 0) s.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na');
      else if (n === 1) s.destroy(); // the keep-alive race: closed as the second request arrived
      else s.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb');
    });
    const c = newClient();
    const t = target(srv.port);
    expect(await send(c, t)).toMatchObject({ body: 'a' });
    expect(await send(c, t)).toMatchObject({ status: 200, body: 'b' });
    expect(srv.connections()).toBe(2);
  });

  it('does not retry a request with a body (it may have been processed)', async () => {
    const srv = await rawServer((s, _raw, n) => (n === 0 ? s.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n') : s.destroy()));
    const c = newClient();
    const t = target(srv.port);
    await send(c, t);
    expect(await send(c, t, { method: 'POST', body: ['x'] })).toMatchObject({ error: 'ECONNRESET' });
  });

  it('queues requests beyond maxConnections and serves them as connections free up', async () => {
    const srv = await rawServer((s) => setTimeout(() => s.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nq'), 10));
    const c = newClient();
    const t = target(srv.port, 2);
    const all = await Promise.all(Array.from({ length: 8 }, () => send(c, t)));
    expect(all.map((r) => r.body)).toEqual(Array(8).fill('q'));
    expect(srv.connections()).toBe(2);
  });

  it('a burst waits for the connection being set up instead of opening one per request, then grows by doubling', async () => {
    const srv = await rawServer((s) => setTimeout(() => s.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb'), 5));
    const c = newClient();
    const real = target(srv.port, 1024);
    const started: number[] = [];
    let connecting = 0;
    let mostAtOnce = 0;
    // Each connection takes 20 ms to set up (a TLS handshake's worth): count how many are set up at once.
    const t: H1Target = {
      ...real,
      connect: async () => {
        started.push(Date.now());
        mostAtOnce = Math.max(mostAtOnce, ++connecting);
        await new Promise((r) => setTimeout(r, 20));
        connecting--;
        return real.connect();
      },
    };
    const all = await Promise.all(Array.from({ length: 200 }, () => send(c, t)));
    expect(all.every((r) => r.body === 'b')).toBe(true);
    expect(started.length).toBeLessThan(200);
    // At first one connection is set up while 199 requests wait; never more at once than are up.
    expect(mostAtOnce).toBeLessThanOrEqual(Math.ceil(started.length / 2));
  });

  it('fails the requests waiting for a connection when the only attempt fails', async () => {
    const srv = await rawServer(() => undefined);
    const port = srv.port;
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const c = newClient();
    const t = target(port);
    const all = await Promise.all(Array.from({ length: 5 }, () => send(c, t)));
    expect(all.map((r) => r.error)).toEqual(Array(5).fill('ECONNREFUSED'));
  });

  it('hands the socket of a switched upgrade to the exchange, with the bytes after the 101', async () => {
    const srv = await rawServer((s) => {
      s.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\nHELLO');
      s.on('data', (d: Buffer) => s.write(`echo:${d.toString('latin1')}`));
    });
    const c = newClient();
    const got = await new Promise<{ status: number; rest: string; echoed: string }>((resolve, reject) => {
      c.send(target(srv.port), 'GET', 'GET /ws HTTP/1.1\r\nhost: t\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n', undefined, false, {
        upgrade: true,
        onHead: () => reject(new Error('not an ordinary response')),
        onData: () => true,
        onEnd: () => reject(new Error('not an ordinary response')),
        onError: (e) => reject(new Error(e.code)),
        onUpgrade: (status, _headers, socket, rest) => {
          socket.once('data', (d: Buffer) => {
            resolve({ status, rest: rest.toString('latin1'), echoed: d.toString('latin1') });
            socket.destroy();
          });
          socket.write('ping');
          socket.resume();
        },
      });
    });
    expect(got).toEqual({ status: 101, rest: 'HELLO', echoed: 'echo:ping' });
  });

  it('an upgrade the upstream refuses is an ordinary response, and its connection is not reused', async () => {
    const srv = await rawServer((s) => s.write('HTTP/1.1 426 Upgrade Required\r\ncontent-length: 4\r\n\r\nnope'));
    const c = newClient();
    const t = target(srv.port);
    const refused = await new Promise<Result>((resolve) => {
      const out: Result = { body: '' };
      c.send(t, 'GET', 'GET /ws HTTP/1.1\r\nhost: t\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n', undefined, false, {
        upgrade: true,
        onHead: (status) => (out.status = status),
        onData: (d) => ((out.body += d.toString('latin1')), true),
        onEnd: () => resolve(out),
        onError: (e) => resolve({ ...out, error: e.code }),
        onUpgrade: () => resolve({ ...out, error: 'switched' }),
      });
    });
    expect(refused).toEqual({ status: 426, body: 'nope' });
    expect(await send(c, t)).toMatchObject({ status: 426 });
    expect(srv.connections()).toBe(2);
  });

  it('does not reuse a connection that sent bytes beyond the response', async () => {
    const srv = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nxEXTRA'));
    const c = newClient();
    const t = target(srv.port);
    expect(await send(c, t)).toMatchObject({ body: 'x' });
    expect(await send(c, t)).toMatchObject({ body: 'x' });
    expect(srv.connections()).toBe(2);
  });
});
