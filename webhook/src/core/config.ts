/**
 * Injection configuration: what the webhook and `skein inject` render. One parser validates it for
 * both (config file, CLI flags), naming the bad field.
 */
import { ControlPlaneHost, ControlPlanePorts, DefaultTrustDomain, SystemNamespace } from '../../../api/src/names';
import { isObject } from './types';
import { parseKubeVersion } from './kube-version';

export type NativeSidecarMode = 'auto' | 'on' | 'off';

/**
 * How the pod's traffic capture is installed: `init`, the skein-init container (NET_ADMIN,
 * NET_RAW, root); `cni`, the Skein CNI agent on the node, when the pod's sandbox is created (the pod
 * gets only the unprivileged skein-validation check and passes Pod Security `restricted`).
 */
export type CaptureMode = 'init' | 'cni';

export interface ResourceList {
  cpu?: string;
  memory?: string;
}

export interface InjectionConfig {
  /** Skein image (entrypoint: the `skein` CLI) used for both injected containers. */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Arguments of the proxy container (the image's entrypoint is `skein`). */
  proxyArgs: string[];
  captureMode: CaptureMode;
  /** Native sidecars (restartable init container, Kubernetes 1.29+): auto follows clusterVersion. */
  nativeSidecars: NativeSidecarMode;
  /** Kubernetes version of the cluster, e.g. `1.30` or `v1.29.4-gke.1`; unknown means "too old" in auto mode. */
  clusterVersion: string | undefined;
  trustDomain: string;
  /** host:port of the control plane's xDS server. */
  xdsAddress: string;
  /** host:port of the CA (same gRPC server as xDS by default). */
  caAddress: string;
  /** Proxy resources; annotations override per pod. */
  resources: { requests: ResourceList; limits: ResourceList };
  /** Lifetime of the projected token the proxy presents to the CA. */
  tokenExpirationSeconds: number;
  /** How a classic sidecar's postStart hook invokes the CLI inside the image. */
  cliCommand: string[];
  /** Namespaces never injected, whatever their labels say. */
  excludedNamespaces: string[];
  /** Written into the status annotation. */
  version: string;
}

export const defaultControlPlaneAddress = `${ControlPlaneHost}:${ControlPlanePorts.xds}`;

export function defaultInjectionConfig(version: string): InjectionConfig {
  return {
    image: `ghcr.io/skein-mesh/skein:${version}`,
    imagePullPolicy: 'IfNotPresent',
    proxyArgs: ['proxy'],
    captureMode: 'init',
    nativeSidecars: 'auto',
    clusterVersion: undefined,
    trustDomain: DefaultTrustDomain,
    xdsAddress: defaultControlPlaneAddress,
    caAddress: defaultControlPlaneAddress,
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2', memory: '1Gi' } },
    tokenExpirationSeconds: 43_200,
    cliCommand: ['skein'],
    excludedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease', SystemNamespace],
    version,
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const pullPolicies = ['Always', 'IfNotPresent', 'Never'] as const;
const nativeModes = ['auto', 'on', 'off'] as const;
const captureModes = ['init', 'cni'] as const;
const fields = new Set<string>(Object.keys(defaultInjectionConfig('0')));

function stringField(raw: Record<string, unknown>, key: string, fallback: string): string {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${key}: expected a non-empty string`);
  return value;
}

function enumField<T extends string>(raw: Record<string, unknown>, key: string, allowed: readonly T[], fallback: T): T {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${key}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function stringListField(raw: Record<string, unknown>, key: string, fallback: string[], { nonEmpty }: { nonEmpty: boolean }): string[] {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string') || (nonEmpty && value.length === 0)) {
    throw new ConfigError(`${key}: expected a${nonEmpty ? ' non-empty' : ''} list of strings`);
  }
  return value as string[];
}

function resourcesField(raw: Record<string, unknown>, fallback: InjectionConfig['resources']): InjectionConfig['resources'] {
  const value = raw.resources;
  if (value === undefined) return fallback;
  if (!isObject(value)) throw new ConfigError('resources: expected {requests: {cpu, memory}, limits: {cpu, memory}}');
  const out: InjectionConfig['resources'] = { requests: { ...fallback.requests }, limits: { ...fallback.limits } };
  for (const kind of Object.keys(value)) {
    if (kind !== 'requests' && kind !== 'limits') throw new ConfigError(`resources.${kind}: unknown field (expected requests or limits)`);
    const list = value[kind];
    if (!isObject(list)) throw new ConfigError(`resources.${kind}: expected {cpu, memory}`);
    for (const [name, quantity] of Object.entries(list)) {
      if (name !== 'cpu' && name !== 'memory') throw new ConfigError(`resources.${kind}.${name}: unknown resource (expected cpu or memory)`);
      if (typeof quantity !== 'string' || !isQuantity(quantity)) {
        throw new ConfigError(`resources.${kind}.${name}: ${JSON.stringify(quantity)} is not a Kubernetes quantity (e.g. 100m, 128Mi)`);
      }
      out[kind][name] = quantity;
    }
  }
  return out;
}

/** A non-negative Kubernetes resource quantity such as `100m`, `0.5`, `128Mi`, `1G`, `1e3`. */
export function isQuantity(text: string): boolean {
  return /^\+?(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/.test(text);
}

/**
 * Builds a config from a parsed file (or flags) over the defaults. Unknown fields and bad values
 * throw ConfigError naming the field: a typo in a config file must not silently change nothing.
 */
export function parseInjectionConfig(raw: unknown, defaults: InjectionConfig): InjectionConfig {
  if (raw === undefined || raw === null) return defaults;
  if (!isObject(raw)) throw new ConfigError('injection config: expected a mapping of fields');
  for (const key of Object.keys(raw)) {
    if (!fields.has(key)) throw new ConfigError(`${key}: unknown field (known: ${[...fields].join(', ')})`);
  }
  const clusterVersion = raw.clusterVersion === undefined ? defaults.clusterVersion : stringField(raw, 'clusterVersion', '');
  if (clusterVersion !== undefined && parseKubeVersion(clusterVersion) === undefined) {
    throw new ConfigError(`clusterVersion: ${JSON.stringify(clusterVersion)} is not a Kubernetes version (e.g. 1.29 or v1.30.2)`);
  }
  const tokenExpirationSeconds = raw.tokenExpirationSeconds ?? defaults.tokenExpirationSeconds;
  // Kubernetes requires at least 10 minutes for a projected service-account token.
  if (typeof tokenExpirationSeconds !== 'number' || !Number.isInteger(tokenExpirationSeconds) || tokenExpirationSeconds < 600) {
    throw new ConfigError('tokenExpirationSeconds: expected an integer >= 600');
  }
  return {
    image: stringField(raw, 'image', defaults.image),
    imagePullPolicy: enumField(raw, 'imagePullPolicy', pullPolicies, defaults.imagePullPolicy),
    proxyArgs: stringListField(raw, 'proxyArgs', defaults.proxyArgs, { nonEmpty: true }),
    captureMode: enumField(raw, 'captureMode', captureModes, defaults.captureMode),
    nativeSidecars: enumField(raw, 'nativeSidecars', nativeModes, defaults.nativeSidecars),
    clusterVersion,
    trustDomain: stringField(raw, 'trustDomain', defaults.trustDomain),
    xdsAddress: stringField(raw, 'xdsAddress', defaults.xdsAddress),
    caAddress: stringField(raw, 'caAddress', defaults.caAddress),
    resources: resourcesField(raw, defaults.resources),
    tokenExpirationSeconds,
    cliCommand: stringListField(raw, 'cliCommand', defaults.cliCommand, { nonEmpty: true }),
    excludedNamespaces: stringListField(raw, 'excludedNamespaces', defaults.excludedNamespaces, { nonEmpty: false }),
    version: stringField(raw, 'version', defaults.version),
  };
}
