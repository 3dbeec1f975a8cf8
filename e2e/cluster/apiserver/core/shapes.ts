/**
 * The structure of an object as far as merging needs it: which lists are keyed by which fields
 * (strategic merge patch's patchMergeKey/patchStrategy; server-side apply's listType/listMapKeys),
 * which maps are atomic. Built-in kinds get a hand-written subset of their Go struct tags (the
 * fields the mesh, kubectl and client-go merge); custom resources get it from their structural
 * schema (x-kubernetes-list-type, x-kubernetes-list-map-keys, x-kubernetes-map-type). Anything not
 * described is "deduced" as structured-merge-diff does: objects are granular maps, lists atomic. Pure.
 */
import { isObject } from './json';

export interface Shape {
  /** `struct`/`map` merge key by key; `list` per listType; `scalar` and `any` as deduced. */
  kind: 'struct' | 'map' | 'list' | 'scalar' | 'any';
  fields?: Record<string, Shape>;
  /** Values of a map (labels, additionalProperties). */
  values?: Shape;
  /** Items of a list. */
  items?: Shape;
  listType?: 'atomic' | 'map' | 'set';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
  /** Strategic merge patch: `merge` merges lists (by patchMergeKey for lists of objects). */
  patchStrategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  patchMergeKey?: string;
}

export const anyShape: Shape = { kind: 'any' };
const scalar: Shape = { kind: 'scalar' };
const stringMap: Shape = { kind: 'map', values: scalar };
const atomicList = (items: Shape = anyShape): Shape => ({ kind: 'list', listType: 'atomic', items });
/** A list keyed by `keys` for apply and by `mergeKey` for strategic merge patch. */
const keyedList = (items: Shape, keys: string[], mergeKey = keys[0]!, strategy: Shape['patchStrategy'] = 'merge'): Shape => ({
  kind: 'list', listType: 'map', listMapKeys: keys, items, patchMergeKey: mergeKey, patchStrategy: strategy,
});
const struct = (fields: Record<string, Shape>): Shape => ({ kind: 'struct', fields });

/** The child shape of `field` in an object of shape `shape`. */
export function fieldShape(shape: Shape | undefined, field: string): Shape {
  if (!shape) return anyShape;
  if (shape.kind === 'struct') return shape.fields?.[field] ?? shape.values ?? anyShape;
  if (shape.kind === 'map') return shape.values ?? anyShape;
  return anyShape;
}

export const itemShape = (shape: Shape | undefined): Shape => shape?.items ?? anyShape;

export const objectMetaShape: Shape = struct({
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: keyedList(struct({}), ['uid']),
  finalizers: { kind: 'list', listType: 'set', items: scalar, patchStrategy: 'merge' },
  managedFields: atomicList(),
});

const conditions = (atomic = false): Shape => (atomic
  ? { kind: 'list', listType: 'atomic', items: struct({}), patchMergeKey: 'type', patchStrategy: 'merge' }
  : keyedList(struct({}), ['type']));

const containerShape: Shape = struct({
  ports: keyedList(struct({}), ['containerPort', 'protocol'], 'containerPort'),
  env: keyedList(struct({}), ['name']),
  envFrom: atomicList(),
  volumeMounts: keyedList(struct({}), ['mountPath']),
  volumeDevices: keyedList(struct({}), ['devicePath']),
  resizePolicy: atomicList(),
  command: atomicList(scalar),
  args: atomicList(scalar),
});

export const podSpecShape: Shape = struct({
  containers: keyedList(containerShape, ['name']),
  initContainers: keyedList(containerShape, ['name']),
  ephemeralContainers: keyedList(containerShape, ['name']),
  volumes: keyedList(struct({}), ['name'], 'name', 'merge,retainKeys'),
  imagePullSecrets: keyedList(struct({}), ['name']),
  hostAliases: keyedList(struct({}), ['ip']),
  tolerations: atomicList(),
  readinessGates: atomicList(),
  schedulingGates: keyedList(struct({}), ['name']),
  resourceClaims: keyedList(struct({}), ['name'], 'name', 'merge,retainKeys'),
  topologySpreadConstraints: keyedList(struct({}), ['topologyKey', 'whenUnsatisfiable'], 'topologyKey'),
  nodeSelector: stringMap,
});

const podTemplateShape: Shape = struct({ metadata: objectMetaShape, spec: podSpecShape });

const podStatusShape: Shape = struct({
  conditions: conditions(),
  podIPs: keyedList(struct({}), ['ip']),
  hostIPs: keyedList(struct({}), ['ip']),
  containerStatuses: atomicList(),
  initContainerStatuses: atomicList(),
  ephemeralContainerStatuses: atomicList(),
});

