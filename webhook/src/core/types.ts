/**
 * The parts of Kubernetes objects the injector reads and writes. Every interface keeps an index
 * signature so fields Skein does not know about survive a round trip untouched.
 */

export type Labels = Record<string, string>;

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Labels;
  [key: string]: unknown;
}

export interface HttpGetAction {
  path?: string;
  port: number | string;
  host?: string;
  scheme?: 'HTTP' | 'HTTPS' | string;
  httpHeaders?: { name: string; value: string }[];
  [key: string]: unknown;
}

export interface Probe {
  httpGet?: HttpGetAction;
  tcpSocket?: unknown;
  exec?: unknown;
  grpc?: unknown;
  timeoutSeconds?: number;
  [key: string]: unknown;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  ports?: ContainerPort[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  restartPolicy?: string;
  [key: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; [key: string]: unknown }[];
  hostNetwork?: boolean;
  serviceAccountName?: string;
  [key: string]: unknown;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: PodSpec;
  [key: string]: unknown;
}

/** What the injector knows about the pod's namespace (labels come from a lookup, not the review). */
export interface NamespaceInfo {
  name: string;
  /** undefined when the namespace could not be found (treated as unlabelled). */
  labels: Labels | undefined;
}

/** Bad input from the pod's author (an annotation, a probe): the review is refused with this message. */
export class InjectionError extends Error {
  override name = 'InjectionError';
}

/** Is this a JSON object (not null, not an array)? */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
