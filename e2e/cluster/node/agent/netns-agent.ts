/**
 * The node's hands inside its network namespace. Started by the test process with
 * `ip netns exec <node netns> node netns-agent.js` and an IPC channel; it opens sockets there and
 * hands them over (SCM_RIGHTS through Node's IPC), so the test process then reads and writes a
 * socket that lives in the node namespace without any copy through this process:
 *
 *   → { op: 'listen', id, host, port }            ← { op: 'listening', id } + the net.Server
 *   → { op: 'connect', id, host, port, timeoutMs } ← { op: 'connected', id } + the net.Socket
 *                                                  ← { op: 'error', id, message } on failure
 *
 * Sockets are handed over before anything is read from them. Exits when the channel closes.
 */
import net from 'node:net';

type Request = { op: 'listen'; id: number; host: string; port: number } | { op: 'connect'; id: number; host: string; port: number; timeoutMs: number };

function send(message: object, handle?: net.Server | net.Socket): void {
  process.send?.(message, handle as net.Server, { keepOpen: false }, () => {
    if (handle instanceof net.Server) handle.close();
  });
}

function listen(r: Extract<Request, { op: 'listen' }>): void {
  const server = net.createServer({ pauseOnConnect: true });
  server.once('error', (e) => send({ op: 'error', id: r.id, message: e.message }));
  server.listen(r.port, r.host, () => send({ op: 'listening', id: r.id }, server));
}

function connect(r: Extract<Request, { op: 'connect' }>): void {
  const socket = new net.Socket();
  socket.pause();
  const timer = setTimeout(() => {
    socket.destroy();
    send({ op: 'error', id: r.id, message: `connect ${r.host}:${r.port} timed out after ${r.timeoutMs} ms` });
  }, r.timeoutMs);
  socket.once('error', (e) => {
    clearTimeout(timer);
    send({ op: 'error', id: r.id, message: e.message });
  });
  socket.connect(r.port, r.host, () => {
    clearTimeout(timer);
    send({ op: 'connected', id: r.id }, socket);
  });
}

process.on('message', (r: Request) => {
  if (r.op === 'listen') listen(r);
  else if (r.op === 'connect') connect(r);
});
process.on('disconnect', () => process.exit(0));
console.log('netns-agent ready');
