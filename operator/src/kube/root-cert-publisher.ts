/**
 * Publishes the trust bundle as ConfigMap `skein-root-cert` (key `root-cert.pem`) into every meshed
 * namespace: labelled `skein.dev/inject=enabled`, or holding a pod the webhook injected (annotation
 * `skein.dev/status`, which covers pods opted in one by one). Leader only; creates the ConfigMap or
 * updates it when its content differs (optimistic concurrency: a 409 is retried on the next pass).
 * A periodic resync (and any change to the namespace) repairs a ConfigMap deleted or edited by hand.
 * ConfigMaps are never deleted here: a namespace that stops being meshed may still run proxies.
 */
import { Annotations, Labels, RootCertConfigMap } from '../../../api/src/names';
import { type KubeApi, isConflict, isNotFound } from './api';
import { type ApiObject, type InformerEvent } from './informer';
import { ConfigMapResource, resourcePath } from './resources';

export const RootCertKey = 'root-cert.pem';

interface ConfigMap {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/** Namespaces that need the trust bundle, from the Namespace and Pod caches. */
export function meshedNamespaces(namespaces: Iterable<ApiObject>, pods: Iterable<ApiObject>): Set<string> {
  const out = new Set<string>();
  for (const ns of namespaces) if (ns.metadata.labels?.[Labels.inject] === 'enabled') out.add(ns.metadata.name);
  for (const pod of pods) if (pod.metadata.annotations?.[Annotations.status] !== undefined && pod.metadata.namespace) out.add(pod.metadata.namespace);
  return out;
}

export interface RootCertPublisherOptions {
  api: KubeApi;
  trustBundlePem: () => string;
  namespaces: () => Iterable<ApiObject>;
  pods: () => Iterable<ApiObject>;
  log?: (line: string) => void;
}

export class RootCertPublisher {
  private leader = false;
  private running: Promise<void> | undefined;
  private again = false;
  /** Namespace → bundle we last saw published there (skips API calls for unchanged namespaces). */
  private readonly published = new Map<string, string>();

  constructor(private readonly options: RootCertPublisherOptions) {}

  setLeader(leader: boolean): void {
    this.leader = leader;
    this.published.clear();
    if (leader) this.poke();
  }

  /** Namespace changes re-check that namespace's ConfigMap; pod changes can only add namespaces. */
  onEvents(events: InformerEvent[]): void {
    let relevant = false;
    for (const e of events) {
      if (e.type !== 'apply') continue;
      if (e.object.kind === 'Namespace') this.published.delete(e.object.metadata.name);
      relevant ||= e.object.kind === 'Namespace' || e.object.kind === 'Pod';
    }
    if (relevant) this.poke();
  }

  /** Re-checks every namespace (periodic resync: repairs ConfigMaps deleted or edited by hand). */
  resync(): void {
    this.published.clear();
    this.poke();
  }

  /** Runs a pass now (coalescing concurrent requests). */
  poke(): void {
    if (!this.leader) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pass(): Promise<void> {
    const bundle = this.options.trustBundlePem();
    for (const namespace of meshedNamespaces(this.options.namespaces(), this.options.pods())) {
      if (!this.leader) return;
      if (this.published.get(namespace) === bundle) continue;
      try {
        await this.publish(namespace, bundle);
        this.published.set(namespace, bundle);
      } catch (err) {
        this.options.log?.(`root-cert: ${namespace}: ${(err as Error).message}`);
      }
    }
  }

  private async publish(namespace: string, bundle: string): Promise<void> {
    const path = resourcePath(ConfigMapResource, namespace, RootCertConfigMap);
    let existing: ConfigMap | undefined;
    try {
      existing = await this.options.api.get<ConfigMap>(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (existing?.data?.[RootCertKey] === bundle) return;
    const body: ConfigMap = {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { ...(existing?.metadata ?? {}), name: RootCertConfigMap, namespace, labels: { ...(existing?.metadata.labels ?? {}), 'app.kubernetes.io/managed-by': 'skein' } },
      data: { ...(existing?.data ?? {}), [RootCertKey]: bundle },
    };
    try {
      if (existing) await this.options.api.replace(path, body);
      else await this.options.api.create(resourcePath(ConfigMapResource, namespace), body);
      this.options.log?.(`root-cert: published ${RootCertConfigMap} in ${namespace}`);
    } catch (err) {
      if (isConflict(err)) throw new Error('changed concurrently; retrying on the next pass');
      throw err;
    }
  }
}
