/**
 * `skein dashboard` on a cluster: a local listener on 127.0.0.1 whose every connection is forwarded
 * to a ready control plane pod's monitoring port (:15014), through the API server — what `kubectl
 * port-forward` does, with client-node's PortForward (WebSocket, `v4.channel.k8s.io`). The forwarded
 * connection arrives on the pod's loopback, which is where the dashboard answers on Kubernetes.
 *
 * Kubeconfig as kubectl finds it: `--kubeconfig FILE`, else `$KUBECONFIG`, else `~/.kube/config`,
 * else in-cluster; none is an error (never client-node's silent `http://localhost:8080`).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { ControlPlaneName, Labels, SystemNamespace } from '../../../api/src/names';
import { KubeRestClient } from './rest';
import { PodResource, resourcePath } from './resources';

export class ForwardError extends Error {
  override name = 'ForwardError';
}

export function loadKubeconfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): k8s.KubeConfig {
  const config = new k8s.KubeConfig();
  const candidates = file ? [file] : [...(env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean), path.join(os.homedir(), '.kube', 'config')];
  const found = candidates.find((f) => fs.existsSync(f));
  try {
    if (found) config.loadFromFile(found);
    else if (env.KUBERNETES_SERVICE_HOST) config.loadFromCluster();
    else throw new ForwardError(file ? `${file}: no such kubeconfig` : 'no kubeconfig (--kubeconfig FILE, $KUBECONFIG or ~/.kube/config); for a local control plane use --local');
  } catch (err) {
    if (err instanceof ForwardError) throw err;
    throw new ForwardError(`cannot load the kubeconfig ${found ?? '(in-cluster)'}: ${(err as Error).message}`);
  }
  if (!config.getCurrentCluster()) throw new ForwardError('the kubeconfig has no current cluster');
  return config;
}

interface PodObject {
  metadata: { name: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** A Running, Ready pod of the control plane Deployment (`app=skein-controlplane` in skein-system). */
export async function readyControlPlanePod(config: k8s.KubeConfig): Promise<string> {
  let pods: PodObject[];
  try {
    pods = (await new KubeRestClient(config).list<{ items: PodObject[] }>(resourcePath(PodResource, SystemNamespace), { labelSelector: `${Labels.app}=${ControlPlaneName}` })).items;
  } catch (err) {
    throw new ForwardError(`cannot list the control plane pods in ${SystemNamespace}: ${(err as Error).message}`);
  }
  const ready = pods.find((p) => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!ready) throw new ForwardError(`no ready control plane pod in ${SystemNamespace} (${pods.length} found; is Skein installed?)`);
  return ready.metadata.name;
}

export interface LocalForward {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** The last error a forwarding stream reported (refused upgrade, connection refused in the pod). */
  readonly lastError: string | undefined;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:`localPort` (0: any free port) and forwards each connection to the pod's port. */
export async function forwardPodPort(config: k8s.KubeConfig, target: { namespace: string; pod: string; port: number }, localPort = 0): Promise<LocalForward> {
  const forward = new k8s.PortForward(config);
  const sockets = new Set<net.Socket>();
  let lastError: string | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const sink = (onData: (chunk: Buffer) => void): Writable => new Writable({
      write(chunk: Buffer, _enc, done) {
        onData(chunk);
        done();
      },
    });
    const output = sink((chunk) => socket.destroyed || socket.write(chunk));
    const errors = sink((chunk) => {
      const text = chunk.toString('utf8').trim();
      if (!text) return;
      lastError = text;
      socket.destroy();
    });
    forward.portForward(target.namespace, target.pod, [target.port], output, errors, socket).then(
      (ws) => {
        const stream = ws as unknown as { on(event: 'close', f: () => void): void; close(): void };
        stream.on('close', () => socket.end());
        socket.on('close', () => stream.close());
      },
      (err: unknown) => {
        lastError = (err as Error)?.message ?? String(err);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ForwardError(`cannot listen on 127.0.0.1:${localPort}: ${err.message}`)));
    server.listen(localPort, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`,
    get lastError() {
      return lastError;
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
