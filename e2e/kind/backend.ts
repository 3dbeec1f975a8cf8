/**
 * kind as a journey backend: the same journeys as the simulated cluster (e2e/cluster/journeys/),
 * on a real cluster. It does what docs/kubernetes.md ("Skein on kind") tells a user to do: create
 * a cluster, build the Skein image from the repository's Dockerfile, build the sample apps' images
 * FROM it (the compiled e2e apps under /opt/skein/e2e/apps/build, where every backend runs them),
 * `kind load docker-image` all three, and let the journeys install with that image and
 * `imagePullPolicy: IfNotPresent`. exec and logs are kubectl's; there is no capture of the pod
 * network (the journeys say the wire was not checked).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApps } from '../harness/apps';
import { run, type RunResult } from '../harness/command';
import { AppsDirInImage, type ClusterBackend, type ExecResult, type JourneyImages } from '../cluster/backend';
import { ClientImage, EchoImage, RepoRoot, SkeinImage } from '../cluster/images';

export interface KindClusterOptions {
  /** Cluster name (default `skein-e2e-<random>`). */
  name: string;
  /** `kind create cluster --image` (a kindest/node image; default kind's own). */
  nodeImage?: string;
}

/** The Dockerfile of a sample app's image: the Skein image plus the compiled apps, run as UID 1000. */
export function appDockerfile(skeinImage: string, app: 'echo' | 'client'): string {
  return [
    `FROM ${skeinImage}`,
    `COPY . ${AppsDirInImage}/`,
    'USER 1000:1000',
    `ENTRYPOINT ["node", "${AppsDirInImage}/${app}.js"]`,
    'CMD []',
    '',
  ].join('\n');
}

/** The minor version of `kubectl version -o json`'s serverVersion. */
export function serverMinor(versionJson: string): number {
  const v = JSON.parse(versionJson) as { serverVersion?: { minor?: string } };
  const minor = Number.parseInt(v.serverVersion?.minor ?? '', 10);
  if (!Number.isFinite(minor)) throw new Error(`kubectl version: no server minor version in ${versionJson.slice(0, 200)}`);
  return minor;
}

const minutes = (n: number) => n * 60_000;

async function must(argv: readonly string[], options: { timeoutMs: number; input?: string }): Promise<RunResult> {
  return run(argv, { timeoutMs: options.timeoutMs, ...(options.input !== undefined ? { input: options.input } : {}) });
}

export async function startKindCluster(options: KindClusterOptions): Promise<ClusterBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-kind-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const images: JourneyImages = { skein: SkeinImage, echo: EchoImage, client: ClientImage };
  const kubectl = (args: readonly string[], o: { timeoutMs?: number; allowFailure?: boolean } = {}) =>
    run(['kubectl', '--kubeconfig', kubeconfigPath, ...args], { timeoutMs: o.timeoutMs ?? 60_000, ...(o.allowFailure ? { allowFailure: true } : {}) });

  await must(['kind', 'create', 'cluster', '--name', options.name, '--wait', '180s', ...(options.nodeImage ? ['--image', options.nodeImage] : [])], { timeoutMs: minutes(6) });
  try {
    writeFileSync(kubeconfigPath, (await must(['kind', 'get', 'kubeconfig', '--name', options.name], { timeoutMs: 30_000 })).stdout, { mode: 0o600 });
    await must(['docker', 'build', '-t', images.skein, RepoRoot], { timeoutMs: minutes(15) });
    const appsDir = buildApps();
    for (const app of ['echo', 'client'] as const) {
      await must(['docker', 'build', '-t', images[app], '-f', '-', appsDir], { input: appDockerfile(images.skein, app), timeoutMs: minutes(5) });
    }
    for (const image of Object.values(images)) await must(['kind', 'load', 'docker-image', image, '--name', options.name], { timeoutMs: minutes(5) });
  } catch (e) {
    await run(['kind', 'delete', 'cluster', '--name', options.name], { timeoutMs: minutes(3), allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const minor = serverMinor((await kubectl(['version', '-o', 'json'])).stdout);

  return {
    name: 'kind',
    kubeconfigPath,
    images,
    imagePullPolicy: 'IfNotPresent',
    nativeSidecars: minor >= 29,
    async exec(namespace, pod, container, argv, o = {}): Promise<ExecResult> {
      const r = await kubectl(['exec', '-n', namespace, pod, '-c', container, '--', ...argv], { timeoutMs: o.timeoutMs ?? 60_000, allowFailure: true });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    async logs(namespace, pod, container, o = {}) {
      return (await kubectl(['logs', '-n', namespace, pod, '-c', container, ...(o.previous ? ['--previous'] : [])])).stdout;
    },
    captureTraffic: async () => undefined,
    async diagnostics() {
      const pods = await kubectl(['get', 'pods', '-A', '-o', 'wide'], { allowFailure: true });
      const events = await kubectl(['get', 'events', '-A', '--sort-by=.lastTimestamp'], { allowFailure: true });
      const cp = await kubectl(['logs', '-n', 'skein-system', '-l', 'app=skein-controlplane', '--all-containers', '--tail', '40', '--prefix'], { allowFailure: true });
      return `${pods.stdout}\n${events.stdout.split('\n').slice(-40).join('\n')}\n${cp.stdout}`;
    },
    async stop(o = {}) {
      if (o.keep) {
        console.warn(`kept kind cluster ${options.name} (kubeconfig ${kubeconfigPath}); delete it with: kind delete cluster --name ${options.name}`);
        return;
      }
      await must(['kind', 'delete', 'cluster', '--name', options.name], { timeoutMs: minutes(3) });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
