/**
 * Tiny programs run inside the test network namespaces with `node -e` (as root or another UID).
 * They are plain JavaScript strings so that they need nothing but node.
 */

/**
 * A TCP server: `node -e serverScript '{"name":…,"ports":[…],"origDstModule":…}'`. It listens on
 * `::` (dual stack) on every port, prints `ready`, and answers each connection with one JSON
 * line: `{ server, port, original }`, where `original` is what originalDestination() returned
 * (when origDstModule, the built proxy/src/original-dst.js, is given) and then closes it.
 */
export const serverScript = `
const net = require('node:net');
const { name, ports, origDstModule } = JSON.parse(process.argv[1]);
const originalDestination = origDstModule ? require(origDstModule).originalDestination : () => undefined;
let listening = 0;
for (const port of ports) {
  const server = net.createServer((socket) => {
    let reply;
    try {
      reply = { server: name, port: socket.localPort, original: originalDestination(socket) ?? null };
    } catch (err) {
      reply = { server: name, port: socket.localPort, error: String(err && err.message) };
    }
    socket.on('error', () => {});
    socket.end(JSON.stringify(reply) + '\\n');
  });
  server.listen({ port, host: '::', ipv6Only: false }, () => {
    if (++listening === ports.length) process.stdout.write('ready\\n');
  });
}
`;

/**
 * A TCP client: `node -e clientScript HOST PORT TIMEOUT_MS [LOCAL_ADDRESS]`. Prints what the server sent, or
 * `{"error": CODE}` when the connection fails or the time is up; always exits 0 within the time.
 */
export const clientScript = `
const net = require('node:net');
const [host, port, timeoutMs, localAddress] = process.argv.slice(1);
const done = (text) => { process.stdout.write(text); process.exit(0); };
const timer = setTimeout(() => done(JSON.stringify({ error: 'TIMEOUT' })), Number(timeoutMs));
const socket = net.connect({ host, port: Number(port), ...(localAddress ? { localAddress } : {}) });
let data = '';
socket.on('data', (d) => (data += d));
socket.on('end', () => { clearTimeout(timer); done(data); });
socket.on('error', (err) => { clearTimeout(timer); done(JSON.stringify({ error: err.code || String(err) })); });
`;

export interface Reply {
  server?: string;
  port?: number;
  original?: { address: string; port: number; family: string } | null;
  error?: string;
}
