/**
 * The agent's unix socket: one request per connection from the plugin shim, answered with its exit
 * code and stdout. The socket is root-only (0600): whoever can talk to it makes the agent (root)
 * write iptables rules into a network namespace.
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ErrorCode, errorOutcome } from '../core/spec';
import { decodeInvocation, encodeOutcome, type PluginInvocation, type PluginOutcome } from '../core/wire';

/** The largest request taken: 4 MiB of network configuration (the shim's own limit) plus the environment. */
const maxRequestBytes = (4 << 20) + (256 << 10);
/** A connection that sends nothing for this long is dropped. */
const idleMs = 10_000;

export interface AgentSocket {
  path: string;
  /** Stops accepting, waits for requests in flight, removes the socket file. */
  close(): Promise<void>;
}

/** Removes a socket left by a previous agent; refuses to touch anything that is not a socket. */
async function removeStale(socketPath: string): Promise<void> {
  try {
    const info = await lstat(socketPath);
    if (!info.isSocket()) throw new Error(`${socketPath} exists and is not a socket; refusing to replace it`);
    await unlink(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

export async function listenAgentSocket(socketPath: string, handle: (request: PluginInvocation) => Promise<PluginOutcome>, log: (line: string) => void): Promise<AgentSocket> {
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o755 });
  await removeStale(socketPath);
  const inFlight = new Set<Promise<void>>();
  // allowHalfOpen: the plugin half-closes after its request and still reads the answer.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('error', () => undefined); // a plugin that went away: nothing to answer
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxRequestBytes) {
        log(`cni: request larger than ${maxRequestBytes} bytes refused`);
        socket.end(encodeOutcome(errorOutcome(undefined, { code: ErrorCode.ioFailure, msg: 'request too large' })));
        socket.removeAllListeners('data');
        return;
      }
      chunks.push(chunk);
    });
    socket.on('end', () => {
      if (size > maxRequestBytes) return;
      const request = decodeInvocation(Buffer.concat(chunks));
      const work = (async () => {
        const outcome = 'error' in request
          ? errorOutcome(undefined, { code: ErrorCode.decodeFailure, msg: 'malformed request from the skein-cni plugin', details: request.error })
          : await handle(request).catch((err: unknown) => errorOutcome(undefined, { code: ErrorCode.ioFailure, msg: 'the agent failed', details: String(err) }));
        if (!socket.destroyed) socket.end(encodeOutcome(outcome));
      })();
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);
  return {
    path: socketPath,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...inFlight]);
      await unlink(socketPath).catch(() => undefined);
    },
  };
}
