/**
 * Journey b: a labelled namespace, two Deployments (echo and a client), the webhook injects them,
 * the pods run, and A → B over HTTP and gRPC is mutual TLS: B's app sees A's SPIFFE id in
 * x-forwarded-client-cert, and a capture of the node's bridge holds TLS records and no byte of the
 * request's marker.
 */
import { containsPlaintext, containsTlsRecords } from '../../harness/pcap';
import { type Journey, Names } from './context';
import { type ClientReport, EchoPorts, onePod, readyPods, runClient, sample } from './apps';
import { type Obj } from './kube';
import { containerNames } from './workloads';

export interface InjectedPod {
  name: string;
  init: string[];
  main: string[];
  /** skein-init's capabilities (init mode) or skein-validation's user (CNI mode). */
  capture: { container: string; add: string[]; runAsUser: number | undefined };
  proxy: { native: boolean; runAsUser: number | undefined };
}

export interface MtlsOutcome {
  pods: InjectedPod[];
  http: ClientReport;
  grpc: ClientReport;
  /** undefined when the backend cannot capture (kind). */
  wire: { tls: boolean; plaintext: boolean } | undefined;
  proxyLog: string[];
}

export const clientSpiffeId = (namespace: string, sa: string) => `spiffe://cluster.local/ns/${namespace}/sa/${sa}`;

function describeInjection(pod: Obj): InjectedPod {
  const { init, main } = containerNames(pod);
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers] as { name: string; restartPolicy?: string; securityContext?: { runAsUser?: number; capabilities?: { add?: string[] } } }[];
  const capture = all.find((c) => c.name === 'skein-init' || c.name === 'skein-validation');
  const proxy = all.find((c) => c.name === 'skein-proxy');
  return {
    name: pod.metadata.name, init, main,
    capture: { container: capture?.name ?? '(none)', add: capture?.securityContext?.capabilities?.add ?? [], runAsUser: capture?.securityContext?.runAsUser },
    proxy: { native: proxy?.restartPolicy === 'Always', runAsUser: proxy?.securityContext?.runAsUser },
  };
}

/** Deploys the sample in the meshed namespace and waits for its pods. */
export async function deploySample(journey: Journey): Promise<Obj[]> {
  await journey.kube.apply(sample(journey, Names.meshed));
  const echo = await readyPods(journey, Names.meshed, `app=${Names.echo}`, 2);
  const client = await readyPods(journey, Names.meshed, `app=${Names.client}`, 1);
  return [...echo, ...client];
}

export async function injectAndMtls(journey: Journey): Promise<MtlsOutcome> {
  const pods = await deploySample(journey);
  const client = await onePod(journey, Names.meshed, Names.client);
  const marker = `SKEIN-JOURNEY-${Date.now().toString(36)}`;
  const capture = await journey.backend.captureTraffic();
  let http: ClientReport;
  let grpc: ClientReport;
  let pcap: Buffer | undefined;
  try {
    http = await runClient(journey, Names.meshed, client, { protocol: 'http', target: `http://${Names.echo}.${Names.meshed}:${EchoPorts.http}/b`, headers: { 'x-marker': marker }, count: 6 });
    grpc = await runClient(journey, Names.meshed, client, { protocol: 'grpc', target: `${Names.echo}.${Names.meshed}:${EchoPorts.grpc}`, message: marker, count: 4 });
  } finally {
    pcap = await capture?.stop();
  }
  const proxyLog = (await journey.backend.logs(Names.meshed, client, 'skein-proxy')).split('\n').filter((l) => /certificate for|xds|ADS/i.test(l));
  return {
    pods: pods.map(describeInjection),
    http,
    grpc,
    wire: pcap ? { tls: containsTlsRecords(pcap), plaintext: containsPlaintext(pcap, marker) } : undefined,
    proxyLog,
  };
}
