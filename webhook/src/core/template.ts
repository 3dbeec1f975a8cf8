/**
 * The one template of what Skein adds to a pod: the `skein-init` init container, the `skein-proxy`
 * sidecar (native or classic) and its volumes. Ports, UID, names, mounts and env come from
 * api/src/names.ts so that the proxy and init-network read what is rendered here.
 */
import {
  Annotations,
  CaTokenAudience,
  Containers,
  ProxyEnv,
  ProxyGid,
  ProxyMounts,
  ProxyPorts,
  ProxyUid,
  RootCertConfigMap,
} from '../../../api/src/names';
import { captureFlags, type CaptureSettings, initNetworkArgs } from './capture';
import { type InjectionConfig, isQuantity, type ResourceList } from './config';
import { type Container, InjectionError } from './types';

export const Volumes = {
  token: 'skein-token',
  rootCert: 'skein-root-cert',
  podInfo: 'skein-podinfo',
} as const;

/**
 * V8 flags for the proxy: a 2 MiB young generation (semi-space) instead of the default 16 MiB
 * measurably lowers the proxy's RSS at the cost of more frequent, cheap scavenges.
 */
export const ProxyNodeOptions = '--max-semi-space-size=2';

/** Path of the proxy's readiness endpoint on the health port. */
export const proxyReadyPath = '/healthz/ready';

export interface ProxyResources {
  requests: ResourceList;
  limits: ResourceList;
}

/** Proxy resources: config defaults, overridden per pod by `sidecar.skein.dev/proxy*` annotations. */
export function proxyResources(annotations: Record<string, string>, defaults: InjectionConfig['resources']): ProxyResources {
  const pick = (annotation: string, fallback: string | undefined): string | undefined => {
    const value = annotations[annotation];
    if (value === undefined) return fallback;
    if (!isQuantity(value.trim())) throw new InjectionError(`annotation ${annotation}: "${value}" is not a Kubernetes quantity (e.g. 100m, 128Mi)`);
    return value.trim();
  };
  const compact = (list: ResourceList): ResourceList =>
    Object.fromEntries(Object.entries(list).filter(([, v]) => v !== undefined)) as ResourceList;
  return {
    requests: compact({ cpu: pick(Annotations.proxyCpu, defaults.requests.cpu), memory: pick(Annotations.proxyMemory, defaults.requests.memory) }),
    limits: compact({ cpu: pick(Annotations.proxyCpuLimit, defaults.limits.cpu), memory: pick(Annotations.proxyMemoryLimit, defaults.limits.memory) }),
  };
}

/** Resources of the short-lived init containers (skein-init, skein-validation). */
const initResources = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };

/**
 * The security context of a container running as the proxy's user: no root, no capability, no
 * escalation, read-only. CNI mode adds the RuntimeDefault seccomp profile (Pod Security `restricted`).
 */
function proxyUserSecurityContext(cni: boolean): Record<string, unknown> {
  return {
    runAsUser: ProxyUid,
    runAsGroup: ProxyGid,
    runAsNonRoot: true,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    ...(cni ? { seccompProfile: { type: 'RuntimeDefault' } } : {}),
  };
}

export function initContainer(capture: CaptureSettings, config: InjectionConfig): Container {
  return {
    name: Containers.init,
    image: config.image,
    imagePullPolicy: config.imagePullPolicy,
    args: initNetworkArgs(capture),
    resources: initResources,
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      privileged: false,
      allowPrivilegeEscalation: false,
      // iptables takes its lock under /run: the root filesystem stays writable for this short-lived container.
      readOnlyRootFilesystem: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
  };
}

/**
 * CNI mode: instead of skein-init, an unprivileged check that the Skein CNI agent installed the
 * capture (`skein cni validate` with the same flags the agent applied). It fails the pod with a
 * clear message when the capture is missing, so a pod never runs unmeshed.
 */
export function validationContainer(capture: CaptureSettings, config: InjectionConfig): Container {
  return {
    name: Containers.validation,
    image: config.image,
    imagePullPolicy: config.imagePullPolicy,
    args: ['cni', 'validate', ...captureFlags(capture)],
    resources: initResources,
    // The container log's last lines become the pod's termination message when it fails.
    terminationMessagePolicy: 'FallbackToLogsOnError',
    securityContext: proxyUserSecurityContext(true),
  };
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });

