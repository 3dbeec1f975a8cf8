/**
 * The Kubernetes source: one informer per watched kind (Namespaces, Services, EndpointSlices, Pods,
 * ServiceAccounts, the Skein CRDs), feeding the control plane through the same SourceListener as the
 * file source. Objects are projected to the fields the mesh model reads, so status churn (pod
 * conditions, our own CRD status writes) does not trigger recomputation.
 *
 * Skein CRDs go through the one validator (operator/src/core/validation → api/src/crd): an invalid
 * object is reported through onErrors (and, by the leader's status writer, as Accepted=False) and its
 * last valid version keeps serving, like a file that fails to parse.
 * onSynced is called once, after every informer has completed its initial list.
 */
import { type ConfigError } from '../core/config-error';
import { type KubeObject, objectKey } from '../core/kube';
import { admittedObject, validateObject } from '../core/validation';
import { type ConfigSource, type SourceEvent, type SourceListener } from '../sources/source';
import { type ApiObject, type BackoffOptions, Informer, type InformerEvent } from './informer';
import { type KubeApi } from './api';
import { type ResourceType, SkeinResources, WatchedResources } from './resources';

export interface KubeSourceOptions {
  api: KubeApi;
  listener: SourceListener;
  resources?: readonly ResourceType[];
  backoff?: BackoffOptions;
  log?: (line: string) => void;
}

const skeinKinds = new Set(SkeinResources.map((r) => r.kind));

function pick<T extends object>(obj: T, keys: readonly string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((obj as Record<string, unknown>)[k] !== undefined) out[k] = (obj as Record<string, unknown>)[k];
  return out as Partial<T>;
}

/** The fields the mesh model reads; everything else (status, resourceVersion, managedFields) is dropped. */
export function projectForIndex(obj: ApiObject): KubeObject {
  const metadata = pick(obj.metadata, ['name', 'namespace', 'labels', 'annotations', 'creationTimestamp']) as KubeObject['metadata'];
  const base: KubeObject = { apiVersion: obj.apiVersion, kind: obj.kind, metadata };
  switch (obj.kind) {
    case 'Namespace':
    case 'ServiceAccount':
      return base;
    case 'EndpointSlice':
      return { ...base, ...pick(obj, ['addressType', 'ports', 'endpoints']) };
    case 'Pod': {
      const spec = pick((obj.spec ?? {}) as Record<string, unknown>, ['serviceAccountName', 'serviceAccount']);
      const status = pick((obj.status ?? {}) as Record<string, unknown>, ['podIP', 'podIPs']);
      return { ...base, spec, status };
    }
    default:
      return { ...base, spec: obj.spec };
  }
}

/**
 * What the Pod cache keeps: metadata (labels, annotations, uid, resourceVersion) and the few spec and
 * status fields Skein reads. Containers, volumes and conditions are dropped (most of a pod's size).
 */
export function slimPod(pod: ApiObject): ApiObject {
  const spec = pick((pod.spec ?? {}) as Record<string, unknown>, ['serviceAccountName', 'serviceAccount', 'nodeName']);
  const status = pick((pod.status ?? {}) as Record<string, unknown>, ['podIP', 'podIPs', 'phase']);
  return { apiVersion: pod.apiVersion, kind: pod.kind, metadata: pod.metadata, spec, status };
}

export class KubeSource implements ConfigSource {
  readonly informers: Informer[];
  private readonly errors = new Map<string, ConfigError[]>();
  private readonly subscribers = new Set<(events: InformerEvent[]) => void>();
  private stopped = false;

  constructor(private readonly options: KubeSourceOptions) {
    this.informers = (options.resources ?? WatchedResources).map((resource) => new Informer({
      api: options.api, resource, backoff: options.backoff, log: options.log,
      ...(resource.kind === 'Pod' ? { transform: slimPod } : {}),
      onEvents: (events) => this.handle(events),
    }));
  }

  /** The informer of one kind (e.g. `Namespace` for the webhook's namespace lookup). */
  informer(kind: string): Informer {
    const informer = this.informers.find((i) => i.resource.kind === kind);
    if (!informer) throw new Error(`no informer for ${kind}`);
    return informer;
  }

  /** Starts every informer; resolves after all initial lists (then onSynced has been called). */
  async start(): Promise<void> {
    for (const i of this.informers) i.start();
    await Promise.all(this.informers.map((i) => i.synced));
    if (!this.stopped) this.options.listener.onSynced();
  }

  /** Raw informer events (after the listener saw them), for the status writer and the root-cert publisher. */
  subscribe(fn: (events: InformerEvent[]) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  hasSynced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  /** One line per informer that has not completed its first list, with its last error if any. */
  waitingFor(): string[] {
    return this.informers.filter((i) => !i.hasSynced()).map((i) => `${i.resource.kind}: ${i.lastError ?? 'listing'}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  private handle(events: InformerEvent[]): void {
    const out: SourceEvent[] = [];
    let errorsChanged = false;
    for (const e of events) {
      const object = projectForIndex(e.object);
      const key = objectKey(object);
      if (e.type === 'delete') {
        errorsChanged = this.errors.delete(key) || errorsChanged;
        out.push({ type: 'delete', key });
        continue;
      }
      if (skeinKinds.has(object.kind)) {
        const errors = validateObject(object).map((err) => ({ ...err, object: key }));
        if (errors.length) {
          this.errors.set(key, errors);
          errorsChanged = true;
          continue; // the last valid version keeps serving
        }
        errorsChanged = this.errors.delete(key) || errorsChanged;
      }
      out.push({ type: 'apply', key, object: admittedObject(object) });
    }
    if (out.length) this.options.listener.onEvents(out);
    if (errorsChanged) this.options.listener.onErrors([...this.errors.values()].flat());
    for (const fn of this.subscribers) fn(events);
  }
}
