/**
 * The bodies of the operator's cluster verbs (`install`, `uninstall`, `check`, `proxy-status`,
 * live `analyze`): connect, run, say what happened. Loaded only when one of them runs (it pulls in
 * the Kubernetes client); the flags and usage live in ../cli.ts.
 */
import { type CommandIo } from '../../../api/src/command';
import { analyzeSources, type SourceFile } from '../core/analyze';
import { formatConfigError } from '../core/config-error';
import { type MeshSettings } from '../core/mesh-index';
import { formatProxyStatus, type ProxyStatus } from '../core/proxy-status';
import { localProxyStatuses } from '../monitoring-client';
import { checkInstallation, checkPreInstall, formatCheck } from '../kube/check';
import { type Cluster, type ClusterOptions, withCluster } from '../kube/cluster';
import { clusterProxyStatuses } from '../kube/control-plane';
import { install, installSummary, keptAfterUninstall, type ManifestObject, uninstall } from '../kube/install';
import { NamespaceResource, resourcePath, type ResourceType, ServiceResource, SkeinResources } from '../kube/resources';

const line = (io: CommandIo) => (text: string) => void io.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runInstall(o: { cluster: ClusterOptions; objects: ManifestObject[]; version: string; timeoutMs: number; wait: boolean }, io: CommandIo): Promise<number> {
  return withCluster(o.cluster, async (cluster) => {
    io.stdout.write(`Installing Skein ${o.version} into ${cluster.server} (${cluster.source})\n`);
    const counts = await install(cluster.api, { objects: o.objects, version: o.version, timeoutMs: o.timeoutMs, wait: o.wait }, { line: line(io), now: () => Date.now(), sleep });
    io.stdout.write(`${installSummary(o.version, counts)}${o.wait ? '' : ' (not waiting for readiness: `skein check` tells when it is ready)'}\n`);
    return 0;
  });
}

export async function runUninstall(o: { cluster: ClusterOptions; objects: ManifestObject[]; purge: boolean }, io: CommandIo): Promise<number> {
  return withCluster(o.cluster, async (cluster) => {
    const { deleted, absent } = await uninstall(cluster.api, { objects: o.objects, purge: o.purge }, { line: line(io) });
    io.stdout.write(`✓ Skein uninstalled from ${cluster.server}: ${deleted} deleted${absent ? `, ${absent} already gone` : ''}.\n`);
    if (!o.purge) {
      io.stdout.write('Kept (`skein uninstall --purge` removes them):\n');
      for (const kept of await keptAfterUninstall(cluster.api, o.objects)) io.stdout.write(`  ${kept}\n`);
    }
    return 0;
  });
}

export async function runCheck(o: { cluster: ClusterOptions; pre: boolean; objects?: () => ManifestObject[] }, io: CommandIo): Promise<number> {
  return withCluster(o.cluster, async (cluster) => {
    io.stdout.write(`${o.pre ? 'Pre-install checks' : 'Checking Skein'} on ${cluster.server} (${cluster.source})\n`);
    const checkIo = { report: (r: Parameters<typeof formatCheck>[0]) => void io.stdout.write(`${formatCheck(r)}\n`), now: () => new Date() };
    const ok = o.pre ? await checkPreInstall(cluster, o.objects?.() ?? [], checkIo) : await checkInstallation(cluster, checkIo);
    io.stdout.write(ok ? `\n✓ all checks passed${o.pre ? ': Skein can be installed (skein install)' : ''}\n` : '\n× some checks failed (hints above)\n');
    return ok ? 0 : 1;
  });
}

export async function runProxyStatus(o: { cluster: ClusterOptions; monitoringUrl?: string; output: 'table' | 'json' }, io: CommandIo): Promise<number> {
  let statuses: ProxyStatus[];
  let errors: string[] = [];
  if (o.monitoringUrl) statuses = await localProxyStatuses(o.monitoringUrl);
  else ({ statuses, errors } = await withCluster(o.cluster, (cluster) => clusterProxyStatuses(cluster)));
  if (o.output === 'json') io.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
  else io.stdout.write(statuses.length ? formatProxyStatus(statuses, new Date()) : 'no proxies connected\n');
  for (const e of errors) io.stderr.write(`skein proxy-status: ${e}\n`);
  return errors.length ? 1 : 0;
}

/** What live `analyze` reads: Namespaces, Services and every Skein custom resource. */
const analyzedResources: readonly ResourceType[] = [NamespaceResource, ServiceResource, ...SkeinResources];

async function clusterObjects(cluster: Cluster): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const type of analyzedResources) {
    const list = await cluster.api.list<{ items: Record<string, unknown>[] }>(resourcePath(type));
    // Lists leave apiVersion/kind off their items; the validator wants them.
    for (const item of list.items) out.push({ apiVersion: type.apiVersion, kind: type.kind, ...item });
  }
  return out;
}

export async function runAnalyze(o: { files: SourceFile[]; cluster?: ClusterOptions; settings: MeshSettings }, io: CommandIo): Promise<number> {
  const fromCluster = o.cluster ? await withCluster(o.cluster, clusterObjects) : undefined;
  const { errors, objects } = analyzeSources({ files: o.files, ...(fromCluster ? { clusterObjects: fromCluster } : {}), settings: o.settings });
  for (const e of errors) io.stdout.write(`${formatConfigError(e)}\n`);
  const what = `${objects} objects${fromCluster ? ` (${fromCluster.length} from the cluster${o.files.length ? `, files applied over them` : ''}: ${[...new Set(analyzedResources.map((r) => r.kind))].join(', ')})` : ''}`;
  io.stdout.write(errors.length ? `\n${errors.length} problem(s) found in ${what}\n` : `no problems found (${what})\n`);
  return errors.length ? 1 : 0;
}

