/**
 * Kubernetes-shaped objects describing a harness mesh, for the control plane's local mode
 * (`skein controlplane --config-dir DIR`): Namespace, ServiceAccount, Pod, Service, EndpointSlice.
 * Pure: it turns the mesh model into plain objects and YAML, nothing else.
 */
import { stringify, parseAllDocuments } from 'yaml';

export interface PodModel {
  name: string;
  namespace: string;
  ip: string;
  labels: Readonly<Record<string, string>>;
  serviceAccount: string;
}

export interface ServicePortSpec {
  /** Istio-style name that carries the protocol: `http-web`, `http2-api`, `grpc-api`, `tcp-echo`. */
  name: string;
  /** Port on the VIP. */
  port: number;
  /** Port on the pods (defaults to `port`). */
  targetPort?: number;
  /** Kubernetes appProtocol; derived from the name's prefix when omitted (see appProtocolFor). */
  appProtocol?: string;
}

export interface ServiceModel {
  name: string;
  namespace: string;
  vip: string;
  ports: readonly ServicePortSpec[];
  /** Pod labels the Service selects; the harness defaults it to the labels all its pods share. */
  selector: Readonly<Record<string, string>>;
  pods: readonly PodModel[];
}

export interface NamespaceModel {
  name: string;
  labels: Readonly<Record<string, string>>;
}

export interface MeshModel {
  namespaces: readonly NamespaceModel[];
  pods: readonly PodModel[];
  services: readonly ServiceModel[];
}

type KubeObject = Record<string, unknown>;

const protocolByPrefix: Record<string, string> = { http: 'http', http2: 'kubernetes.io/h2c', grpc: 'grpc', tcp: 'tcp', tls: 'tls', https: 'https' };

/** `http-web` → `http`, `grpc-api` → `grpc`, `http2` → `kubernetes.io/h2c`; unknown prefixes → undefined. */
export function appProtocolFor(port: ServicePortSpec): string | undefined {
  if (port.appProtocol) return port.appProtocol;
  const prefix = port.name.split('-')[0] ?? '';
  return protocolByPrefix[prefix];
}

/** Labels every pod has with the same value (the default selector of a service). */
export function commonLabels(pods: readonly PodModel[]): Record<string, string> {
  const [first, ...rest] = pods;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first.labels).filter(([k, v]) => rest.every((p) => p.labels[k] === v)));
}

/** Checks a port list: valid numbers, unique names and ports. Throws a readable error. */
export function checkServicePorts(service: string, ports: readonly ServicePortSpec[]): void {
  if (ports.length === 0) throw new Error(`service ${service}: needs at least one port`);
  const names = new Set<string>();
  const numbers = new Set<number>();
  for (const p of ports) {
    for (const [field, value] of [['port', p.port], ['targetPort', p.targetPort ?? p.port]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > 65535) throw new Error(`service ${service}: port "${p.name}" has invalid ${field} ${value}`);
    }
    if (!/^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/.test(p.name)) throw new Error(`service ${service}: invalid port name "${p.name}" (IANA service name, at most 15 characters)`);
    if (names.has(p.name)) throw new Error(`service ${service}: duplicate port name "${p.name}"`);
    if (numbers.has(p.port)) throw new Error(`service ${service}: duplicate port ${p.port}`);
    names.add(p.name);
    numbers.add(p.port);
  }
}

function withAppProtocol<T extends object>(obj: T, port: ServicePortSpec): T {
  const appProtocol = appProtocolFor(port);
  return appProtocol ? { ...obj, appProtocol } : obj;
}

function podObject(pod: PodModel): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, labels: { ...pod.labels } },
    spec: { serviceAccountName: pod.serviceAccount, nodeName: 'harness', containers: [{ name: 'app', image: 'local' }] },
    status: {
      phase: 'Running',
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

function serviceObject(svc: ServiceModel): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: svc.name, namespace: svc.namespace },
    spec: {
      type: 'ClusterIP',
      clusterIP: svc.vip,
      clusterIPs: [svc.vip],
      selector: { ...svc.selector },
      ports: svc.ports.map((p) => withAppProtocol({ name: p.name, port: p.port, targetPort: p.targetPort ?? p.port, protocol: 'TCP' }, p)),
    },
  };
}

function endpointSliceObject(svc: ServiceModel): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc.name}-harness`, namespace: svc.namespace, labels: { 'kubernetes.io/service-name': svc.name } },
    addressType: 'IPv4',
    endpoints: svc.pods.map((pod) => ({
      addresses: [pod.ip],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'harness',
      targetRef: { kind: 'Pod', name: pod.name, namespace: pod.namespace },
    })),
    ports: svc.ports.map((p) => withAppProtocol({ name: p.name, port: p.targetPort ?? p.port, protocol: 'TCP' }, p)),
  };
}

/** Every object of the mesh, in apply order: namespaces, service accounts, pods, services, slices. */
export function meshObjects(model: MeshModel): KubeObject[] {
  const accounts = new Map<string, { name: string; namespace: string }>();
  for (const pod of model.pods) accounts.set(`${pod.namespace}/${pod.serviceAccount}`, { name: pod.serviceAccount, namespace: pod.namespace });
  return [
    ...model.namespaces.map((ns) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: { ...ns.labels } } })),
    ...[...accounts.values()].map((sa) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa.name, namespace: sa.namespace } })),
    ...model.pods.map(podObject),
    ...model.services.map(serviceObject),
    ...model.services.map(endpointSliceObject),
  ];
}

/**
 * The mesh as one multi-document YAML file, followed by `extraYaml` (e.g. VirtualService or
 * PeerAuthentication manifests). Extra YAML that does not parse is rejected here, with its error,
 * instead of surfacing later as a confusing control-plane failure.
 */
export function meshYaml(model: MeshModel, extraYaml = ''): string {
  const generated = meshObjects(model).map((o) => stringify(o)).join('---\n');
  if (extraYaml.trim() === '') return generated;
  const problems = parseAllDocuments(extraYaml).flatMap((doc) => ('errors' in doc ? doc.errors : []));
  if (problems.length > 0) throw new Error(`extra YAML does not parse: ${problems[0]!.message}`);
  return `${generated}---\n${extraYaml.replace(/^---\s*\n/, '')}`;
}
