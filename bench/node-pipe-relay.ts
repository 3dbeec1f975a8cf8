/**
 * The floor for an L4 mTLS sidecar written on Node's `net`/`tls`: the least a Node relay can do
 * per byte — accept, one TLS connection per client connection with a shared SecureContext, then
 * `pipe()` both ways. No routing, RBAC, metrics or timeouts. `proxy.bench.ts` runs a pair of these
 * (`node-pipe`, TCP mode) beside the Skein pair to show how much of the gap to HAProxy is Node's
 * own per-chunk cost rather than Skein's code.
 *
 *   node node-pipe-relay.js client <listenPort> <peerPort> <cert> <key> <ca>
 *   node node-pipe-relay.js server <listenPort> <appPort>  <cert> <key> <ca>
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

function relay(a: net.Socket, b: net.Socket): void {
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
}

function main(argv: string[]): void {
  const [side, listen, target, cert, key, ca] = argv;
  if ((side !== 'client' && side !== 'server') || !listen || !target || !cert || !key || !ca) {
    process.stderr.write('usage: node-pipe-relay client|server <listenPort> <targetPort> <cert> <key> <ca>\n');
    process.exit(2);
  }
  const creds = { cert: fs.readFileSync(cert), key: fs.readFileSync(key), ca: fs.readFileSync(ca), minVersion: 'TLSv1.2' as const };
  process.on('SIGTERM', () => process.exit(0));
  if (side === 'client') {
    const context = tls.createSecureContext(creds);
    net.createServer({ noDelay: true }, (down) => {
      const up = tls.connect({ host: '127.0.0.1', port: Number(target), secureContext: context, servername: 'localhost' });
      up.setNoDelay(true);
      relay(down, up);
    }).listen(Number(listen), '127.0.0.1');
  } else {
    tls.createServer({ ...creds, requestCert: true, rejectUnauthorized: true }, (down) => {
      down.setNoDelay(true);
      relay(down, net.connect({ host: '127.0.0.1', port: Number(target), noDelay: true }));
    }).listen(Number(listen), '127.0.0.1');
  }
}

main(process.argv.slice(2));
