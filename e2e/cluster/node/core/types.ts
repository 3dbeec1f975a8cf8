/**
 * The Kubernetes object shapes the node reads and writes: the published OpenAPI types
 * (kubernetes-models), re-exported under short names so every module spells them the same way.
 * Top-level objects may lack apiVersion and kind, as list items from the API server do.
 */
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';

type Listed<T> = Omit<T, 'apiVersion' | 'kind'> & { apiVersion?: string; kind?: string };

export type Pod = Listed<IPod>;
export type Service = Listed<IService>;
export type ConfigMap = Listed<IConfigMap>;
export type Secret = Listed<ISecret>;
export type EndpointSlice = Listed<IEndpointSlice>;
export type ObjectMeta = NonNullable<IPod['metadata']>;

export type { IPodSpec as PodSpec } from 'kubernetes-models/v1/PodSpec';
export type { IPodStatus as PodStatus } from 'kubernetes-models/v1/PodStatus';
export type { IPodCondition as PodCondition } from 'kubernetes-models/v1/PodCondition';
export type { IContainer as Container } from 'kubernetes-models/v1/Container';
export type { IContainerStatus as ContainerStatus } from 'kubernetes-models/v1/ContainerStatus';
export type { IProbe as Probe } from 'kubernetes-models/v1/Probe';
export type { ILifecycleHandler as LifecycleHandler } from 'kubernetes-models/v1/LifecycleHandler';
export type { IVolume as Volume } from 'kubernetes-models/v1/Volume';
export type { IVolumeMount as VolumeMount } from 'kubernetes-models/v1/VolumeMount';
