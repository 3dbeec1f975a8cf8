/**
 * Journey e: delete the leader's pod while a steady client calls echo. The leader releases the
 * Lease on SIGTERM and the other replica takes over (bounded by the lease: 15 s plus two retry
 * periods with client-go's jitter); the Deployment replaces the pod; the steady client's requests
 * keep succeeding (data plane traffic never passes the control plane); and a new workload pod
 * still gets injected and its certificate from the replica that is left.
 */
import { Names, type Journey } from './context';
import { type ClientReport, EchoPorts, onePod, readyPods, runClient } from './apps';
import { currentLeader, leaderOtherThan, waitForControlPlane } from './install';

/** client-go's defaults as install.yaml leaves them: 15 s lease, 2 s retry (jitter 1.2). */
export const LeaseBoundMs = 15_000 + 2 * 2_400;

export interface FailoverOutcome {
  leader: string;
  successor: string;
  /** From the DELETE to the successor (the replica left or the replacement pod) in the Lease (measured, not asserted). */
  takeoverMs: number;
  replicasAfter: string[];
  steady: ClientReport;
  newPod: { name: string; certificate: string | undefined };
}

export async function leaderFailover(journey: Journey): Promise<FailoverOutcome> {
  const { kube } = journey;
  const replicas = await waitForControlPlane(journey, 2);
  const leader = await currentLeader(journey, replicas.map((r) => r.name));
  const client = await onePod(journey, Names.meshed, Names.client);

  // 10 requests a second for 30 s, through the deletion, the takeover and the replacement.
  const steady = runClient(journey, Names.meshed, client, {
    protocol: 'http', target: `http://${Names.echo}.${Names.meshed}:${EchoPorts.http}/steady`, count: 300, durationMs: 30_000, intervalMs: 100, timeoutMs: 5000,
  });
  const deletedAt = Date.now();
  await kube.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: leader, namespace: Names.system } });
  const successor = await leaderOtherThan(journey, leader, LeaseBoundMs);
  const takeoverMs = Date.now() - deletedAt;
  const after = await waitForControlPlane(journey, 2);
  const report = await steady;

  // A new pod: injected by the webhook of the replicas that are left, certificate from their CA.
  const [old] = await readyPods(journey, Names.meshed, `app=${Names.echo},version=v2`, 1);
  await kube.delete({ apiVersion: 'v1', kind: 'Pod', metadata: { name: old!.metadata.name, namespace: Names.meshed } });
  const fresh = await kube.waitFor('the replacement echo-v2 pod to be Ready', async () => {
    const pods = await readyPods(journey, Names.meshed, `app=${Names.echo},version=v2`, 1);
    return pods[0]!.metadata.name !== old!.metadata.name ? pods[0] : undefined;
  }, 180_000, 1000);
  const proxyLog = await journey.backend.logs(Names.meshed, fresh.metadata.name, 'skein-proxy');
  const certificate = proxyLog.split('\n').find((l) => l.startsWith('certificate for'));
  return { leader, successor, takeoverMs, replicasAfter: after.map((r) => r.name), steady: report, newPod: { name: fresh.metadata.name, certificate } };
}
