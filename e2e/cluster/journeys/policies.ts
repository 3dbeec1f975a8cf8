/**
 * Journeys c and d: policy applied through the API server and seen in traffic.
 * c. A DestinationRule (subsets v1/v2) and a 90/10 VirtualService: the CR's status says Accepted
 *    with observedGeneration, the client's proxy takes the weighted route, 200 requests split within
 *    the binomial interval of a 10 % weight; a VirtualService the schema refuses gets 422 naming the
 *    field, one the schema lets through but Skein cannot serve gets Accepted=False saying why.
 * d. PeerAuthentication STRICT refuses a client without a sidecar (a pod in an unlabelled
 *    namespace) and keeps serving the meshed client; PERMISSIVE accepts the plaintext client again.
 */
import { Names, Bounds, type Journey } from './context';
import { type ClientReport, clientDeployment, EchoPorts, onePod, runClient } from './apps';
import { binomialAcceptance, type Interval } from './core/binomial';
import { KubeError, type Obj } from './kube';
import { containerNames } from './workloads';

const networking = 'networking.skein.dev/v1alpha1';
const security = 'security.skein.dev/v1alpha1';
const echoHost = `${Names.echo}.${Names.meshed}.svc.cluster.local`;
const echoUrl = `http://${Names.echo}.${Names.meshed}:${EchoPorts.http}/`;

export interface AcceptedCondition {
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** The CR's Accepted condition once its observedGeneration is the object's generation. */
export async function acceptedStatus(journey: Journey, apiVersion: string, kind: string, namespace: string, name: string): Promise<AcceptedCondition & { generation: number }> {
  return journey.kube.waitFor(`${kind} ${namespace}/${name} to have a status for its generation`, async (note) => {
    const obj = await journey.kube.get(apiVersion, kind, namespace, name);
    const condition = ((obj?.status?.conditions ?? []) as AcceptedCondition[]).find((c) => (c as { type?: string }).type === 'Accepted');
    note(JSON.stringify(obj?.status ?? null));
    const generation = obj?.metadata.generation;
    return condition && generation !== undefined && obj?.status?.observedGeneration === generation && condition.observedGeneration === generation ? { ...condition, generation } : undefined;
  }, Bounds.policy);
}

/** GET on the proxy's loopback admin port from the pod's app container (as `kubectl exec … curl localhost:15000/…`). */
export async function proxyAdmin(journey: Journey, namespace: string, pod: string, path: string): Promise<string> {
  const script = `fetch('http://127.0.0.1:15000${path}').then(async (r) => { process.stdout.write(await r.text()); process.exitCode = r.ok ? 0 : 1; }, (e) => { process.stderr.write(String(e.cause ?? e)); process.exitCode = 1; })`;
  const r = await journey.backend.exec(namespace, pod, 'app', ['node', '-e', script], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`GET ${path} on the proxy of ${namespace}/${pod}: exit ${r.code} ${r.stderr}`);
  return r.stdout;
}

export const destinationRule = (): Obj => ({
  apiVersion: networking, kind: 'DestinationRule', metadata: { name: Names.echo, namespace: Names.meshed },
  spec: { host: Names.echo, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] },
});

export const weightedVirtualService = (name: string, weights: [number, number]): Obj => ({
  apiVersion: networking, kind: 'VirtualService', metadata: { name, namespace: Names.meshed },
  spec: {
    hosts: [Names.echo],
    http: [{ route: [{ destination: { host: Names.echo, subset: 'v1' }, weight: weights[0] }, { destination: { host: Names.echo, subset: 'v2' }, weight: weights[1] }] }],
  },
});

export interface SplitOutcome {
  status: AcceptedCondition & { generation: number };
  report: ClientReport;
  interval: Interval;
  schemaRefusal: { code: number; message: string };
  invalidStatus: AcceptedCondition;
}

/** The requests of the split and the acceptable count of v2 answers (each tail ≤ 0.5e-6). */
export const SplitRequests = 200;
export const SplitAlpha = 1e-6;

