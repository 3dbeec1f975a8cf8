/**
 * Journey a: install. install.yaml applied as a user applies it (server-side apply), then what a
 * working install looks like from outside: CRDs Established, both control-plane replicas Ready
 * (run by the node from the Deployment as written), one leader in the Lease, the webhook's
 * caBundle written by the leader, and `skein-root-cert` published in a meshed namespace.
 */
import { installYaml } from '../../../manifests/src/install';
import { resolveValues } from '../../../manifests/src/values';
import { type Journey, Bounds, Names } from './context';
import { type Obj, yamlObjects } from './kube';
import { conditionTrue, describePods, podsOf } from './workloads';

export interface InstallOutcome {
  crds: string[];
  replicas: { name: string; ready: boolean; restarts: number }[];
  leader: string;
  caBundles: number;
  rootCert: string;
}

/** The install manifests for this backend: its Skein image; CNI mode when the journey asks. */
export function installObjects(journey: Journey): Obj[] {
  return yamlObjects(installYaml(resolveValues([{ source: 'journey', values: { image: journey.backend.images.skein, ...(journey.options.cni ? { cni: { enabled: true } } : {}) } }])));
}

export async function install(journey: Journey): Promise<InstallOutcome> {
  const { kube } = journey;
  const objects = installObjects(journey);
  journey.installed = objects;
  await kube.apply(objects, 'skein');

  const crdNames = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);
  await kube.waitFor('the CRDs to be Established', async (note) => {
    const crds = await Promise.all(crdNames.map((n) => kube.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, n)));
    const established = crds.filter((c) => conditionTrue(c, 'Established'));
    note(`${established.length}/${crdNames.length} established`);
    return established.length === crdNames.length;
  }, Bounds.install);

  const replicas = await waitForControlPlane(journey, 2);
  const leader = await currentLeader(journey, replicas.map((r) => r.name));

  const caBundles = await kube.waitFor('the webhook caBundle to be written by the leader', async (note) => {
    const config = await kube.get('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', undefined, Names.webhook);
    const hooks = (config?.webhooks ?? []) as { name: string; clientConfig?: { caBundle?: string } }[];
    const filled = hooks.filter((h) => Buffer.from(h.clientConfig?.caBundle ?? '', 'base64').toString().includes('BEGIN CERTIFICATE'));
    note(`${filled.length}/${hooks.length} entries have a caBundle`);
    return hooks.length > 0 && filled.length === hooks.length ? filled.length : undefined;
  }, Bounds.install);

  await kube.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: Names.meshed, labels: { 'skein.dev/inject': 'enabled' } } }]);
  const rootCert = await kube.waitFor(`skein-root-cert in namespace ${Names.meshed}`, async () => {
    const cm = await kube.get('v1', 'ConfigMap', Names.meshed, 'skein-root-cert');
    return cm?.data?.['root-cert.pem'] as string | undefined;
  }, Bounds.install);
  return { crds: crdNames, replicas, leader, caBundles, rootCert };
}

/** Waits until `count` control-plane pods are Ready (and no other is left); their names and restarts. */
export async function waitForControlPlane(journey: Journey, count: number): Promise<InstallOutcome['replicas']> {
  return journey.kube.waitFor(`${count} control-plane replica(s) Ready`, async (note) => {
    const pods = (await podsOf(journey.kube, Names.system, `app=${Names.controlPlane}`)).filter((p) => !p.metadata.deletionTimestamp);
    const replicas = pods.map((p) => ({
      name: p.metadata.name,
      ready: conditionTrue(p, 'Ready'),
      restarts: ((p.status?.containerStatuses ?? []) as { restartCount: number }[]).reduce((n, c) => n + c.restartCount, 0),
    }));
    note(describePods(pods));
    return replicas.length === count && replicas.every((r) => r.ready) ? replicas : undefined;
  }, Bounds.install, 1000);
}

/** The control plane's Lease holder, once `accept` takes it. */
function waitForLeaseHolder(journey: Journey, what: string, accept: (holder: string) => boolean, timeoutMs: number): Promise<string> {
  return journey.kube.waitFor(what, async (note) => {
    const lease = await journey.kube.get('coordination.k8s.io/v1', 'Lease', Names.system, Names.controlPlane);
    const holder = lease?.spec?.holderIdentity as string | undefined;
    note(`holder ${holder || '(none)'}`);
    return holder && accept(holder) ? holder : undefined;
  }, timeoutMs, 200);
}

/**
 * The Lease's holder once it is someone other than `previous`: the replica left, or the replacement
 * pod (it tries at once on start while the others wait their retry period; either is a takeover).
 */
export function leaderOtherThan(journey: Journey, previous: string, timeoutMs: number): Promise<string> {
  return waitForLeaseHolder(journey, `a leader other than ${previous}`, (holder) => holder !== previous, timeoutMs);
}

/** The Lease holder, once it is one of `candidates`. */
export function currentLeader(journey: Journey, candidates: readonly string[], timeoutMs: number = Bounds.install): Promise<string> {
  return waitForLeaseHolder(journey, `a leader among ${candidates.join(', ')}`, (holder) => candidates.includes(holder), timeoutMs);
}
