/**
 * The lean downstream HTTP/1.1 loop on a real loopback socket, driven by raw client bytes:
 * keep-alive, pipelining, bodies (length, chunked), 100-continue, HEAD, HTTP/1.0, switching
 * protocols only when the handler does, the client's FIN, the stream idle timeout, chunked
 * responses with trailers, and each kind of malformed request.
 */
import net from 'node:net';
import { serveHttp1, type H1ServerHooks, type LeanRequest, type LeanResponse } from './h1-server';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

interface Seen {
  bad: string[];
  /** Requests whose response closed before it ended (the forwarder's `close`: abort the upstream). */
  aborted: string[];
}

/** A server whose handler echoes method, url and body; `x-mode` selects special answers. */
async function start(overrides: Partial<H1ServerHooks> = {}): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { bad: [], aborted: [] };
  const sockets = new Set<net.Socket>();
  const hooks: H1ServerHooks = {
    maxHeaderBytes: 1024,
    maxHeaders: 20,
    idleTimeoutMs: 10_000,
    headersTimeoutMs: 10_000,
    handleRequest: (req: LeanRequest, res: LeanResponse) => {
      const mode = req.headers['x-mode'];
      res.once('close', () => seen.aborted.push(req.url));
      if (mode === 'hang') return;
      if (mode === 'switch') {
        const { socket, buffered } = res.switchProtocols(101, { 'x-switched': 'yes' }, 'websocket');
        socket.write(`tunnel got: ${buffered.toString('latin1')}`);
        socket.on('data', (c: Buffer) => socket.write(`tunnel got: ${c.toString('latin1')}`));
        return;
      }
      if (mode === 'idle') {
        res.setTimeout(150, () => {
          res.writeHead(408, { 'content-length': '4' });
          res.end('idle');
        });
        return;
      }
      req.on('error', (() => {
        if (res.headersSent) return void res.destroy();
        res.writeHead(400, { 'content-length': '8' });
        res.end('bad body');
      }) as (...args: never[]) => void);
      if (mode === 'early') {
        res.writeHead(413, { 'content-length': '0' });
        res.end();
        return;
      }
      if (mode === 'echo') {
        res.writeHead(200, { 'x-echo': req.headers['x-v'], 'content-length': '2' });
        res.end('ok');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', ((c: Buffer) => chunks.push(c)) as (...args: never[]) => void);
      req.on('end', (() => {
        const body = `${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`;
        if (mode === 'chunked') {
          res.writeHead(200, { 'x-a': 'b' });
          res.write(body.slice(0, 3));
          res.write(body.slice(3));
          res.addTrailers({ 'x-trailer': 't' });
          res.end();
        } else {
          res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) });
          res.end(body);
        }
      }) as (...args: never[]) => void);
      req.resume();
    },
    onBadRequest: (reason) => seen.bad.push(reason),
    draining: () => false,
    ...overrides,
  };
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    serveHttp1(s, Buffer.alloc(0), hooks);
  });
  servers.push(server);
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origClose = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    sockets.forEach((s) => s.destroy());
    return origClose(cb);
  }) as typeof server.close;
  return { port: (server.address() as net.AddressInfo).port, seen };
}

/** Sends raw bytes (in parts), collects everything until the server closes or `until` matches. */
function exchange(port: number, parts: string[], until?: RegExp | ((data: string) => boolean)): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => finish(false), 3000);
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data, closed });
    };
    s.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      if (until && (typeof until === 'function' ? until(data) : until.test(data))) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', () => undefined);
    let i = 0;
    const next = (): void => {
      if (i < parts.length) s.write(Buffer.from(parts[i++]!, 'latin1'), () => setTimeout(next, 5));
    };
    s.on('connect', next);
  });
}

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

