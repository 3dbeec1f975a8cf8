/**
 * The adversarial suite's app: a deliberately naive HTTP/1.1 server, like many real apps, that
 * logs EVERY byte it receives and every request it parsed, so a test can prove what did (and did
 * not) get past the sidecar in front of it.
 *
 *   node e2e/attacks/agents/build/raw-app.js --port 8080
 *
 * Output, one JSON line each on stdout: `{"c":N,"ev":"open"|"end"|"close"}`, `{"c":N,"b":"<base64>"}`
 * for each chunk received, `{"c":N,"req":"GET /x HTTP/1.1","h":{…}}` for each request parsed.
 * Naive on purpose: the first Content-Length wins, Transfer-Encoding is "chunked" if it contains
 * the word, a request is served as soon as its body is in, bytes after a 101 are echoed back.
 * Paths: `/__upgrade/accept…` answers 101 to an Upgrade request and echoes from then on;
 * `/__upgrade/refuse/<status>…` answers that status and keeps the connection; `/__hang…` never
 * answers; anything else answers 200 with the request line and headers it saw as JSON.
 */
import crypto from 'node:crypto';
import net from 'node:net';

const portArg = process.argv.indexOf('--port');
const port = Number(process.argv[portArg + 1]);
if (portArg < 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: raw-app --port PORT\n');
  process.exit(2);
}

function log(o: object): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

interface Parsed {
  line: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  rest: Buffer;
}

/** One request out of `buf`, naively; undefined while incomplete. */
function parse(buf: Buffer): Parsed | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const line = lines[0] ?? '';
  const [method = '', path = ''] = line.split(' ');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(':');
    if (colon <= 0) continue;
    const name = l.slice(0, colon).trim().toLowerCase();
    headers[name] ??= l.slice(colon + 1).trim();
  }
  let at = end + 4;
  if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
    const parts: Buffer[] = [];
    for (;;) {
      const crlf = buf.indexOf('\r\n', at);
      if (crlf < 0) return undefined;
      const size = parseInt(buf.subarray(at, crlf).toString('latin1'), 16) || 0;
      if (buf.length < crlf + 2 + size + 2) return undefined;
      parts.push(buf.subarray(crlf + 2, crlf + 2 + size));
      at = crlf + 2 + size + 2;
      if (size === 0) break;
    }
    return { line, method, path, headers, body: Buffer.concat(parts), rest: buf.subarray(at) };
  }
  const length = Number.parseInt(headers['content-length'] ?? '0', 10) || 0;
  if (buf.length < at + length) return undefined;
  return { line, method, path, headers, body: buf.subarray(at, at + length), rest: buf.subarray(at + length) };
}

function respond(socket: net.Socket, status: number, body: string, extra = ''): void {
  socket.write(`HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`);
}

let connections = 0;
const server = net.createServer((socket) => {
  const c = ++connections;
  let buf: Buffer = Buffer.alloc(0);
  let echo = false;
  log({ c, ev: 'open' });
  socket.on('data', (chunk: Buffer) => {
    log({ c, b: chunk.toString('base64') });
    if (echo) {
      socket.write(chunk);
      return;
    }
    buf = Buffer.concat([buf, chunk]);
    for (let r = parse(buf); r && !echo; r = parse(buf)) {
      buf = r.rest;
      log({ c, req: r.line, h: r.headers, bodyBytes: r.body.length });
      if (r.path.startsWith('/__hang')) continue;
      if (r.path.startsWith('/__upgrade/accept') && r.headers.upgrade) {
        const key = r.headers['sec-websocket-key'] ?? '';
        const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${r.headers.upgrade}\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
        echo = true;
        if (buf.length > 0) socket.write(buf);
        buf = Buffer.alloc(0);
        break;
      }
      const refuse = /^\/__upgrade\/refuse\/(\d{3})/.exec(r.path);
      respond(socket, refuse ? Number(refuse[1]) : 200, JSON.stringify({ line: r.line, headers: r.headers, bodyBytes: r.body.length }));
    }
  });
  socket.on('end', () => log({ c, ev: 'end' }));
  socket.on('close', () => log({ c, ev: 'close' }));
  socket.on('error', () => undefined);
});
server.listen(port, '0.0.0.0', () => log({ ev: 'ready', port }));
const stop = (): void => void server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