export async function trafficSplit(journey: Journey): Promise<SplitOutcome> {
  const { kube } = journey;
  const client = await onePod(journey, Names.meshed, Names.client);
  await kube.apply([destinationRule(), weightedVirtualService(Names.echo, [90, 10])]);
  const status = await acceptedStatus(journey, networking, 'VirtualService', Names.meshed, Names.echo);

  // The client's proxy routes by weight once the route names both subsets' clusters.
  await kube.waitFor('the client proxy to route echo by weight', async (note) => {
    const dump = await proxyAdmin(journey, Names.meshed, client, '/config_dump');
    const weighted = dump.includes(`outbound|${EchoPorts.http}|v1|${echoHost}`) && dump.includes(`outbound|${EchoPorts.http}|v2|${echoHost}`) && /"weight":\s*90/.test(dump);
    note(weighted ? 'weighted' : 'not yet');
    return weighted;
  }, Bounds.policy, 1000);
  const report = await runClient(journey, Names.meshed, client, { protocol: 'http', target: echoUrl, count: SplitRequests, timeoutMs: 10_000, durationMs: 120_000 });
  const interval = binomialAcceptance(SplitRequests, 0.1, SplitAlpha);

  let schemaRefusal = { code: 0, message: 'accepted' };
  try {
    await kube.apply([weightedVirtualService('too-heavy', [150, -50])]);
  } catch (e) {
    if (!(e instanceof KubeError)) throw e;
    schemaRefusal = { code: e.code, message: e.message };
  }
  await kube.apply([weightedVirtualService('overweight', [90, 20])]);
  const invalidStatus = await acceptedStatus(journey, networking, 'VirtualService', Names.meshed, 'overweight');
  await kube.delete({ apiVersion: networking, kind: 'VirtualService', metadata: { name: 'overweight', namespace: Names.meshed } });
  return { status, report, interval, schemaRefusal, invalidStatus };
}

/** Removes the split (the next journeys expect plain round robin over v1 and v2). */
export async function removeSplit(journey: Journey): Promise<void> {
  await journey.kube.delete({ apiVersion: networking, kind: 'VirtualService', metadata: { name: Names.echo, namespace: Names.meshed } });
}

// ---- d ------------------------------------------------------------------------------------------

export const peerAuthentication = (mode: 'STRICT' | 'PERMISSIVE'): Obj => ({
  apiVersion: security, kind: 'PeerAuthentication', metadata: { name: 'default', namespace: Names.meshed },
  spec: { mtls: { mode } },
});

export interface PeerAuthOutcome {
  outsiderContainers: string[];
  before: ClientReport;
  strictStatus: AcceptedCondition;
  strictOutsider: ClientReport;
  strictMeshed: ClientReport;
  permissiveOutsider: ClientReport;
}

/** A client in the unlabelled namespace: no sidecar, plaintext. */
export async function deployOutsider(journey: Journey): Promise<string> {
  await journey.kube.apply([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: Names.unmeshed } },
    clientDeployment(journey, Names.unmeshed, Names.client, 'default'),
  ]);
  return onePod(journey, Names.unmeshed, Names.client);
}

export async function peerAuthModes(journey: Journey): Promise<PeerAuthOutcome> {
  const { kube } = journey;
  const outsider = await deployOutsider(journey);
  const outsiderPod = await kube.get('v1', 'Pod', Names.unmeshed, outsider);
  const meshed = await onePod(journey, Names.meshed, Names.client);
  const once = (ns: string, pod: string) => runClient(journey, ns, pod, { protocol: 'http', target: echoUrl, count: 1, timeoutMs: 3000 });
  const before = await once(Names.unmeshed, outsider);

  await kube.apply([peerAuthentication('STRICT')]);
  const strictStatus = await acceptedStatus(journey, security, 'PeerAuthentication', Names.meshed, 'default');
  // Both echo pods must refuse: one request lands on one of them, so wait for a run of refusals.
  const strictOutsider = await kube.waitFor('STRICT to refuse the plaintext client', async (note) => {
    const r = await runClient(journey, Names.unmeshed, outsider, { protocol: 'http', target: echoUrl, count: 6, timeoutMs: 3000 });
    note(JSON.stringify({ ok: r.ok, failed: r.failed, errors: r.errors }));
    return r.ok === 0 ? r : undefined;
  }, Bounds.policy, 1000);
  const strictMeshed = await runClient(journey, Names.meshed, meshed, { protocol: 'http', target: echoUrl, count: 4 });

  await kube.apply([peerAuthentication('PERMISSIVE')]);
  const permissiveOutsider = await kube.waitFor('PERMISSIVE to accept the plaintext client', async (note) => {
    const r = await runClient(journey, Names.unmeshed, outsider, { protocol: 'http', target: echoUrl, count: 6, timeoutMs: 3000 });
    note(JSON.stringify({ ok: r.ok, failed: r.failed, errors: r.errors }));
    return r.failed === 0 ? r : undefined;
  }, Bounds.policy, 1000);
  return { outsiderContainers: outsiderPod ? [...containerNames(outsiderPod).init, ...containerNames(outsiderPod).main] : [], before, strictStatus, strictOutsider, strictMeshed, permissiveOutsider };
}
