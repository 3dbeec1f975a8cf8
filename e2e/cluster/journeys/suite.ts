/**
 * The Kubernetes journeys as one jest suite over any cluster backend: the simulated cluster
 * (e2e/cluster/journeys.sys.test.ts) and kind (e2e/kind/kind.sys.test.ts). `cni: true` installs
 * with `cni.enabled` and checks CNI-mode injection; the simulated node cannot run that yet (no
 * DaemonSets, hostNetwork, hostPath or CNI chain: docs/kubernetes.md, Known gaps). One cluster for the file; the journeys run in order, each leaving the
 * mesh as the next expects it: a install → b sample + mTLS → c split (removed after) → d
 * PeerAuthentication (PERMISSIVE after) → e leader failover → f Jobs → g webhook down (back up
 * after) → h uninstall. Each test's wall time is printed at the end.
 */
import { currentTestFailed } from '../../harness/jest';
import { type ClusterBackend } from '../backend';
import { type Journey, type JourneyOptions, Names, newJourney } from './context';
import { clientSpiffeId, injectAndMtls } from './inject';
import { install } from './install';
import { leaderFailover } from './failover';
import { jobsComplete } from './jobs';
import { peerAuthModes, removeSplit, trafficSplit } from './policies';
import { uninstallJourney } from './uninstall';
import { webhookDown } from './webhook-down';

export interface SuiteOptions extends JourneyOptions {
  /** Starts the cluster (beforeAll). */
  start: () => Promise<ClusterBackend>;
  /** beforeAll's bound (a kind cluster and an image build take minutes). */
  startTimeoutMs: number;
  /** Keep the cluster's files (logs, volumes, captures) after the run even when it passed (SKEIN_KEEP_CLUSTER=1); a failed run always keeps them. */
  keep?: boolean;
}

const clientId = clientSpiffeId(Names.meshed, Names.client);
const echoId = clientSpiffeId(Names.meshed, Names.echo);

