/** The Kubernetes resources the control plane watches, and how to address them over REST. */
import { Kinds, SkeinKinds } from '../../../api/src/crd';

export interface ResourceType {
  kind: string;
  /** `v1` for the core group, else `group/version`. */
  apiVersion: string;
  plural: string;
  namespaced: boolean;
}

export const NamespaceResource: ResourceType = { kind: 'Namespace', apiVersion: 'v1', plural: 'namespaces', namespaced: false };
export const ServiceResource: ResourceType = { kind: 'Service', apiVersion: 'v1', plural: 'services', namespaced: true };
export const EndpointSliceResource: ResourceType = { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true };
export const PodResource: ResourceType = { kind: 'Pod', apiVersion: 'v1', plural: 'pods', namespaced: true };
export const ServiceAccountResource: ResourceType = { kind: 'ServiceAccount', apiVersion: 'v1', plural: 'serviceaccounts', namespaced: true };
export const LeaseResource: ResourceType = { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespaced: true };
export const SecretResource: ResourceType = { kind: 'Secret', apiVersion: 'v1', plural: 'secrets', namespaced: true };
export const ConfigMapResource: ResourceType = { kind: 'ConfigMap', apiVersion: 'v1', plural: 'configmaps', namespaced: true };
export const TokenReviewResource: ResourceType = { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', plural: 'tokenreviews', namespaced: false };
export const MutatingWebhookResource: ResourceType = {
  kind: 'MutatingWebhookConfiguration', apiVersion: 'admissionregistration.k8s.io/v1', plural: 'mutatingwebhookconfigurations', namespaced: false,
};

/** The Skein CRDs, from the one definition in api/src/crd. */
export const SkeinResources: readonly ResourceType[] = SkeinKinds.map((k) => ({
  kind: Kinds[k].kind, apiVersion: Kinds[k].apiVersion, plural: Kinds[k].plural, namespaced: true,
}));

/** Everything the mesh model is built from (the same kinds the file source reads). */
export const WatchedResources: readonly ResourceType[] = [
  NamespaceResource, ServiceResource, EndpointSliceResource, PodResource, ServiceAccountResource, ...SkeinResources,
];

/** `/api/v1/namespaces/ns/pods[/name[/sub]]`; without a namespace, all namespaces (or cluster scope). */
export function resourcePath(type: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const n = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  const sub = subresource === undefined ? '' : `/${subresource}`;
  return `${base}${ns}/${type.plural}${n}${sub}`;
}
