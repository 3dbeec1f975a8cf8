/**
 * Journey h: uninstall removes what install created, and the pods that run keep working.
 * Removal follows `skein uninstall --purge` (operator verbs): the webhook registration first (no pod
 * creation waits on a webhook that is going away), then the control plane and its RBAC, the CRDs
 * (with every Skein resource), the trust-bundle ConfigMaps in meshed namespaces, the namespace last.
 * Then: nothing of it is left; meshed pods still call each other (their proxies keep the last
 * configuration and certificates, valid for 24 h); a pod created now is not injected and calls a
 * meshed pod in plaintext, and the meshed client calls it in plaintext too; after the meshed
 * workloads restart they run without a proxy and talk plaintext.
 */
import { RootCertConfigMap } from '../../../api/src/names';
import { Names, Bounds, type Journey } from './context';
import { type ClientReport, echoDeployment, EchoPorts, onePod, readyPods, runClient } from './apps';
import { type Obj } from './kube';
import { containerNames, describePods } from './workloads';

const describe = (o: Obj) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Deletion order of `skein uninstall`: webhook configuration, then the rest, CRDs, the namespace last. */
export function uninstallOrder(objects: readonly Obj[]): Obj[] {
  const rank = (o: Obj) => (o.kind === 'MutatingWebhookConfiguration' ? 0 : o.kind === 'Namespace' ? 3 : o.kind === 'CustomResourceDefinition' ? 2 : 1);
  return [...objects].sort((a, b) => rank(a) - rank(b));
}

export interface UninstallOutcome {
  deleted: string[];
  left: string[];
  meshedAfter: ClientReport;
  newPodContainers: string[];
  newPodToMeshed: ClientReport;
  meshedToNewPod: ClientReport;
  restartedContainers: string[];
  afterRestart: ClientReport;
}

async function remaining(journey: Journey, objects: readonly Obj[]): Promise<string[]> {
  const left: string[] = [];
  for (const o of objects) {
    if (await journey.kube.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name)) left.push(describe(o));
  }
  for (const ns of await journey.kube.list('v1', 'Namespace')) {
    if (await journey.kube.get('v1', 'ConfigMap', ns.metadata.name, RootCertConfigMap)) left.push(`ConfigMap ${ns.metadata.name}/${RootCertConfigMap}`);
  }
  return left;
}

export async function uninstall(journey: Journey): Promise<string[]> {
  const { kube } = journey;
  const deleted: string[] = [];
  for (const o of uninstallOrder(journey.installed)) {
    if (o.kind === 'Namespace') {
      for (const ns of await kube.list('v1', 'Namespace')) {
        const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RootCertConfigMap, namespace: ns.metadata.name } };
        if (await kube.delete(cm)) deleted.push(describe(cm));
      }
    }
    if (await kube.delete(o)) deleted.push(describe(o));
  }
  return deleted;
}

export async function uninstallJourney(journey: Journey): Promise<UninstallOutcome> {
  const { kube } = journey;
  const client = await onePod(journey, Names.meshed, Names.client);
  const echoUrl = `http://${Names.echo}.${Names.meshed}:${EchoPorts.http}/h`;
  const deleted = await uninstall(journey);
  const left = await kube.waitFor('everything install created to be gone', async (note) => {
    const l = await remaining(journey, journey.installed);
    note(l.join(', '));
    return l.length === 0 ? l : undefined;
  }, Bounds.install, 1000);

  const meshedAfter = await runClient(journey, Names.meshed, client, { protocol: 'http', target: echoUrl, count: 6 });

  // A pod made now: no webhook, no proxy; plaintext both ways with the meshed pods.
  await kube.apply([echoDeployment(journey, Names.meshed, 'v1', 'fresh')]);
  const [fresh] = await readyPods(journey, Names.meshed, 'app=fresh', 1);
  const names = containerNames(fresh!);
  const newPodToMeshed = await runClient(journey, Names.meshed, fresh!.metadata.name, { protocol: 'http', target: echoUrl, count: 4 });
  const meshedToNewPod = await runClient(journey, Names.meshed, client, { protocol: 'http', target: `http://${fresh!.status.podIP}:${EchoPorts.http}/`, count: 2 });

  // Restarted workloads come back without a proxy.
  for (const d of ['echo-v1', 'echo-v2', Names.client]) {
    await kube.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: d, namespace: Names.meshed } }, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } });
  }
  const restarted = await kube.waitFor('the restarted workloads to run without a proxy', async (note) => {
    const pods = (await kube.list('v1', 'Pod', Names.meshed)).filter((p) => ['echo', Names.client].includes(p.metadata.labels?.app ?? ''));
    note(describePods(pods));
    const settled = pods.length === 3 && pods.every((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
    return settled && pods.every((p) => !containerNames(p).init.includes('skein-proxy') && !containerNames(p).main.includes('skein-proxy')) ? pods : undefined;
  }, Bounds.podReady, 1000);
  const restartedClient = restarted.find((p) => p.metadata.labels?.app === Names.client)!;
  const afterRestart = await runClient(journey, Names.meshed, restartedClient.metadata.name, { protocol: 'http', target: echoUrl, count: 6 });
  const restartedContainers = restarted.flatMap((p) => [...containerNames(p).init, ...containerNames(p).main]);
  return { deleted, left, meshedAfter, newPodContainers: [...names.init, ...names.main], newPodToMeshed, meshedToNewPod, restartedContainers, afterRestart };
}
