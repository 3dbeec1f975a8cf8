/**
 * The adversarial suite's hand inside a pod: a unix-socket relay. A test (in the host's network
 * namespace) connects to the unix socket, writes `HOST PORT\n`, and reads `OK\n` once the relay
 * has a TCP connection to HOST:PORT from inside the pod (as the app's UID, so the pod's capture
 * rules apply, exactly as for the app); from then on the bytes go both ways unchanged, half-close
 * included. An error is reported as `ERR <code>\n`.
 *
 *   node e2e/attacks/agents/build/relay.js --socket /tmp/…/relay.sock
 */
import fs from 'node:fs';
import net from 'node:net';

const at = process.argv.indexOf('--socket');
const path = process.argv[at + 1];
if (at < 0 || !path) {
  process.stderr.write('usage: relay --socket PATH\n');
  process.exit(2);
}

const server = net.createServer({ allowHalfOpen: true }, (unix) => {
  let head = '';
  const onHead = (chunk: Buffer): void => {
    const text = chunk.toString('latin1');
    const nl = text.indexOf('\n');
    if (nl < 0) {
      head += text;
      if (head.length > 300) unix.destroy();
      return;
    }
    unix.removeListener('data', onHead);
    unix.pause();
    head += text.slice(0, nl);
    const rest = chunk.subarray(nl + 1);
    const [host = '', port = ''] = head.trim().split(' ');
    const tcp = net.connect({ host, port: Number(port), allowHalfOpen: true });
    tcp.once('connect', () => {
      tcp.setNoDelay(true);
      unix.write('OK\n');
      if (rest.length > 0) tcp.write(rest);
      unix.pipe(tcp);
      tcp.pipe(unix);
      unix.resume();
    });
    tcp.once('error', (err: NodeJS.ErrnoException) => {
      if (tcp.connecting) unix.end(`ERR ${err.code ?? 'ERROR'}\n`);
      else unix.destroy();
    });
    // One side gone: a reset resets the other; a clean close lets the other finish.
    tcp.once('close', (hadError) => (hadError ? unix.destroy() : unix.end()));
    unix.once('close', (hadError) => (hadError ? tcp.destroy() : tcp.end()));
    unix.on('error', () => tcp.destroy());
  };
  unix.on('data', onHead);
});
fs.rmSync(path, { force: true });
server.listen(path, () => {
  fs.chmodSync(path, 0o666);
  process.stdout.write(`relay ready ${path}\n`);
});
const stop = (): void => void server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