const workloadStatus: Shape = struct({ conditions: conditions() });

const serviceShape: Shape = struct({
  ports: keyedList(struct({}), ['port', 'protocol'], 'port'),
  selector: stringMap,
  clusterIPs: atomicList(scalar),
  externalIPs: atomicList(scalar),
  ipFamilies: atomicList(scalar),
});

const webhooks: Shape = keyedList(struct({ rules: atomicList(), admissionReviewVersions: atomicList(scalar) }), ['name']);

/** Shapes of the built-in kinds, by `group/Kind` (core group: just `Kind`). */
const builtinShapes: Record<string, Shape> = {
  Pod: struct({ metadata: objectMetaShape, spec: podSpecShape, status: podStatusShape }),
  PodTemplate: struct({ metadata: objectMetaShape, template: podTemplateShape }),
  Service: struct({ metadata: objectMetaShape, spec: serviceShape, status: struct({ conditions: conditions() }) }),
  Node: struct({ metadata: objectMetaShape, status: struct({ conditions: conditions(), addresses: { kind: 'list', listType: 'atomic', items: struct({}), patchMergeKey: 'type', patchStrategy: 'merge' } }) }),
  Namespace: struct({ metadata: objectMetaShape, spec: struct({ finalizers: atomicList(scalar) }), status: struct({ conditions: conditions() }) }),
  'apps/Deployment': struct({ metadata: objectMetaShape, spec: struct({ template: podTemplateShape }), status: workloadStatus }),
  'apps/ReplicaSet': struct({ metadata: objectMetaShape, spec: struct({ template: podTemplateShape }), status: workloadStatus }),
  'apps/StatefulSet': struct({ metadata: objectMetaShape, spec: struct({ template: podTemplateShape }), status: workloadStatus }),
  'apps/DaemonSet': struct({ metadata: objectMetaShape, spec: struct({ template: podTemplateShape }), status: workloadStatus }),
  'batch/Job': struct({ metadata: objectMetaShape, spec: struct({ template: podTemplateShape }), status: struct({ conditions: conditions(true) }) }),
  'discovery.k8s.io/EndpointSlice': struct({ metadata: objectMetaShape, endpoints: atomicList(), ports: atomicList() }),
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': struct({ metadata: objectMetaShape, webhooks }),
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': struct({ metadata: objectMetaShape, webhooks }),
  'apiextensions.k8s.io/CustomResourceDefinition': struct({ metadata: objectMetaShape, spec: struct({ versions: atomicList() }), status: struct({ conditions: conditions() }) }),
  'rbac.authorization.k8s.io/ClusterRole': struct({ metadata: objectMetaShape, rules: atomicList() }),
  'rbac.authorization.k8s.io/Role': struct({ metadata: objectMetaShape, rules: atomicList() }),
  'rbac.authorization.k8s.io/ClusterRoleBinding': struct({ metadata: objectMetaShape, subjects: atomicList() }),
  'rbac.authorization.k8s.io/RoleBinding': struct({ metadata: objectMetaShape, subjects: atomicList() }),
};

export function builtinShape(group: string, kind: string): Shape {
  return builtinShapes[group ? `${group}/${kind}` : kind] ?? struct({ metadata: objectMetaShape });
}

/** The merge shape of a custom resource from its structural openAPIV3Schema. */
export function schemaShape(schema: unknown, top = true): Shape {
  if (!isObject(schema)) return anyShape;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties && !schema.items) return anyShape;
  if (schema['x-kubernetes-int-or-string'] === true) return scalar;
  const type = schema.type;
  if (type === 'object' || schema.properties || schema.additionalProperties) {
    const fields: Record<string, Shape> = {};
    for (const [k, v] of Object.entries(isObject(schema.properties) ? schema.properties : {})) fields[k] = schemaShape(v, false);
    if (top) fields.metadata = objectMetaShape;
    const shape: Shape = schema.properties ? { kind: 'struct', fields } : { kind: 'map', fields };
    if (isObject(schema.additionalProperties)) shape.values = schemaShape(schema.additionalProperties, false);
    if (schema['x-kubernetes-map-type'] === 'atomic') shape.mapType = 'atomic';
    return shape;
  }
  if (type === 'array') {
    const listType = (schema['x-kubernetes-list-type'] as Shape['listType'] | undefined) ?? 'atomic';
    const keys = Array.isArray(schema['x-kubernetes-list-map-keys']) ? (schema['x-kubernetes-list-map-keys'] as string[]) : undefined;
    return { kind: 'list', listType, items: schemaShape(schema.items, false), ...(keys ? { listMapKeys: keys } : {}) };
  }
  return scalar;
}
