/**
 * Journey g: the webhook is down (the control plane scaled to 0) and its failurePolicy is Fail.
 * - A pod in a meshed namespace is refused, with the API server's message naming the webhook.
 * - Pods in kube-system and skein-system are never sent to the webhook, so they are created and
 *   run — which is what lets the control plane itself come back: scaling it up again from 0 needs
 *   its own pods admitted while no webhook answers (istio#43593's deadlock, avoided).
 * - Once it is back, a meshed pod is created and injected again.
 */
import { Names, Bounds, type Journey } from './context';
import { KubeError, type Obj } from './kube';
import { waitForControlPlane } from './install';
import { conditionTrue, containerNames, describePods } from './workloads';

const pause = (journey: Journey, namespace: string, name: string): Obj => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { app: name } },
  spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: journey.backend.images.client, imagePullPolicy: journey.backend.imagePullPolicy, command: ['sleep', 'infinity'] }] },
});

export interface WebhookDownOutcome {
  refusal: { code: number; message: string };
  systemPods: { namespace: string; containers: string[]; ready: boolean }[];
  restored: string[];
  injectedAgain: string[];
}

export async function scaleControlPlane(journey: Journey, replicas: number): Promise<void> {
  await journey.kube.patch({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: Names.controlPlane, namespace: Names.system } }, { spec: { replicas } });
}

export async function webhookDown(journey: Journey): Promise<WebhookDownOutcome> {
  const { kube } = journey;
  await scaleControlPlane(journey, 0);
  await kube.waitFor('every control-plane pod to be gone', async (note) => {
    const pods = await kube.list('v1', 'Pod', Names.system, `app=${Names.controlPlane}`);
    note(describePods(pods));
    return pods.length === 0;
  }, Bounds.podReady, 500);

  let refusal = { code: 0, message: 'created' };
  try {
    await kube.create(pause(journey, Names.meshed, 'refused'));
  } catch (e) {
    if (!(e instanceof KubeError)) throw e;
    refusal = { code: e.code, message: e.message };
  }

  const systemPods: WebhookDownOutcome['systemPods'] = [];
  for (const namespace of ['kube-system', Names.system]) {
    const created = await kube.create(pause(journey, namespace, 'admitted'));
    const running = await kube.waitFor(`pod ${namespace}/admitted to be Ready`, async (note) => {
      const pod = await kube.get('v1', 'Pod', namespace, 'admitted');
      note(pod ? describePods([pod]) : 'gone');
      return conditionTrue(pod, 'Ready') ? pod : undefined;
    }, Bounds.podReady, 500);
    const names = containerNames(created);
    systemPods.push({ namespace, containers: [...names.init, ...names.main], ready: conditionTrue(running, 'Ready') });
    await kube.delete(created, { gracePeriodSeconds: 0 });
  }

  // Back from 0: the ReplicaSet's pods in skein-system are admitted without the webhook.
  await scaleControlPlane(journey, 2);
  const restored = (await waitForControlPlane(journey, 2)).map((r) => r.name);
  const again = await kube.waitFor('a meshed pod to be created once the webhook is back', async (note) => {
    try {
      return await kube.create(pause(journey, Names.meshed, 'admitted-again'));
    } catch (e) {
      note((e as Error).message);
      return undefined;
    }
  }, Bounds.policy, 1000);
  await kube.delete(again, { gracePeriodSeconds: 0 });
  const names = containerNames(again);
  return { refusal, systemPods, restored, injectedAgain: [...names.init, ...names.main] };
}