export function journeySuite(options: SuiteOptions): void {
  let journey: Journey | undefined;
  let failed = false;
  const started = Date.now();
  const get = (): Journey => {
    if (!journey) throw new Error('the cluster did not start (see beforeAll)');
    return journey;
  };
  /** A journey step: its wall time is recorded for the summary. */
  const step = (name: string, timeoutMs: number, body: (j: Journey) => Promise<void>) =>
    it(name, async () => {
      const t = Date.now();
      try {
        await body(get());
      } finally {
        get().timings.set(name, Date.now() - t);
      }
    }, timeoutMs);

  beforeAll(async () => {
    const t = Date.now();
    journey = newJourney(await options.start(), { cni: options.cni });
    journey.timings.set('cluster start', Date.now() - t);
  }, options.startTimeoutMs);

  afterEach(async () => {
    if (!journey || currentTestFailed() === false) return;
    failed = true;
    console.error(`journey failed on the ${journey.backend.name} cluster; container and node logs:\n${await journey.backend.diagnostics()}`);
  });

  afterAll(async () => {
    if (!journey) return;
    const t = Date.now();
    await journey.backend.stop({ keep: failed || options.keep === true });
    journey.timings.set('cluster stop', Date.now() - t);
    const lines = [...journey.timings].map(([name, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}`);
    console.log(`journeys on the ${journey.backend.name} cluster${options.cni ? ' (CNI mode)' : ''}, wall time:\n${lines.join('\n')}\n  ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  the whole file`);
  }, 180_000);

  step('a. install: CRDs established, two control-plane replicas Ready from the Deployment, one leader, webhook caBundle, skein-root-cert in the meshed namespace', 300_000, async (j) => {
    const out = await install(j);
    expect(out.crds).toHaveLength(4);
    expect(out.replicas).toEqual([expect.objectContaining({ ready: true, restarts: 0 }), expect.objectContaining({ ready: true, restarts: 0 })]);
    expect(out.replicas.map((r) => r.name)).toContain(out.leader);
    expect(out.caBundles).toBe(2);
    expect(out.rootCert).toContain('-----BEGIN CERTIFICATE-----');
    // install.yaml's RBAC is all the control plane needs: it was never refused.
    for (const r of out.replicas) expect(await j.backend.logs(Names.system, r.name, 'controlplane')).not.toMatch(/forbidden/i);
  });

  step('b. a labelled namespace: the webhook injects two Deployments, the pods run, A → B over HTTP and gRPC is mutual TLS', 300_000, async (j) => {
    const out = await injectAndMtls(j);
    for (const pod of out.pods) {
      expect(pod.proxy).toEqual({ native: j.backend.nativeSidecars, runAsUser: 1337 });
      if (j.options.cni) {
        expect(pod.capture).toEqual({ container: 'skein-validation', add: [], runAsUser: 1337 });
        expect(pod.init).not.toContain('skein-init');
      } else {
        expect(pod.capture).toEqual({ container: 'skein-init', add: ['NET_ADMIN', 'NET_RAW'], runAsUser: 0 });
      }
    }
    expect(out.http).toMatchObject({ ok: 6, failed: 0, first: { name: Names.echo, callerSpiffeId: clientId, remoteAddress: '127.0.0.6' } });
    expect(out.grpc).toMatchObject({ ok: 4, failed: 0, first: { protocol: 'grpc', callerSpiffeId: clientId } });
    expect(out.proxyLog.join('\n')).toContain(`certificate for ${clientId}`);
    if (out.wire) expect(out.wire).toEqual({ tls: true, plaintext: false });
    else console.warn(`${j.backend.name}: no capture of the pod network on this backend; the wire was not checked`);
  });

  step('c. a 90/10 VirtualService through the API: Accepted with observedGeneration, the split over 200 requests, invalid ones refused or explained', 300_000, async (j) => {
    const out = await trafficSplit(j);
    expect(out.status).toMatchObject({ status: 'True', reason: 'Accepted', observedGeneration: out.status.generation });
    expect(out.report).toMatchObject({ requests: 200, failed: 0 });
    const v2 = out.report.byVersion.v2 ?? 0;
    expect(v2 + (out.report.byVersion.v1 ?? 0)).toBe(200);
    expect(v2).toBeGreaterThanOrEqual(out.interval.lo);
    expect(v2).toBeLessThanOrEqual(out.interval.hi);
    expect(out.schemaRefusal.code).toBe(422);
    expect(out.schemaRefusal.message).toMatch(/spec\.http\[0\]\.route\[0\]\.weight/);
    expect(out.invalidStatus).toMatchObject({ status: 'False', reason: 'Invalid', message: expect.stringMatching(/weights must add up to 100.*110/) });
    await removeSplit(j);
  });

  step('d. PeerAuthentication STRICT refuses a pod of an unlabelled namespace and keeps the meshed client; PERMISSIVE accepts it', 300_000, async (j) => {
    const out = await peerAuthModes(j);
    expect(out.outsiderContainers).toEqual(['app']);
    expect(out.before).toMatchObject({ ok: 1, failed: 0, first: { callerSpiffeId: null } });
    expect(out.strictStatus).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(out.strictOutsider.ok).toBe(0);
    expect(out.strictMeshed).toMatchObject({ ok: 4, failed: 0, first: { callerSpiffeId: clientId } });
    expect(out.permissiveOutsider).toMatchObject({ ok: 6, failed: 0, first: { callerSpiffeId: null } });
  });

  step('e. delete the leader\'s pod: the other replica takes over within the lease, a steady client sees no failure, new pods still get certificates', 300_000, async (j) => {
    const out = await leaderFailover(j);
    console.log(`leader ${out.leader} deleted; ${out.successor} took over after ${out.takeoverMs} ms; steady client: ${out.steady.ok} ok, ${out.steady.failed} failed ${JSON.stringify(out.steady.errors)}`);
    expect(out.successor).not.toBe(out.leader);
    expect(out.replicasAfter).toContain(out.successor);
    expect(out.replicasAfter).not.toContain(out.leader);
    expect(out.steady.failed).toBe(0);
    expect(out.steady.ok).toBeGreaterThan(0);
    expect(out.newPod.certificate).toContain(`certificate for ${echoId}`);
  });

  step('f. meshed Jobs complete: native sidecar, and classic with the proxy told to quit', 300_000, async (j) => {
    const out = await jobsComplete(j);
    if (j.backend.nativeSidecars) expect(out.native).toMatchObject({ proxyIn: 'initContainers', podPhase: 'Succeeded', report: { ok: 3, failed: 0 } });
    expect(out.classic).toMatchObject({ proxyIn: 'containers', podPhase: 'Succeeded', report: { ok: 3, failed: 0 } });
  });

  step('g. webhook down with failurePolicy Fail: a meshed pod is refused with a clear message; kube-system and skein-system pods never reach the webhook', 300_000, async (j) => {
    const out = await webhookDown(j);
    expect(out.refusal.code).toBe(500);
    expect(out.refusal.message).toMatch(/failed calling webhook "namespace\.inject\.skein\.dev"/);
    expect(out.refusal.message).toMatch(/skein-controlplane/);
    expect(out.systemPods).toEqual([
      { namespace: 'kube-system', containers: ['app'], ready: true },
      { namespace: Names.system, containers: ['app'], ready: true },
    ]);
    expect(out.restored).toHaveLength(2);
    expect(out.injectedAgain).toContain('skein-proxy');
  });

  step('h. uninstall removes what install created; running pods keep working and talk plaintext with pods made after', 300_000, async (j) => {
    const out = await uninstallJourney(j);
    expect(out.left).toEqual([]);
    expect(out.deleted).toEqual(expect.arrayContaining(j.installed.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`)));
    expect(out.meshedAfter).toMatchObject({ failed: 0, first: { callerSpiffeId: clientId } });
    expect(out.newPodContainers).toEqual(['app']);
    expect(out.newPodToMeshed).toMatchObject({ ok: 4, failed: 0, first: { callerSpiffeId: null } });
    expect(out.meshedToNewPod).toMatchObject({ ok: 2, failed: 0, first: { name: Names.echo, callerSpiffeId: null } });
    expect(new Set(out.restartedContainers)).toEqual(new Set(['app']));
    expect(out.afterRestart).toMatchObject({ ok: 6, failed: 0, first: { callerSpiffeId: null } });
  });
}
