/**
 * Opaque TCP echo: on connect it sends one JSON line (an EchoReply without payload, so clients can
 * count versions), then echoes every byte back. Flaky: `fail` resets the connection, `hang` sends
 * nothing and echoes nothing.
 */
import net from 'node:net';
import { FlakyCounter, type FlakyPolicy } from './flaky';
import { type EchoListener } from './http-echo';
import { plainAddress, type EchoReply, type ServerIdentity } from './identity';

export interface TcpEchoOptions {
  port: number;
  host: string;
  identity: ServerIdentity;
  policy: FlakyPolicy;
}

export async function startTcpEcho(options: TcpEchoOptions): Promise<EchoListener> {
  const flaky = new FlakyCounter(options.policy);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const v = flaky.next();
    if (v === 'fail') {
      socket.resetAndDestroy();
      return;
    }
    if (v === 'hang') return;
    const hello: EchoReply = { ...options.identity, protocol: 'tcp', callerSpiffeId: null, remoteAddress: plainAddress(socket.remoteAddress) };
    socket.write(`${JSON.stringify(hello)}\n`);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
