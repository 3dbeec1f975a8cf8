/**
 * How the CLI reaches a port inside a pod (the control plane's monitoring :15014 and webhook :15017,
 * a sidecar's admin :15000): a port-forward through the API server, as `kubectl port-forward`, to a
 * local listener on 127.0.0.1. A port-forward reaches ports bound to the pod's loopback too (the
 * proxy's admin API is loopback-only; the control plane's debug endpoints may become so), which the
 * API server's `pods/proxy` subresource cannot. Every verb (and `skein dashboard`) goes through
 * `forwardPodPort`, so this is the one module to change for another transport.
 *
 * Each local connection opens its own forwarding stream (client-node's PortForward over WebSocket,
 * `v4.channel.k8s.io`), as kubectl does. Errors the kubelet reports on the error channel ("connection
 * refused" inside the pod) end that connection and are kept in `lastError` for the message.
 */
import net from 'node:net';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { httpGet, type HttpResult } from '../monitoring-client';
import { type Cluster } from './cluster';

export interface PodPort {
  namespace: string;
  pod: string;
  port: number;
}

export interface LocalForward {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** The last error of a forwarding stream (handshake refused, connection refused in the pod). */
  readonly lastError: string | undefined;
  close(): Promise<void>;
}

function describe(err: unknown): string {
  const e = err as { message?: string; error?: { message?: string } };
  return e?.error?.message ?? e?.message ?? String(err);
}

/** Listens on 127.0.0.1:`localPort` (0: any free port) and forwards every connection to the pod's port. */
export async function forwardPodPort(cluster: Pick<Cluster, 'config'>, target: PodPort, localPort = 0): Promise<LocalForward> {
  const portForward = new k8s.PortForward(cluster.config);
  const sockets = new Set<net.Socket>();
  let lastError: string | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // the stream's end is reported by the client that reads it
    const errors = new Writable({
      write(chunk: Buffer, _enc, done) {
        const text = chunk.toString('utf8').trim();
        if (text) {
          lastError = text;
          socket.destroy();
        }
        done();
      },
    });
    const output = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (!socket.destroyed) socket.write(chunk);
        done();
      },
    });
    portForward.portForward(target.namespace, target.pod, [target.port], output, errors, socket).then(
      (ws) => {
        const socketOf = ws as unknown as { on(event: 'close', listener: () => void): void; close(): void };
        socketOf.on('close', () => socket.end());
        socket.on('close', () => socketOf.close());
      },
      (err: unknown) => {
        lastError = describe(err);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on 127.0.0.1:${localPort}: ${err.message}`)));
    server.listen(localPort, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get lastError() {
      return lastError;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** GET through a forward; a failed stream becomes the kubelet's or API server's reason, not "socket hang up". */
export async function forwardedGet(forward: LocalForward, path: string, what: string, timeoutMs?: number): Promise<HttpResult> {
  try {
    return await httpGet(`${forward.url}${path}`, timeoutMs);
  } catch (err) {
    throw new Error(`${what}: ${forward.lastError ?? (err as Error).message}`);
  }
}
