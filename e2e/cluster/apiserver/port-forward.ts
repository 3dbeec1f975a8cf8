/**
 * `pods/NAME/portforward` as kube-apiserver and the kubelet serve it to `kubectl port-forward` and
 * client-go's PortForward over WebSocket (subprotocol `v4.channel.k8s.io`): for the one port asked
 * (`?ports=P`) a data channel (0) and an error channel (1), each opened by the server with the port
 * number (two bytes, little endian); every frame after that is the channel byte and its payload.
 * The bytes go to the pod through the API server's dialer with purpose `port-forward` — the kubelet
 * connects to localhost inside the pod's network namespace, so a port bound to the pod's loopback is
 * reachable this way (and through pods/proxy it is not). A failure to connect is reported on the
 * error channel, as the kubelet reports it, and the stream closed.
 *
 * Before the upgrade: the bearer token (401), RBAC `create` on `pods/portforward` (403), the pod
 * (404) and its node (400 `does not have a host assigned`, as kube-apiserver answers for a pod
 * that is not scheduled) are checked, and a refusal is an HTTP answer with a Status body.
 */
import type http from 'node:http';
import { type Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { type Dialer } from './admission/webhook-client';
import { isObject, type KubeObject } from './core/json';
import { type UserInfo } from './core/rbac';
import { requestInfo } from './core/request-info';
import { ApiError, badRequest, failure, internalError, type Status } from './core/status';

export const PortForwardProtocol = 'v4.channel.k8s.io';

export interface PortForwardOptions {
  /** The caller, from its bearer token (throws a 401 ApiError when there is none). */
  authenticate(req: http.IncomingMessage): UserInfo;
  /** Throws a 403 ApiError when RBAC does not allow it. */
  authorize(user: UserInfo, namespace: string, pod: string): void;
  pod(namespace: string, name: string): KubeObject | undefined;
  dialer: () => Dialer;
  /** Sees the request first, as every other one (recorded; an ApiError returned is the answer). */
  onRequest?: (url: URL) => ApiError | undefined;
}

function channelFrame(channel: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), payload]);
}

function portBytes(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port);
  return b;
}

/** The upgrade handler (`server.on('upgrade', …)`) and a way to end every open stream. */
export class PortForwarder {
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has(PortForwardProtocol) ? PortForwardProtocol : false) });
  private readonly upstreams = new Set<Duplex>();

  constructor(private readonly o: PortForwardOptions) {}

  readonly upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://apiserver');
    try {
      const target = this.admit(req, url);
      this.wss.handleUpgrade(req, socket, head, (ws) => void this.forward(ws, target));
    } catch (err) {
      const status: Status = err instanceof ApiError ? err.status : internalError((err as Error)?.message ?? String(err)).status;
      const body = JSON.stringify(status);
      socket.end(`HTTP/1.1 ${status.code} ${status.reason ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    }
  };

  /** Ends every forwarded connection (the API server is stopping). */
  closeAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
    for (const u of this.upstreams) u.destroy();
  }

  private admit(req: http.IncomingMessage, url: URL): { namespace: string; pod: string; podIP: string; port: number } {
    const injected = this.o.onRequest?.(url);
    const user = this.o.authenticate(req);
    if (injected) throw injected;
    const info = requestInfo('GET', url.pathname, url.searchParams);
    if (!info.isResource || info.group !== '' || info.resource !== 'pods' || info.subresource !== 'portforward' || !info.namespace || !info.name) {
      throw failure(404, 'NotFound', 'the server could not find the requested resource');
    }
    this.o.authorize(user, info.namespace, info.name);
    const ports = url.searchParams.getAll('ports');
    const port = Number(ports[0]);
    if (ports.length !== 1 || !/^\d+$/.test(ports[0]!) || port < 1 || port > 65535) throw badRequest(`exactly one port between 1 and 65535 is supported, got ${JSON.stringify(ports)}`);
    const pod = this.o.pod(info.namespace, info.name);
    if (!pod) throw failure(404, 'NotFound', `pods "${info.name}" not found`, { name: info.name, kind: 'pods' });
    const spec = isObject(pod.spec) ? pod.spec : {};
    if (typeof spec.nodeName !== 'string' || spec.nodeName === '') throw badRequest(`pod ${info.name} does not have a host assigned`);
    const podIP = isObject(pod.status) && typeof pod.status.podIP === 'string' ? pod.status.podIP : '';
    return { namespace: info.namespace, pod: info.name, podIP, port };
  }

  private async forward(ws: WebSocket, t: { namespace: string; pod: string; podIP: string; port: number }): Promise<void> {
    ws.send(channelFrame(0, portBytes(t.port)));
    ws.send(channelFrame(1, portBytes(t.port)));
    const pending: Buffer[] = [];
    let upstream: Duplex | undefined;
    let closed = false;
    ws.on('message', (data: Buffer) => {
      if (data.length < 1 || data[0] !== 0) return;
      const payload = data.subarray(1);
      if (upstream) upstream.write(payload);
      else pending.push(payload);
    });
    ws.on('close', () => {
      closed = true;
      upstream?.end();
    });
    try {
      upstream = await this.o.dialer()({ host: t.podIP, port: t.port, purpose: 'port-forward', pod: { namespace: t.namespace, name: t.pod } });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.message;
      ws.send(channelFrame(1, Buffer.from(`error forwarding port ${t.port} to pod ${t.namespace}/${t.pod}: failed to connect to localhost:${t.port} inside the pod: ${why}`)));
      ws.close();
      return;
    }
    if (closed) {
      upstream.destroy();
      return;
    }
    this.upstreams.add(upstream);
    for (const b of pending.splice(0)) upstream.write(b);
    upstream.on('data', (d: Buffer) => ws.send(channelFrame(0, d)));
    upstream.on('error', () => ws.close());
    upstream.on('close', () => {
      this.upstreams.delete(upstream!);
      ws.close();
    });
  }
}
