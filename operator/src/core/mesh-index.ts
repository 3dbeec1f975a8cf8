/**
 * The index: pure apply/delete of Kubernetes-shaped objects, keyed by kind/namespace/name, and the
 * mesh model built from them. It does not know whether an object came from the API server or a file.
 */
import { HealthCheckAnnotation, parseHealthCheck } from '../../../api/src/crd/health-check';
import { Annotations, Labels, SystemNamespace } from '../../../api/src/names';
import { podOptOut } from '../../../api/src/opt-out';
import {
  type EndpointSliceBody, type KubeObject, type PodBody, type ServiceSpec, namespaceOf, objectKey,
} from './kube';
import {
  type EndpointModel, type MeshModel, type PodModel, type PolicyObject, type ServiceModel, serviceKey,
} from './model';
import { portProtocol } from './protocol';

/** Kinds the index understands. Anything else is rejected before it gets here (see validation.ts). */
export const IndexedKinds = [
  'Namespace', 'Service', 'EndpointSlice', 'Pod', 'ServiceAccount',
  'VirtualService', 'DestinationRule', 'PeerAuthentication', 'AuthorizationPolicy',
] as const;
export type IndexedKind = (typeof IndexedKinds)[number];

export function isIndexedKind(kind: string): kind is IndexedKind {
  return (IndexedKinds as readonly string[]).includes(kind);
}

export const ExportToAnnotation = 'networking.skein.dev/exportTo';
const serviceNameLabel = 'kubernetes.io/service-name';

export interface MeshSettings {
  clusterDomain: string;
  trustDomain: string;
  rootNamespace: string;
}

export const defaultMeshSettings: MeshSettings = { clusterDomain: 'cluster.local', trustDomain: 'cluster.local', rootNamespace: SystemNamespace };

export class MeshIndex {
  private readonly objects = new Map<string, KubeObject>();
  private cached: MeshModel | undefined;
  /** Incremented on every effective change. */
  revision = 0;

  constructor(private readonly settings: MeshSettings = defaultMeshSettings) {}

  /** Adds or replaces an object; returns false when it is identical to what is stored. */
  apply(obj: KubeObject): boolean {
    if (!isIndexedKind(obj.kind)) throw new Error(`index: kind ${obj.kind} is not supported`);
    const key = objectKey(obj);
    const previous = this.objects.get(key);
    if (previous && JSON.stringify(previous) === JSON.stringify(obj)) return false;
    this.objects.set(key, obj);
    this.changed();
    return true;
  }

  /** Removes an object by key; returns false when it was not there. */
  delete(key: string): boolean {
    if (!this.objects.delete(key)) return false;
    this.changed();
    return true;
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  get size(): number {
    return this.objects.size;
  }

  model(): MeshModel {
    this.cached ??= buildModel([...this.objects.values()], this.settings);
    return this.cached;
  }

  private changed(): void {
    this.revision++;
    this.cached = undefined;
  }
}

function byNamespaceThenName(a: { namespace: string; name: string }, b: { namespace: string; name: string }): number {
  return a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1;
}

function policy<Spec>(obj: KubeObject): PolicyObject<Spec> {
  return { name: obj.metadata.name, namespace: namespaceOf(obj), creationTimestamp: obj.metadata.creationTimestamp, spec: (obj.spec ?? {}) as Spec };
}

function buildPods(objects: KubeObject[], namespaces: Map<string, Record<string, string>>): Map<string, PodModel> {
  const pods = new Map<string, PodModel>();
  for (const obj of objects) {
    if (obj.kind !== 'Pod') continue;
    const body = obj as KubeObject & PodBody;
    const namespace = namespaceOf(obj);
    const labels = obj.metadata.labels ?? {};
    const annotations = obj.metadata.annotations ?? {};
    const optedOut = podOptOut(labels, annotations) !== undefined;
    const injectedNamespace = namespaces.get(namespace)?.[Labels.inject] === 'enabled';
    const meshed = !optedOut && (annotations[Annotations.status] !== undefined || injectedNamespace || labels[Labels.inject] === 'true');
    const ips = body.status?.podIPs?.map((p) => p.ip) ?? (body.status?.podIP ? [body.status.podIP] : []);
    pods.set(`${namespace}/${obj.metadata.name}`, {
      name: obj.metadata.name, namespace, labels, ips, meshed,
      ...(annotations[Annotations.rateLimit] !== undefined ? { rateLimit: annotations[Annotations.rateLimit] } : {}),
      serviceAccount: body.spec?.serviceAccountName ?? body.spec?.serviceAccount ?? 'default',
    });
  }
  return pods;
}

function buildService(obj: KubeObject, settings: MeshSettings): ServiceModel {
  const spec = (obj.spec ?? {}) as ServiceSpec;
  const namespace = namespaceOf(obj);
  const vips = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== 'None' && ip !== '');
  const exportTo = obj.metadata.annotations?.[ExportToAnnotation]?.split(',').map((s) => s.trim()).filter(Boolean) ?? ['*'];
  const healthCheck = obj.metadata.annotations?.[HealthCheckAnnotation];
  return {
    name: obj.metadata.name, namespace, vips, exportTo, selector: spec.selector,
    // Admission (validation.ts) refused an invalid value, so this parses.
    ...(healthCheck !== undefined ? { healthCheck: parseHealthCheck(healthCheck) } : {}),
    fqdn: `${obj.metadata.name}.${namespace}.svc.${settings.clusterDomain}`,
    ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, targetPort: p.targetPort ?? p.port, protocol: portProtocol(p) })),
  };
}

