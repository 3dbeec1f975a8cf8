/**
 * Admission of one object into the index: shape, known kind and apiVersion, and the per-kind checks.
 * Skein CRD contents are checked by the one shared validator (api/src/crd/validateResource).
 */
import { HealthCheckAnnotation, parseHealthCheck, validateResource } from '../../../api/src/crd';
import { ApiGroups, ApiVersion } from '../../../api/src/names';
import { type ConfigError } from './config-error';
import { type KubeObject } from './kube';
import { type IndexedKind, isIndexedKind } from './mesh-index';

export const ExpectedApiVersions: Record<IndexedKind, string> = {
  Namespace: 'v1',
  Service: 'v1',
  Pod: 'v1',
  ServiceAccount: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  VirtualService: `${ApiGroups.networking}/${ApiVersion}`,
  DestinationRule: `${ApiGroups.networking}/${ApiVersion}`,
  PeerAuthentication: `${ApiGroups.security}/${ApiVersion}`,
  AuthorizationPolicy: `${ApiGroups.security}/${ApiVersion}`,
};

/** Field errors for one object: `[{ path, message }]`, empty when valid. */
export type ResourceValidator = (obj: KubeObject) => { path: string; message: string }[];

const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validPort(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

function checkService(obj: KubeObject, errors: ConfigError[]): void {
  const healthCheck = obj.metadata.annotations?.[HealthCheckAnnotation];
  if (healthCheck !== undefined) {
    try {
      parseHealthCheck(healthCheck);
    } catch (err) {
      errors.push({ path: `metadata.annotations[${HealthCheckAnnotation}]`, message: (err as Error).message });
    }
  }
  const spec = obj.spec;
  if (!isRecord(spec)) return void errors.push({ path: 'spec', message: 'a Service needs a spec' });
  const ports = spec.ports;
  if (ports === undefined) return;
  if (!Array.isArray(ports)) return void errors.push({ path: 'spec.ports', message: 'must be a list' });
  const names = new Set<string>();
  ports.forEach((p: unknown, i) => {
    if (!isRecord(p)) return void errors.push({ path: `spec.ports[${i}]`, message: 'must be a mapping' });
    if (!validPort(p.port)) errors.push({ path: `spec.ports[${i}].port`, message: `must be an integer 1-65535, got ${JSON.stringify(p.port)}` });
    if (p.targetPort !== undefined && !validPort(p.targetPort) && typeof p.targetPort !== 'string') {
      errors.push({ path: `spec.ports[${i}].targetPort`, message: 'must be a port number or a port name' });
    }
    const name = typeof p.name === 'string' ? p.name : '';
    if (names.has(name)) errors.push({ path: `spec.ports[${i}].name`, message: `duplicate port name "${name}"` });
    names.add(name);
    if (ports.length > 1 && name === '') errors.push({ path: `spec.ports[${i}].name`, message: 'required when a Service has several ports' });
  });
}

function checkEndpointSlice(obj: KubeObject, errors: ConfigError[]): void {
  if (!obj.metadata.labels?.['kubernetes.io/service-name']) {
    errors.push({ path: 'metadata.labels["kubernetes.io/service-name"]', message: 'required: names the Service these endpoints belong to' });
  }
  const ports = obj.ports;
  if (ports !== undefined && !Array.isArray(ports)) errors.push({ path: 'ports', message: 'must be a list' });
  if (Array.isArray(ports)) {
    ports.forEach((p: unknown, i) => {
      if (!isRecord(p) || !validPort(p.port)) errors.push({ path: `ports[${i}].port`, message: 'must be an integer 1-65535' });
    });
  }
  const endpoints = obj.endpoints;
  if (endpoints === undefined) return;
  if (!Array.isArray(endpoints)) return void errors.push({ path: 'endpoints', message: 'must be a list' });
  endpoints.forEach((e: unknown, i) => {
    if (!isRecord(e) || !Array.isArray(e.addresses) || e.addresses.length === 0 || !e.addresses.every((a) => typeof a === 'string')) {
      errors.push({ path: `endpoints[${i}].addresses`, message: 'must be a non-empty list of IP addresses' });
    }
  });
}

/** The shared Skein CRD validator (api/src/crd): the same rules as the CRD schema and status conditions. */
export const skeinCrdValidator: ResourceValidator = (obj) => {
  const result = validateResource(obj);
  return result.ok ? [] : result.errors;
};

/**
 * The object the index stores once admitted: for Skein CRDs, the validator's clean copy of the
 * spec (only fields Skein knows, parsed by the one schema) instead of the raw input, so translation
 * never reads a field the validator did not check. Other kinds pass through.
 */
export function admittedObject(obj: KubeObject): KubeObject {
  if (!isIndexedKind(obj.kind) || !ExpectedApiVersions[obj.kind].includes('skein.dev')) return obj;
  const result = validateResource(obj);
  if (!result.ok) return obj;
  return { ...obj, spec: (result.resource as unknown as { spec: unknown }).spec } as KubeObject;
}

/** Checks one decoded object; `crdValidator` handles the spec of Skein CRDs. */
export function validateObject(raw: unknown, crdValidator: ResourceValidator = skeinCrdValidator): ConfigError[] {
  if (!isRecord(raw)) return [{ path: '', message: 'expected a Kubernetes object (a mapping with apiVersion, kind, metadata)' }];
  const errors: ConfigError[] = [];
  const { kind, apiVersion, metadata } = raw;
  if (typeof kind !== 'string' || kind === '') return [{ path: 'kind', message: 'required' }];
  if (!isIndexedKind(kind)) {
    return [{ path: 'kind', message: `unknown kind "${kind}"; supported: ${Object.keys(ExpectedApiVersions).join(', ')}` }];
  }
  const expected = ExpectedApiVersions[kind];
  if (apiVersion !== expected) {
    const hint = typeof apiVersion === 'string' && apiVersion.includes('istio.io') ? ' (Istio manifests work after changing the apiVersion)' : '';
    errors.push({ path: 'apiVersion', message: `${kind} must have apiVersion ${expected}, got ${JSON.stringify(apiVersion)}${hint}` });
  }
  if (!isRecord(metadata)) return [...errors, { path: 'metadata', message: 'required' }];
  if (typeof metadata.name !== 'string' || !dnsSubdomain.test(metadata.name)) {
    errors.push({ path: 'metadata.name', message: `must be a DNS subdomain name, got ${JSON.stringify(metadata.name)}` });
  }
  if (metadata.namespace !== undefined && (typeof metadata.namespace !== 'string' || !dnsLabel.test(metadata.namespace))) {
    errors.push({ path: 'metadata.namespace', message: `must be a DNS label, got ${JSON.stringify(metadata.namespace)}` });
  }
  for (const field of ['labels', 'annotations'] as const) {
    const v = metadata[field];
    if (v !== undefined && (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string'))) {
      errors.push({ path: `metadata.${field}`, message: 'must map strings to strings' });
    }
  }
  if (errors.length) return errors;
  const obj = raw as KubeObject;
  if (kind === 'Service') checkService(obj, errors);
  if (kind === 'EndpointSlice') checkEndpointSlice(obj, errors);
  if (ExpectedApiVersions[kind].includes('skein.dev')) errors.push(...crdValidator(obj));
  return errors;
}
