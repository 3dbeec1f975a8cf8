/**
 * The sample the journeys deploy, as a user would write it: an echo Service backed by two
 * Deployments (versions v1 and v2; HTTP on 8080, gRPC on 9090; a readiness probe the webhook
 * rewrites to the proxy), and a client Deployment whose pod idles so the journeys can exec the load
 * client in it (`kubectl exec … -- node …/client.js http http://echo.shop:8080/`). Plus how to run
 * that client and read its report.
 */
import { type LoadReport } from '../../apps/load';
import { clientArgs, type ClientRequest } from '../../harness/client';
import { AppsDirInImage } from '../backend';
import { type Journey, Bounds, Names } from './context';
import { type Obj } from './kube';
import { conditionTrue, describePods, podsOf } from './workloads';

export const EchoPorts = { http: 8080, grpc: 9090 } as const;

export function serviceAccount(namespace: string, name: string): Obj {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

export function echoService(namespace: string): Obj {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name: Names.echo, namespace },
    spec: {
      selector: { app: Names.echo },
      ports: [
        { name: 'http', port: EchoPorts.http, targetPort: EchoPorts.http },
        { name: 'grpc', port: EchoPorts.grpc, targetPort: EchoPorts.grpc, appProtocol: 'grpc' },
      ],
    },
  };
}

/** An echo Deployment `<app>-<version>` (app `echo` joins the echo Service). */
export function echoDeployment(journey: Journey, namespace: string, version: string, app: string = Names.echo): Obj {
  return deployment(namespace, `${app}-${version}`, { app, version }, {
    serviceAccountName: Names.echo,
    containers: [{
      name: 'app',
      image: journey.backend.images.echo,
      imagePullPolicy: journey.backend.imagePullPolicy,
      args: ['--http', String(EchoPorts.http), '--grpc', String(EchoPorts.grpc)],
      env: [
        { name: 'NAME', value: Names.echo },
        { name: 'VERSION', value: version },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      ],
      ports: [{ name: 'http', containerPort: EchoPorts.http }, { name: 'grpc', containerPort: EchoPorts.grpc }],
      readinessProbe: { httpGet: { path: '/ready', port: EchoPorts.http }, periodSeconds: 2 },
    }],
  });
}

/** A one-replica Deployment whose pods carry `labels` (also its selector). */
function deployment(namespace: string, name: string, labels: Record<string, string>, podSpec: Record<string, unknown>): Obj {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
  };
}

/** A pod that idles (`sleep`), for exec'ing the client: A in the journeys. */
export function clientDeployment(journey: Journey, namespace: string, name: string = Names.client, serviceAccountName: string = Names.client): Obj {
  return deployment(namespace, name, { app: name }, {
    serviceAccountName,
    terminationGracePeriodSeconds: 2,
    containers: [{ name: 'app', image: journey.backend.images.client, imagePullPolicy: journey.backend.imagePullPolicy, command: ['sleep', 'infinity'] }],
  });
}

/** The sample in `namespace`: echo v1 + v2 behind the echo Service, and the client. */
export function sample(journey: Journey, namespace: string): Obj[] {
  return [
    serviceAccount(namespace, Names.echo),
    serviceAccount(namespace, Names.client),
    echoService(namespace),
    echoDeployment(journey, namespace, 'v1'),
    echoDeployment(journey, namespace, 'v2'),
    clientDeployment(journey, namespace),
  ];
}

/** Waits until `count` pods matching the selector are Ready; returns them. */
export async function readyPods(journey: Journey, namespace: string, labelSelector: string, count: number, timeoutMs: number = Bounds.podReady): Promise<Obj[]> {
  return journey.kube.waitFor(`${count} Ready pod(s) ${labelSelector} in ${namespace}`, async (note) => {
    const pods = (await podsOf(journey.kube, namespace, labelSelector)).filter((p) => !p.metadata.deletionTimestamp);
    note(describePods(pods));
    return pods.length === count && pods.every((p) => conditionTrue(p, 'Ready')) ? pods : undefined;
  }, timeoutMs, 500);
}

export interface ClientReport extends LoadReport {
  protocol: string;
  target: string;
}

/** Runs the load client in `pod`'s app container (as the app's user) and returns its report. */
export async function runClient(journey: Journey, namespace: string, pod: string, request: Omit<ClientRequest, 'uid' | 'gid'>): Promise<ClientReport> {
  const budgetMs = (request.durationMs ?? 30_000) + (request.timeoutMs ?? 5_000) + 30_000;
  const argv = ['node', `${AppsDirInImage}/client.js`, ...clientArgs(request)];
  const r = await journey.backend.exec(namespace, pod, 'app', argv, { timeoutMs: budgetMs });
  try {
    return JSON.parse(r.stdout) as ClientReport;
  } catch {
    throw new Error(`the client in ${namespace}/${pod} printed no report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** The name of the one Ready pod of a Deployment-like selector. */
export async function onePod(journey: Journey, namespace: string, app: string): Promise<string> {
  const [pod] = await readyPods(journey, namespace, `app=${app}`, 1);
  return pod!.metadata.name;
}