function readyProbe(periodSeconds: number, failureThreshold: number) {
  return {
    httpGet: { path: proxyReadyPath, port: ProxyPorts.health, scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold,
  };
}

/**
 * Env var through which the proxy's agent port reads the original app probes (downward API from
 * the `sidecar.skein.dev/originalProbes` annotation).
 */
export const appProbesEnv = ProxyEnv.appProbes;

export interface ProxyShape {
  /** Native sidecar: an init container with restartPolicy Always. */
  native: boolean;
  /** CNI mode: the RuntimeDefault seccomp profile too (Pod Security `restricted`). */
  cni: boolean;
  /** App probes were rewritten: pass their originals to the proxy. */
  appProbes: boolean;
}

export function proxyContainer(resources: ProxyResources, config: InjectionConfig, shape: ProxyShape): Container {
  const container: Container = {
    name: Containers.proxy,
    image: config.image,
    imagePullPolicy: config.imagePullPolicy,
    args: [...config.proxyArgs],
    ports: [{ name: 'http-envoy-prom', containerPort: ProxyPorts.prometheus, protocol: 'TCP' }],
    env: [
      fieldEnv(ProxyEnv.podName, 'metadata.name'),
      fieldEnv(ProxyEnv.podNamespace, 'metadata.namespace'),
      fieldEnv(ProxyEnv.instanceIp, 'status.podIP'),
      fieldEnv(ProxyEnv.serviceAccount, 'spec.serviceAccountName'),
      { name: ProxyEnv.xdsAddress, value: config.xdsAddress },
      { name: ProxyEnv.caAddress, value: config.caAddress },
      { name: ProxyEnv.trustDomain, value: config.trustDomain },
      { name: ProxyEnv.tokenPath, value: ProxyMounts.tokenFile },
      { name: ProxyEnv.rootCertPath, value: ProxyMounts.rootCertFile },
      // Labels cannot be an env var through the downward API; a downwardAPI volume file is kept current.
      { name: ProxyEnv.podLabelsFile, value: ProxyMounts.podLabelsFile },
      { name: 'NODE_OPTIONS', value: ProxyNodeOptions },
      ...(shape.appProbes ? [fieldEnv(appProbesEnv, `metadata.annotations['${Annotations.originalProbes}']`)] : []),
    ],
    resources,
    // Startup: up to 10 minutes for the first config and certificate; then readiness every 15 s.
    startupProbe: readyProbe(1, 600),
    readinessProbe: readyProbe(15, 4),
    securityContext: proxyUserSecurityContext(shape.cni),
    volumeMounts: [
      { name: Volumes.token, mountPath: ProxyMounts.token, readOnly: true },
      { name: Volumes.rootCert, mountPath: ProxyMounts.rootCert, readOnly: true },
      { name: Volumes.podInfo, mountPath: ProxyMounts.podInfo, readOnly: true },
    ],
  };
  if (shape.native) {
    container.restartPolicy = 'Always';
  } else {
    // Classic sidecar: kubelet starts the next container only after postStart returns, so the app
    // starts once the proxy is ready.
    container.lifecycle = {
      postStart: { exec: { command: [...config.cliCommand, 'wait-ready', '--port', String(ProxyPorts.health), '--timeout', '60s'] } },
    };
  }
  return container;
}

export function proxyVolumes(config: InjectionConfig): { name: string; [key: string]: unknown }[] {
  const tokenFile = ProxyMounts.tokenFile.slice(ProxyMounts.token.length + 1);
  return [
    {
      name: Volumes.token,
      projected: { sources: [{ serviceAccountToken: { audience: CaTokenAudience, expirationSeconds: config.tokenExpirationSeconds, path: tokenFile } }] },
    },
    // Every key of the bundle ConfigMap becomes a file; the proxy reads root-cert.pem (ProxyMounts.rootCertFile).
    { name: Volumes.rootCert, configMap: { name: RootCertConfigMap } },
    // The pod's labels as `key="value"` lines (ProxyMounts.podLabelsFile), read by the proxy at start.
    { name: Volumes.podInfo, downwardAPI: { items: [{ path: ProxyMounts.podLabelsFile.slice(ProxyMounts.podInfo.length + 1), fieldRef: { fieldPath: 'metadata.labels' } }] } },
  ];
}
