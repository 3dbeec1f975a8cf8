/**
 * The Kubernetes-shaped objects the control plane reads, from the API server or from files. Only the
 * fields Skein uses are typed; everything else is carried along untouched.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  [field: string]: unknown;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface ServiceSpec {
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  selector?: Record<string, string>;
}

export interface EndpointSlicePort {
  name?: string;
  port?: number;
  protocol?: string;
  appProtocol?: string;
}

export interface EndpointSliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: { kind?: string; name?: string; namespace?: string };
  zone?: string;
  nodeName?: string;
}

export interface EndpointSliceBody {
  addressType?: string;
  ports?: EndpointSlicePort[];
  endpoints?: EndpointSliceEndpoint[];
}

export interface PodBody {
  spec?: { serviceAccountName?: string; serviceAccount?: string };
  status?: { podIP?: string; podIPs?: { ip: string }[] };
}

/** `kind/namespace/name` (namespace empty for cluster-scoped objects): the key of every event. */
export function objectKey(obj: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

/** The object's namespace, `default` when a namespaced object omits it (as kubectl does). */
export function namespaceOf(obj: Pick<KubeObject, 'metadata'>): string {
  return obj.metadata.namespace ?? 'default';
}

/** Kubernetes label selector semantics for `matchLabels`-style maps: every pair must match. */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const clusterScopedKinds = new Set(['Namespace']);

/** Fills the defaults the API server would: namespaced objects without a namespace go to `default`. */
export function withDefaultNamespace(obj: KubeObject): KubeObject {
  if (clusterScopedKinds.has(obj.kind) || obj.metadata.namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace: 'default' } };
}
