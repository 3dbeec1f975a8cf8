/**
 * A real mesh on top of the harness (e2e/harness): a CA, `skein controlplane` in local mode in the
 * node namespace, and per meshed pod the webhook's `skein init-network` rules plus `skein proxy`
 * in xDS mode as UID 1337, with a join token from `skein ca token`. Needs `npm run build`.
 */
import { copyFileSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { ControlPlanePorts, ProxyEnv, ProxyGid, ProxyPorts, ProxyUid } from '../../api/src/names';
import { captureSettings, initNetworkArgs } from '../../webhook/src/core/capture';
import { type ManagedProcess, type Mesh, type Pod, waitUntil } from '../harness';

export const skeinMain = path.resolve(__dirname, '../../dist/cli/src/main.js');
export const skein = (...args: string[]): string[] => [process.execPath, skeinMain, ...args];

export interface MeshWorld {
  caDir: string;
  configDir: string;
  rootCert: string;
  controlPlane: ManagedProcess;
  xdsAddress: string;
}

/** CA + control plane (config dir written first, so the control plane starts ready). */
export async function startMeshWorld(m: Mesh, extraYaml = ''): Promise<MeshWorld> {
  if (!existsSync(skeinMain)) throw new Error(`${skeinMain} not found: run npm run build first`);
  const caDir = path.join(m.dir, 'ca');
  await m.node.exec(skein('ca', 'init', '--dir', caDir));
  // The proxies (UID 1337) read the trust bundle; the CA dir itself stays private.
  const rootCert = path.join(m.dir, 'root-cert.pem');
  copyFileSync(path.join(caDir, 'root-cert.pem'), rootCert);
  chmodSync(rootCert, 0o644);
  const configDir = path.join(m.dir, 'config');
  await m.writeConfig(configDir, extraYaml);
  const world = { caDir, configDir, rootCert, xdsAddress: `${m.node.ip}:${ControlPlanePorts.xds}` } as MeshWorld;
  world.controlPlane = await startControlPlane(m, world);
  return world;
}

export async function startControlPlane(m: Mesh, w: Pick<MeshWorld, 'caDir' | 'configDir'>): Promise<ManagedProcess> {
  const cp = m.node.spawn(skein('controlplane', '--config-dir', w.configDir, '--ca-dir', w.caDir, '--xds-host', m.node.ip, '--poll-interval', '200'), { name: 'controlplane' });
  await cp.waitForHttp(`http://127.0.0.1:${ControlPlanePorts.monitoring}/readyz`, { status: 200, timeoutMs: 30_000 });
  return cp;
}

export interface SidecarOptions {
  certValiditySeconds?: number;
  /** Another control plane address (the CA stays the real one). */
  xdsAddress?: string;
  /** Wait for /healthz/ready to answer 200 (default true). */
  waitReady?: boolean;
  /** Run `skein init-network` first, as the skein-init container does (default true; false: CNI mode, the agent did it). */
  initNetwork?: boolean;
}

/** init-network (as the init container would, unless the CNI agent did) then the sidecar; resolves when it is ready. */
export async function addSidecar(m: Mesh, w: MeshWorld, pod: Pod, options: SidecarOptions = {}): Promise<ManagedProcess> {
  const token = (await m.node.exec(skein('ca', 'token', '--dir', w.caDir, '--namespace', pod.namespace, '--service-account', pod.serviceAccount, '--ttl', '1h'))).stdout.trim();
  if (options.initNetwork !== false) await pod.exec(skein(...initNetworkArgs(captureSettings({}))));
  const proxy = pod.spawn(skein('proxy', '--drain-seconds', '1'), {
    name: 'proxy',
    uid: ProxyUid,
    gid: ProxyGid,
    env: {
      [ProxyEnv.podName]: pod.name,
      [ProxyEnv.podNamespace]: pod.namespace,
      [ProxyEnv.instanceIp]: pod.ip,
      [ProxyEnv.serviceAccount]: pod.serviceAccount,
      [ProxyEnv.xdsAddress]: options.xdsAddress ?? w.xdsAddress,
      [ProxyEnv.caAddress]: w.xdsAddress,
      [ProxyEnv.rootCertPath]: w.rootCert,
      [ProxyEnv.joinToken]: token,
      [ProxyEnv.podLabels]: JSON.stringify(pod.labels),
      ...(options.certValiditySeconds !== undefined ? { [ProxyEnv.certValiditySeconds]: String(options.certValiditySeconds) } : {}),
      NODE_OPTIONS: '--max-semi-space-size=2',
    },
  });
  if (options.waitReady !== false) await proxy.waitForHttp(`http://${pod.ip}:${ProxyPorts.health}/healthz/ready`, { status: 200, timeoutMs: 30_000 });
  return proxy;
}

/** Rewrites the config dir and waits (bounded) until `converged` holds; returns the time it took. */
export async function changeConfig(m: Mesh, w: MeshWorld, extraYaml: string, converged: () => Promise<boolean>, timeoutMs = 15_000): Promise<number> {
  const started = Date.now();
  await m.writeConfig(w.configDir, extraYaml);
  await waitUntil(converged, { timeoutMs, intervalMs: 50, what: 'the new configuration to apply' });
  return Date.now() - started;
}

/** GET a path of the sidecar's loopback admin port from inside the pod; the JSON body. */
export async function adminJson(pod: Pod, urlPath: string): Promise<unknown> {
  const script = 'exec 3<>/dev/tcp/127.0.0.1/$1 && printf "GET %s HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" "$2" >&3 && cat <&3';
  const r = await pod.exec(['timeout', '5', 'bash', '-c', script, 'admin', String(ProxyPorts.admin), urlPath]);
  const body = r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4);
  return JSON.parse(body) as unknown;
}
