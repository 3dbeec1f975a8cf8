/** The Kubernetes parts of every Skein resource: object metadata and the status Skein writes. */
import { type Infer, array, enumOf, int, map, object, required, string } from './schema/dsl';
import { Labels } from './common';
import { dnsLabel, dnsSubdomain, labelKey } from './formats';

const MaxSafeInt = Number.MAX_SAFE_INTEGER;

/**
 * Object metadata as Skein reads it. Other metadata fields (managedFields, ownerReferences, …)
 * belong to Kubernetes: they are accepted and left out of the validated resource.
 */
export const ObjectMeta = object(
  {
    name: required(string({ format: dnsSubdomain })),
    namespace: string({ format: dnsLabel, description: 'Absent in a file: the control plane uses "default".' }),
    labels: Labels,
    annotations: map(string(), { keys: labelKey }),
    generation: int({ min: 0, max: MaxSafeInt }),
    resourceVersion: string(),
    uid: string(),
  },
  { unknownFields: 'drop' },
);
export type ObjectMeta = Infer<typeof ObjectMeta>;

export const Condition = object(
  {
    type: required(string()),
    status: required(enumOf(['True', 'False', 'Unknown'])),
    reason: string(),
    message: string(),
    lastTransitionTime: string({ description: 'RFC 3339 time.' }),
    observedGeneration: int({ min: 0, max: MaxSafeInt }),
  },
  { unknownFields: 'drop' },
);
export type Condition = Infer<typeof Condition>;

/** Written by the control plane through the status subresource. */
export const ResourceStatus = object(
  {
    observedGeneration: int({ min: 0, max: MaxSafeInt }),
    conditions: array(Condition),
  },
  { unknownFields: 'drop' },
);
export type ResourceStatus = Infer<typeof ResourceStatus>;
