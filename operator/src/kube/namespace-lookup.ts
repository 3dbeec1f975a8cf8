/**
 * The webhook's NamespaceLookup (webhook/src/namespace-lookup.ts; satisfied structurally, since
 * operator/ may not import webhook/ — cli/ joins the two) backed by the Namespace informer's cache: no API call per admission
 * review. Until the first list completes, lookups wait for it (the webhook's own timeout bounds that).
 */
import { cacheKey, type Informer } from './informer';

export class InformerNamespaceLookup {
  constructor(private readonly namespaces: Informer) {
    if (namespaces.resource.kind !== 'Namespace') throw new Error(`InformerNamespaceLookup needs the Namespace informer, got ${namespaces.resource.kind}`);
  }

  async labels(namespace: string): Promise<Record<string, string> | undefined> {
    await this.namespaces.synced;
    const ns = this.namespaces.cache.get(cacheKey({ name: namespace }));
    return ns ? { ...(ns.metadata.labels ?? {}) } : undefined;
  }
}
