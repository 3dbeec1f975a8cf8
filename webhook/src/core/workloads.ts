/** Where each workload kind keeps its pod template, for manual injection of manifests. */
import { isObject } from './types';

export type Path = (string | number)[];

const templatePaths: Record<string, Path> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export const injectableKinds: readonly string[] = Object.keys(templatePaths);

export function valueAt(value: unknown, path: Path): unknown {
  let node = value;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isObject(node) && typeof key === 'string') node = node[key];
    else return undefined;
  }
  return node;
}

export interface PodTemplateRef {
  /** Path of the pod (template) inside the document. */
  path: Path;
  /** Namespace of the enclosing object, when it names one. */
  namespace: string | undefined;
  kind: string;
  name: string;
}

/**
 * Every pod template in a manifest document: the object itself for Pods, its template for
 * workloads, each item of a `List`. Other kinds yield nothing (they are left untouched).
 */
export function podTemplates(doc: unknown, base: Path = []): PodTemplateRef[] {
  if (!isObject(doc) || typeof doc.kind !== 'string') return [];
  if (doc.kind === 'List' && Array.isArray(doc.items)) {
    return doc.items.flatMap((item, i) => podTemplates(item, [...base, 'items', i]));
  }
  const path = templatePaths[doc.kind];
  if (!path) return [];
  const template = valueAt(doc, path);
  if (!isObject(template) || !isObject(template.spec)) return [];
  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  return [{
    path: [...base, ...path],
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
    kind: doc.kind,
    name: typeof metadata.name === 'string' ? metadata.name : '',
  }];
}
