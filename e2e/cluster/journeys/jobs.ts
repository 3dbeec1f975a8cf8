/**
 * Journey f: meshed Jobs complete.
 * - Native sidecar (Kubernetes 1.29+, what the webhook injects on such a cluster): the proxy is a
 *   restartable init container; once the app container exits the kubelet stops it and the pod
 *   Succeeds.
 * - Classic sidecar (older clusters, or a pod annotated `sidecar.skein.dev/nativeSidecar: "false"`):
 *   the proxy is a regular container and would keep the pod running; the app tells it to quit with
 *   `POST http://127.0.0.1:15000/quitquitquit` on the proxy's loopback admin port (Istio's
 *   convention) when it is done, as docs/injection.md describes.
 * Each Job's app calls echo through the mesh; its log is the client's report.
 */
import { Annotations } from '../../../api/src/names';
import { AppsDirInImage } from '../backend';
import { Names, Bounds, type Journey } from './context';
import { type ClientReport, EchoPorts } from './apps';
import { type Obj, WaitAborted } from './kube';
import { conditionTrue, containerNames, describePods } from './workloads';

const echoUrl = `http://${Names.echo}.${Names.meshed}:${EchoPorts.http}/job`;

/** What a classic-sidecar Job's app runs: its work, then the proxy's quit, keeping the work's exit code. */
export const quitProxyScript = `code=0; node ${AppsDirInImage}/client.js http ${echoUrl} --count 3 || code=$?; node -e "fetch('http://127.0.0.1:15000/quitquitquit', { method: 'POST' }).catch(() => process.exit(1))"; exit $code`;

export function job(journey: Journey, name: string, classic: boolean): Obj {
  return {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: Names.meshed },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { app: name }, ...(classic ? { annotations: { [Annotations.nativeSidecar]: 'false' } } : {}) },
        spec: {
          serviceAccountName: Names.client,
          restartPolicy: 'Never',
          containers: [classic
            ? { name: 'app', image: journey.backend.images.client, imagePullPolicy: journey.backend.imagePullPolicy, command: ['sh', '-c', quitProxyScript] }
            : { name: 'app', image: journey.backend.images.client, imagePullPolicy: journey.backend.imagePullPolicy, args: ['http', echoUrl, '--count', '3'] }],
        },
      },
    },
  };
}

export interface JobOutcome {
  name: string;
  /** skein-proxy in initContainers (native) or containers (classic). */
  proxyIn: 'initContainers' | 'containers' | 'none';
  podPhase: string;
  report: ClientReport;
}

export async function runJob(journey: Journey, name: string, classic: boolean): Promise<JobOutcome> {
  const { kube } = journey;
  await kube.apply([job(journey, name, classic)]);
  await kube.waitFor(`Job ${name} to complete`, async (note) => {
    const j = await kube.get('batch/v1', 'Job', Names.meshed, name);
    const pods = await kube.list('v1', 'Pod', Names.meshed, `job-name=${name}`);
    note(`${JSON.stringify(j?.status ?? {})}\n${describePods(pods)}`);
    if (conditionTrue(j, 'Failed')) throw new WaitAborted(`Job ${name} failed: ${JSON.stringify(j?.status)}\n${describePods(pods)}`);
    return conditionTrue(j, 'Complete');
  }, Bounds.podReady, 1000);
  const [pod] = await kube.list('v1', 'Pod', Names.meshed, `job-name=${name}`);
  const names = containerNames(pod!);
  const log = await journey.backend.logs(Names.meshed, pod!.metadata.name, 'app');
  return {
    name,
    proxyIn: names.init.includes('skein-proxy') ? 'initContainers' : names.main.includes('skein-proxy') ? 'containers' : 'none',
    podPhase: pod!.status?.phase,
    report: JSON.parse(log.trim().split('\n').pop()!) as ClientReport,
  };
}

export async function jobsComplete(journey: Journey): Promise<{ native?: JobOutcome; classic: JobOutcome }> {
  const native = journey.backend.nativeSidecars ? await runJob(journey, 'once-native', false) : undefined;
  const classic = await runJob(journey, 'once-classic', true);
  return { native, classic };
}