function buildEndpoints(slice: KubeObject, pods: Map<string, PodModel>): EndpointModel[] {
  const body = slice as KubeObject & EndpointSliceBody;
  const namespace = namespaceOf(slice);
  const ports: Record<string, number> = {};
  for (const p of body.ports ?? []) if (p.port !== undefined) ports[p.name ?? ''] = p.port;
  return (body.endpoints ?? []).flatMap((e) => {
    const pod = e.targetRef?.kind === 'Pod' || (e.targetRef && !e.targetRef.kind)
      ? pods.get(`${e.targetRef.namespace ?? namespace}/${e.targetRef.name}`)
      : undefined;
    return e.addresses.map((address) => ({
      address, ports, namespace,
      ready: e.conditions?.ready !== false,
      zone: e.zone ?? '',
      labels: pod?.labels ?? {},
      serviceAccount: pod?.serviceAccount ?? 'default',
      podName: pod?.name ?? e.targetRef?.name,
      meshed: pod?.meshed ?? false,
    }));
  });
}

export function buildModel(objects: KubeObject[], settings: MeshSettings): MeshModel {
  const namespaces = new Map<string, Record<string, string>>();
  for (const obj of objects) if (obj.kind === 'Namespace') namespaces.set(obj.metadata.name, obj.metadata.labels ?? {});
  const pods = buildPods(objects, namespaces);
  const services = objects.filter((o) => o.kind === 'Service').map((o) => buildService(o, settings)).sort(byNamespaceThenName);
  const endpoints = new Map<string, EndpointModel[]>(services.map((s) => [serviceKey(s), []]));
  const slices = objects.filter((o) => o.kind === 'EndpointSlice').sort((a, b) => (objectKey(a) < objectKey(b) ? -1 : 1));
  for (const slice of slices) {
    const service = slice.metadata.labels?.[serviceNameLabel];
    const list = service ? endpoints.get(`${namespaceOf(slice)}/${service}`) : undefined;
    if (list) list.push(...buildEndpoints(slice, pods));
  }
  const policies = <Spec>(kind: string) => objects.filter((o) => o.kind === kind).map((o) => policy<Spec>(o)).sort(byCreationThenName);
  return {
    ...settings, namespaces, services, endpoints, pods,
    virtualServices: policies('VirtualService'),
    destinationRules: policies('DestinationRule'),
    peerAuthentications: policies('PeerAuthentication'),
    authorizationPolicies: policies('AuthorizationPolicy'),
  };
}

/** Istio's conflict rule: the oldest object wins, then the name decides. */
function byCreationThenName(a: PolicyObject<unknown>, b: PolicyObject<unknown>): number {
  const ta = a.creationTimestamp ?? '';
  const tb = b.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return byNamespaceThenName(a, b);
}
