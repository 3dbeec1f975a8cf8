/**
 * The namespace's labels are not part of a pod's AdmissionReview; the webhook asks a lookup.
 * The Kubernetes adapter (an informer cache under operator/src/kube/) implements this interface;
 * the in-memory one serves local mode and tests.
 */
import { type Labels } from './core/types';

export interface NamespaceLookup {
  /** The namespace's labels, or undefined when it does not exist. Rejects on lookup failure. */
  labels(namespace: string): Promise<Labels | undefined>;
}

export class InMemoryNamespaceLookup implements NamespaceLookup {
  private readonly namespaces = new Map<string, Labels>();

  constructor(initial: Record<string, Labels> = {}) {
    for (const [name, labels] of Object.entries(initial)) this.set(name, labels);
  }

  set(namespace: string, labels: Labels): void {
    this.namespaces.set(namespace, { ...labels });
  }

  delete(namespace: string): void {
    this.namespaces.delete(namespace);
  }

  labels(namespace: string): Promise<Labels | undefined> {
    const labels = this.namespaces.get(namespace);
    return Promise.resolve(labels ? { ...labels } : undefined);
  }
}
