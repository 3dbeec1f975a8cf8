/**
 * A container's environment as the kubelet builds it (pkg/kubelet/kubelet_pods.go
 * makeEnvironmentVariables): `envFrom` first, then `env` in order (each value `$(VAR)`-expanded
 * against what came before and the service variables), then the Docker-link style service
 * variables (`<SVC>_SERVICE_HOST`, …) of the pod's namespace when `enableServiceLinks` is not
 * false, and always those of the `kubernetes` Service — which is how `KUBERNETES_SERVICE_HOST`
 * and `KUBERNETES_SERVICE_PORT` reach in-cluster clients. A missing ConfigMap, Secret or key that
 * is not optional is an error with the kubelet's message (shown as CreateContainerConfigError).
 */
import { expand, lookupIn } from './expand';
import { type Allocatable, fieldValue, resourceValue, type RuntimeFields } from './fieldpath';
import { type ConfigMap, type Container, type Pod, type Secret, type Service } from './types';

/** Where ConfigMaps and Secrets come from (undefined: not found). */
export interface ObjectLookup {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

export interface EnvContext {
  pod: Pod;
  container: Container;
  /** Every Service the node knows (the kubelet lists them all). */
  services: readonly Service[];
  objects: ObjectLookup;
  runtime: RuntimeFields;
  allocatable: Allocatable;
}

/** The namespace whose Services every pod gets variables for (kubelet's masterServiceNamespace). */
export const MasterServiceNamespace = 'default';

export class EnvError extends Error {
  override name = 'EnvError';
}

const envVarName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The environment the kubelet passes to the runtime for this container (image ENV not included). */
export function containerEnv(ctx: EnvContext): Record<string, string> {
  const { pod, container } = ctx;
  const namespace = pod.metadata?.namespace ?? 'default';
  const serviceEnv = serviceEnvVars(ctx.services, namespace, pod.spec?.enableServiceLinks !== false);
  const env: Record<string, string> = {};
  const lookup = lookupIn(env, serviceEnv);

  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ? { kind: 'configmap' as const, ...source.configMapRef } : source.secretRef ? { kind: 'secret' as const, ...source.secretRef } : undefined;
    if (!ref) continue;
    const data = objectData(ctx.objects, namespace, ref.kind, ref.name ?? '');
    if (!data && !ref.optional) throw new EnvError(`${ref.kind} "${ref.name}" not found`);
    for (const [key, value] of Object.entries(data ?? {})) {
      const name = (source.prefix ?? '') + key;
      if (envVarName.test(name)) env[name] = value; // invalid names are skipped (the kubelet records an event)
    }
  }

  for (const variable of container.env ?? []) {
    if (variable.value) {
      env[variable.name] = expand(variable.value, lookup);
      continue;
    }
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = '';
      continue;
    }
    if (from.fieldRef) {
      env[variable.name] = fieldValue(pod, from.fieldRef.fieldPath, ctx.runtime);
    } else if (from.resourceFieldRef) {
      const target = from.resourceFieldRef.containerName ? findContainer(pod, from.resourceFieldRef.containerName) : container;
      env[variable.name] = resourceValue(target, from.resourceFieldRef.resource, from.resourceFieldRef.divisor, ctx.allocatable);
    } else if (from.configMapKeyRef || from.secretKeyRef) {
      const ref = from.configMapKeyRef ? { kind: 'configmap' as const, ...from.configMapKeyRef } : { kind: 'secret' as const, ...from.secretKeyRef! };
      const value = keyValue(ctx.objects, namespace, ref.kind, ref.name ?? '', ref.key, ref.optional === true);
      if (value !== undefined) env[variable.name] = value;
    } else {
      throw new EnvError(`env ${variable.name}: valueFrom has no source the node supports (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef)`);
    }
  }

  for (const [name, value] of Object.entries(serviceEnv)) if (!Object.hasOwn(env, name)) env[name] = value;
  return env;
}

function findContainer(pod: Pod, name: string): Container {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const found = all.find((c) => c.name === name);
  if (!found) throw new EnvError(`resourceFieldRef: no container "${name}" in the pod`);
  return found;
}

/** A ConfigMap's or Secret's entries as strings, or undefined when it does not exist. */
function objectData(objects: ObjectLookup, namespace: string, kind: 'configmap' | 'secret', name: string): Record<string, string> | undefined {
  if (kind === 'secret') {
    const secret = objects.secret(namespace, name);
    return secret && secretStrings(secret);
  }
  const cm = objects.configMap(namespace, name);
  if (!cm) return undefined;
  const binary = Object.fromEntries(Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  return { ...binary, ...cm.data };
}

/** One key of a ConfigMap or Secret; undefined when it is missing and optional, else the kubelet's error. */
function keyValue(objects: ObjectLookup, namespace: string, kind: 'configmap' | 'secret', name: string, key: string, optional: boolean): string | undefined {
  const data = objectData(objects, namespace, kind, name);
  if (!data) {
    if (optional) return undefined;
    throw new EnvError(`${kind} "${name}" not found`);
  }
  if (data[key] === undefined && !optional) throw new EnvError(`couldn't find key ${key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${namespace}/${name}`);
  return data[key];
}

/** A Secret's `data` (base64) and `stringData` as strings. */
export function secretStrings(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString();
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

/**
 * The Docker-link style variables of the Services a pod sees: those of its namespace (when
 * `serviceLinks`) plus those of the `default` namespace's `kubernetes` Service. Services without
 * a cluster IP (headless, ExternalName) have none.
 */
export function serviceEnvVars(services: readonly Service[], namespace: string, serviceLinks: boolean): Record<string, string> {
  const byName = new Map<string, Service>();
  for (const s of services) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    const ns = s.metadata?.namespace ?? 'default';
    const name = s.metadata?.name ?? '';
    if (ns === MasterServiceNamespace && name === 'kubernetes' && !byName.has(name)) byName.set(name, s);
    if (serviceLinks && ns === namespace) byName.set(name, s);
  }
  const env: Record<string, string> = {};
  for (const [name, s] of byName) {
    const prefix = name.toUpperCase().replace(/-/g, '_');
    const ip = s.spec!.clusterIP!;
    const ports = s.spec?.ports ?? [];
    env[`${prefix}_SERVICE_HOST`] = ip;
    if (ports[0]) env[`${prefix}_SERVICE_PORT`] = String(ports[0].port);
    for (const p of ports) if (p.name) env[`${prefix}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`] = String(p.port);
    ports.forEach((p, i) => {
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${protocol}://${ip}:${p.port}`;
      if (i === 0) env[`${prefix}_PORT`] = url;
      const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
      env[portPrefix] = url;
      env[`${portPrefix}_PROTO`] = protocol;
      env[`${portPrefix}_PORT`] = String(p.port);
      env[`${portPrefix}_ADDR`] = ip;
    });
  }
  return env;
}
