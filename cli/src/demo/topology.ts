/**
 * The demo mesh (pure): frontend → reviews (v1 80 % / v2 20 %) → ratings, every workload with a
 * sidecar in local mode (explicit ports on loopback addresses, no iptables). Given the ports, it
 * produces the control plane's config directory (YAML) and each sidecar's environment.
 */
import { ProxyEnv } from '../../../api/src/names';

export interface DemoWorkload {
  /** Pod name, e.g. `reviews-v2`. */
  pod: string;
  app: string;
  version: string;
  /** The pod's "IP": a loopback address of its own, where its inbound listener binds. */
  ip: string;
  /** Where the app listens (127.0.0.1). */
  appPort: number;
  /** The sidecar's inbound listener (pod IP), listed in the service's EndpointSlice. */
  inboundPort: number;
  /** Explicit outbound listener on 127.0.0.1 for the service this app calls, if any. */
  outbound?: { port: number; service: string; servicePort: number };
  admin: number;
  health: number;
  prometheus: number;
  /** App probe port (`/app-health/…`). */
  agent: number;
}

export interface DemoTopology {
  namespace: string;
  servicePort: number;
  workloads: DemoWorkload[];
  /** Weight of reviews v1 (v2 gets the rest). */
  v1Weight: number;
}

export const DemoServices = ['frontend', 'reviews', 'ratings'] as const;

/** Ports come from the caller (free ports asked from the OS); 7 per workload. */
export function demoTopology(ports: () => number, v1Weight = 80): DemoTopology {
  const servicePort = 9080;
  const w = (pod: string, app: string, version: string, n: number, calls?: string): DemoWorkload => ({
    pod, app, version,
    ip: `127.0.10.${n}`,
    appPort: ports(),
    inboundPort: ports(),
    ...(calls ? { outbound: { port: ports(), service: calls, servicePort } } : {}),
    admin: ports(),
    health: ports(),
    prometheus: ports(),
    agent: ports(),
  });
  return {
    namespace: 'default',
    servicePort,
    v1Weight,
    workloads: [
      w('frontend-v1', 'frontend', 'v1', 1, 'reviews'),
      w('reviews-v1', 'reviews', 'v1', 2),
      w('reviews-v2', 'reviews', 'v2', 3, 'ratings'),
      w('ratings-v1', 'ratings', 'v1', 4),
    ],
  };
}

/** The control plane's config directory content: namespace, service accounts, pods, services, slices, split. */
export function demoConfigYaml(t: DemoTopology): string {
  const ns = t.namespace;
  const docs: string[] = [
    `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns}, labels: { skein.dev/inject: enabled } }`,
  ];
  for (const app of DemoServices) {
    docs.push(`apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: ${app}, namespace: ${ns} }`);
  }
  t.workloads.forEach((w) => {
    docs.push(`apiVersion: v1\nkind: Pod\nmetadata: { name: ${w.pod}, namespace: ${ns}, labels: { app: ${w.app}, version: ${w.version} } }\nspec: { serviceAccountName: ${w.app} }\nstatus: { podIP: ${w.ip} }`);
  });
  DemoServices.forEach((app, i) => {
    const members = t.workloads.filter((w) => w.app === app);
    docs.push(`apiVersion: v1\nkind: Service\nmetadata: { name: ${app}, namespace: ${ns} }\nspec:\n  clusterIP: 10.96.10.${i + 10}\n  selector: { app: ${app} }\n  ports: [{ name: http, port: ${t.servicePort}, targetPort: ${t.servicePort} }]`);
    // Peers reach a local-mode workload at its sidecar's inbound listener, so that is what the slice
    // lists; each workload has its own port, so each gets its own slice.
    for (const w of members) docs.push(slice(`${app}-${w.version}`, app, ns, w.inboundPort, `  - { addresses: [${w.ip}], targetRef: { kind: Pod, name: ${w.pod} } }`));
  });
  docs.push(`apiVersion: networking.skein.dev/v1alpha1\nkind: DestinationRule\nmetadata: { name: reviews, namespace: ${ns} }\nspec:\n  host: reviews\n  subsets:\n    - { name: v1, labels: { version: v1 } }\n    - { name: v2, labels: { version: v2 } }`);
  docs.push(`apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: { name: reviews, namespace: ${ns} }\nspec:\n  hosts: [reviews]\n  http:\n    - route:\n        - { destination: { host: reviews, subset: v1 }, weight: ${t.v1Weight} }\n        - { destination: { host: reviews, subset: v2 }, weight: ${100 - t.v1Weight} }`);
  return `${docs.join('\n---\n')}\n`;
}

function slice(name: string, service: string, ns: string, port: number, endpoints: string): string {
  return `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: { name: ${name}, namespace: ${ns}, labels: { kubernetes.io/service-name: ${service} } }\naddressType: IPv4\nports: [{ name: http, port: ${port} }]\nendpoints:\n${endpoints}`;
}

/** The sidecar's environment (the join token is added by the caller; it is a secret). */
export function sidecarEnv(t: DemoTopology, w: DemoWorkload, controlPlane: string, rootCertPath: string): Record<string, string> {
  return {
    [ProxyEnv.podName]: w.pod,
    [ProxyEnv.podNamespace]: t.namespace,
    [ProxyEnv.instanceIp]: w.ip,
    [ProxyEnv.serviceAccount]: w.app,
    [ProxyEnv.xdsAddress]: controlPlane,
    [ProxyEnv.caAddress]: controlPlane,
    [ProxyEnv.rootCertPath]: rootCertPath,
    [ProxyEnv.podLabels]: JSON.stringify({ app: w.app, version: w.version }),
    [ProxyEnv.inboundPorts]: `${w.inboundPort}=${w.appPort}`,
    ...(w.outbound ? { [ProxyEnv.outboundPorts]: `${w.outbound.port}=${w.outbound.service}:${w.outbound.servicePort}` } : {}),
  };
}