describe('lean HTTP/1.1 server', () => {
  it('serves keep-alive requests on one connection, pipelined ones in order', async () => {
    const { port } = await start();
    const r = await exchange(port, ['GET /1 HTTP/1.1\r\nhost: a\r\n\r\nGET /2 HTTP/1.1\r\nhost: a\r\n\r\n', 'GET /3 HTTP/1.1\r\nhost: a\r\n\r\n'], /GET \/3 $/);
    expect(r.data.match(/GET \/\d/g)).toEqual(['GET /1', 'GET /2', 'GET /3']);
    expect(r.closed).toBe(false);
  });

  it('answers thousands of pipelined requests answered synchronously, in order, without growing the stack', async () => {
    const { port } = await start();
    const n = 3000;
    const r = await exchange(port, ['GET / HTTP/1.1\r\nhost: a\r\nx-mode: early\r\n\r\n'.repeat(n)], (d) => count(d, /HTTP\/1\.1 413/g) >= n);
    expect(count(r.data, /HTTP\/1\.1 413/g)).toBe(n);
  });

  it('reads length-framed and chunked request bodies, split anywhere', async () => {
    const { port } = await start();
    const r = await exchange(port, ['POST /l HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\nhe', 'llo', 'POST /c HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r', '\n2\r\nde\r\n0\r\n\r\n'], /POST \/c abcde$/);
    expect(r.data).toContain('POST /l hello');
    expect(r.data).toContain('POST /c abcde');
  });

  it('answers 100 Continue before reading a body the client holds back', async () => {
    const { port } = await start();
    const r = await exchange(port, ['PUT /e HTTP/1.1\r\nhost: a\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n', 'ok'], /PUT \/e ok$/);
    expect(r.data).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  });

  it('frames a response without content-length as chunked, with trailers', async () => {
    const { port } = await start();
    const r = await exchange(port, ['GET /t HTTP/1.1\r\nhost: a\r\nx-mode: chunked\r\n\r\n'], /\r\n0\r\n.*\r\n\r\n$/s);
    expect(r.data).toContain('transfer-encoding: chunked');
    expect(r.data).toMatch(/3\r\nGET\r\n4\r\n \/t \r\n0\r\nx-trailer: t\r\n\r\n$/);
  });

  it('sends header bytes back as they came (obs-text is not re-encoded)', async () => {
    const { port } = await start();
    const r = await exchange(port, ['GET / HTTP/1.1\r\nhost: a\r\nx-mode: echo\r\nx-v: caf\xe9 \xff\r\n\r\n'], /ok$/);
    expect(r.data).toContain('x-echo: caf\xe9 \xff\r\n');
  });

  it('sends no body for HEAD', async () => {
    const { port } = await start();
    const r = await exchange(port, ['HEAD /h HTTP/1.1\r\nhost: a\r\nx-mode: chunked\r\n\r\nGET /after HTTP/1.1\r\nhost: a\r\n\r\n'], /GET \/after $/);
    const first = r.data.slice(0, r.data.indexOf('HTTP/1.1 200', 5));
    expect(first).not.toContain('HEAD /h');
    expect(first).not.toContain('transfer-encoding');
  });

  it('closes after the response for HTTP/1.0 and Connection: close', async () => {
    const { port } = await start();
    for (const req of ['GET /old HTTP/1.0\r\n\r\n', 'GET /c HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n']) {
      const r = await exchange(port, [req]);
      expect(r.closed).toBe(true);
      expect(r.data).toContain('connection: close');
      expect(count(r.data, /HTTP\/1\.1 200/g)).toBe(1);
    }
  });

  it('closes the connection when the response ends before the request body was read', async () => {
    const { port } = await start();
    const r = await exchange(port, ['POST /big HTTP/1.1\r\nhost: a\r\nx-mode: early\r\ncontent-length: 100000\r\n\r\npartial']);
    expect(r.data).toMatch(/^HTTP\/1\.1 413/);
    expect(r.closed).toBe(true);
  });

  it('switches protocols only when the handler does, handing over the bytes read after the request', async () => {
    const { port } = await start();
    const r = await exchange(port, ['GET /ws HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: websocket\r\nx-mode: switch\r\n\r\nFRAME', 'MORE'], (d) => d.includes('tunnel got: MORE'));
    expect(r.data).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\nx-switched: yes\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\ntunnel got: FRAME/);
  });

  it('after an answer that does not switch, the bytes behind an upgrade request are the next request', async () => {
    const { port } = await start();
    const r = await exchange(port, ['GET /ws HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: websocket\r\nx-mode: echo\r\nx-v: refused\r\n\r\nGET /next HTTP/1.1\r\nhost: a\r\n\r\n'], /GET \/next $/);
    expect(r.data).toMatch(/^HTTP\/1\.1 200 OK\r\nx-echo: refused\r\ncontent-length: 2\r\n\r\nokHTTP\/1\.1 200 OK\r\ncontent-length: 10\r\n\r\nGET \/next $/);
  });

  it('the client\'s FIN ends the exchange in flight (the handler hears close) and the connection', async () => {
    const { port, seen } = await start();
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('GET /waiting HTTP/1.1\r\nhost: a\r\nx-mode: hang\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    s.end();
    await new Promise((r) => s.once('close', r));
    expect(seen.aborted).toEqual(['/waiting']);
  });

  it('an idle connection that the client half-closes is closed at once, not left in CLOSE-WAIT', async () => {
    const { port } = await start();
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise((r) => s.once('connect', r));
    s.write('GET /one HTTP/1.1\r\nhost: a\r\n\r\n');
    await new Promise((r) => s.once('data', r));
    s.end();
    const ended = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000);
      s.once('end', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    expect(ended).toBe(true);
    s.destroy();
  });

  it('runs the request\'s stream idle timeout while it is in flight, then the idle timeout again', async () => {
    const { port } = await start({ idleTimeoutMs: 60_000 });
    const r = await exchange(port, ['GET /slow HTTP/1.1\r\nhost: a\r\nx-mode: idle\r\n\r\n'], /idle$/);
    expect(r.data).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\ncontent-length: 4\r\n\r\nidle$/);
  });

  it.each([
    ['garbage', '\u0000\u0001\u0002garbage\r\n\r\n', 400, 'malformed_request'],
    ['CL + TE (smuggling)', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n', 400, 'malformed_request'],
    ['an unsupported transfer coding', 'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: gzip\r\n\r\n', 501, 'malformed_request'],
    ['obs-fold', 'GET / HTTP/1.1\r\nhost: a\r\nx: 1\r\n 2\r\n\r\n', 400, 'malformed_request'],
    ['headers over the limit', `GET / HTTP/1.1\r\nhost: a\r\nx: ${'a'.repeat(2000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['more header lines than allowed', `GET / HTTP/1.1\r\nhost: a\r\n${'x: 1\r\n'.repeat(20)}\r\n`, 431, 'too_many_headers'],
    ['two Host headers in HTTP/1.0', 'GET / HTTP/1.0\r\nhost: a\r\nhost: b\r\n\r\n', 400, 'malformed_request'],
  ])('answers %s with %i and closes', async (_name, bytes, status, reason) => {
    const { port, seen } = await start();
    const r = await exchange(port, [bytes]);
    expect(r.data).toMatch(new RegExp(`^HTTP/1\\.1 ${status} .*\r\nx-skein-response-flags: DPE\r\n`));
    expect(r.closed).toBe(true);
    expect(seen.bad).toEqual([reason]);
  });

  it('answers 408 and closes when a keep-alive request head stalls (slow loris)', async () => {
    const { port, seen } = await start({ headersTimeoutMs: 200 });
    const r = await exchange(port, ['GET /1 HTTP/1.1\r\nhost: a\r\n\r\n', 'GET /2 HTTP/1.1\r\nhost: a\r\nx-slow:']);
    expect(r.data).toMatch(/GET \/1 [\s\S]*HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(r.closed).toBe(true);
    expect(seen.bad).toEqual(['request_headers_timeout']);
  });

  it('answers 408 when the first request never comes', async () => {
    const { port, seen } = await start({ headersTimeoutMs: 200 });
    const r = await exchange(port, []);
    expect(r.data).toMatch(/^HTTP\/1\.1 408/);
    expect(seen.bad).toEqual(['request_headers_timeout']);
  });

  it('ends an HTTP/1.0 response without content-length by closing, never chunked', async () => {
    const { port } = await start();
    const r = await exchange(port, ['GET /old HTTP/1.0\r\nconnection: keep-alive\r\nx-mode: chunked\r\n\r\n']);
    expect(r.data).not.toContain('transfer-encoding');
    expect(r.data).toMatch(/connection: close\r\n\r\nGET \/old $/);
    expect(r.closed).toBe(true);
  });

  it.each([
    ['a bad chunk size', 'zz\r\n'],
    ['chunk data without its CRLF', '3\r\nabcX\r\n'],
    ['a bare LF', '3\nabc\r\n'],
  ])('answers a chunked body with %s 400 (the handler hears the body error) and closes', async (_name, body) => {
    const { port } = await start();
    const r = await exchange(port, [`POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n${body}GET /smuggled HTTP/1.1\r\nhost: a\r\n\r\n`]);
    expect(r.data).toMatch(/^HTTP\/1\.1 400 Bad Request\r\ncontent-length: 8\r\nconnection: close\r\n\r\nbad body$/);
    expect(r.closed).toBe(true);
  });
});
