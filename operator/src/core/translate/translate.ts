/**
 * Translation entry point: mesh model + proxy → Envoy resources. Everything a namespace shares
 * (outbound clusters, endpoints, routes, the outbound listener) is computed once per namespace and
 * reused for every proxy in it; only the inbound side is per workload.
 */
import { type LocalRateLimit, parseRateLimit } from '../../../../api/src/crd/rate-limit';
import { type MeshModel, type PodModel } from '../model';
import { type ProxyNode } from '../node-id';
import { fixedClusters, inboundCluster, outboundClusters } from './clusters';
import { type Json, TypeUrls, type XdsTypeUrl, XdsTypeOrder } from './envoy';
import { outboundLoadAssignments } from './endpoints';
import { grpcListenersAndRoutes } from './grpc';
import { type InboundPort, type LocalOutbound, inboundRateLimit, localInboundListener, localOutboundListener, virtualInbound, virtualOutbound } from './listeners';
import { workloadMtls } from './peer-auth';
import { policiesFor } from './rbac';
import { outboundRouteConfigs } from './routes';
import { MeshScope, usesSourceLabels } from './scope';

/** Node metadata keys Skein reads. */
export const NodeMetadata = {
  /** `grpc` for proxyless gRPC clients. */
  generator: 'GENERATOR',
  /** Local mode: `LOCAL=HOST:PORT,…` explicit outbound listeners on 127.0.0.1 (see docs/control-plane.md). */
  outboundPorts: 'SKEIN_OUTBOUND_PORTS',
  /** Local mode: `LISTEN=APP_PORT,…` explicit inbound listeners on the node's IP. */
  inboundPorts: 'SKEIN_INBOUND_PORTS',
} as const;

export interface ProxyInfo {
  node: ProxyNode;
  metadata: Record<string, unknown>;
}

export type ProxyResources = Record<XdsTypeUrl, Json[]>;
/**
 * The same resources in parts: arrays shared by every proxy of a namespace (same array object) and
 * the proxy's own. Snapshots hash and check a shared part once, not once per proxy.
 */
export type ProxyResourceParts = Record<XdsTypeUrl, Json[][]>;

export interface Translation {
  resources: ProxyResources;
  parts: ProxyResourceParts;
  /** Problems that did not stop translation (bad metadata, unknown hosts). */
  warnings: string[];
}

interface Shared {
  scope: MeshScope;
  clusters: Json[];
  endpoints: Json[];
  listeners: Json[];
  routes: Json[];
}

export class Translator {
  private readonly shared = new Map<string, Shared>();
  /** With sourceLabels in use, outbound config depends on the workload's labels too. */
  private readonly perWorkload: boolean;

  constructor(readonly model: MeshModel) {
    this.perWorkload = usesSourceLabels(model);
  }

  private sharedFor(namespace: string, proxyless: boolean, labels: Record<string, string>): Shared {
    const labelKey = this.perWorkload ? JSON.stringify(Object.entries(labels).sort()) : '';
    const key = `${namespace}|${proxyless}|${labelKey}`;
    let s = this.shared.get(key);
    if (!s) {
      const scope = this.shared.get(`${namespace}|${!proxyless}|${labelKey}`)?.scope ?? new MeshScope(this.model, namespace, this.perWorkload ? labels : undefined);
      const clusters = outboundClusters(scope, { proxyless });
      const endpoints = outboundLoadAssignments(scope);
      if (proxyless) {
        const grpc = grpcListenersAndRoutes(scope);
        s = { scope, clusters, endpoints, listeners: grpc.listeners, routes: grpc.routes };
      } else {
        s = { scope, clusters: [...fixedClusters(), ...clusters], endpoints, listeners: [virtualOutbound(scope)], routes: outboundRouteConfigs(scope) };
      }
      this.shared.set(key, s);
    }
    return s;
  }

  translate(proxy: ProxyInfo): Translation {
    const warnings: string[] = [];
    const proxyless = proxy.metadata[NodeMetadata.generator] === 'grpc';
    const pod = this.model.pods.get(`${proxy.node.namespace}/${proxy.node.podName}`);
    const labels = pod?.labels ?? {};
    const shared = this.sharedFor(proxy.node.namespace, proxyless, labels);
    if (proxyless) {
      return result({ [TypeUrls.cluster]: [shared.clusters], [TypeUrls.endpoint]: [shared.endpoints], [TypeUrls.listener]: [shared.listeners], [TypeUrls.route]: [shared.routes] }, warnings);
    }
    const mtls = workloadMtls(this.model, proxy.node.namespace, labels);
    const authz = policiesFor(this.model, proxy.node.namespace, labels);
    const localInbound = parseLocalInbound(inboundPorts(this.model, proxy.node, pod), proxy.metadata[NodeMetadata.inboundPorts], warnings);
    const ports = localInbound.ports;
    const rateLimit = inboundRateLimit(podRateLimit(pod, warnings));
    const listeners = [virtualInbound(ports, mtls, authz, rateLimit)];
    for (const { listenPort, port } of localInbound.listeners) listeners.push(localInboundListener(proxy.node.ip, listenPort, port, mtls, authz, rateLimit));
    const routes: Json[] = [];
    const local = parseLocalOutbound(shared.scope, proxy.metadata[NodeMetadata.outboundPorts], warnings);
    for (const entry of local) {
      const l = localOutboundListener(shared.scope, entry);
      listeners.push(l.listener);
      if (l.route) routes.push(l.route);
    }
    const clusters = ports.map((p) => inboundCluster(p.port, p.protocol));
    return result({
      [TypeUrls.cluster]: [shared.clusters, clusters],
      [TypeUrls.endpoint]: [shared.endpoints],
      [TypeUrls.listener]: [shared.listeners, listeners],
      [TypeUrls.route]: [shared.routes, routes],
    }, warnings);
  }
}

function result(parts: ProxyResourceParts, warnings: string[]): Translation {
  let flat: ProxyResources | undefined;
  return {
    parts, warnings,
    // Flattened on demand (snapshots use the parts; only tools and tests read the flat lists).
    get resources(): ProxyResources {
      if (!flat) {
        flat = {} as ProxyResources;
        for (const type of XdsTypeOrder) flat[type] = parts[type].flat();
      }
      return flat;
    },
  };
}

/** The pod's rate-limit annotation; an invalid value is a warning (shown in syncz) and no limit. */
function podRateLimit(pod: PodModel | undefined, warnings: string[]): LocalRateLimit | undefined {
  if (pod?.rateLimit === undefined) return undefined;
  try {
    return parseRateLimit(pod.rateLimit);
  } catch (err) {
    warnings.push(`${pod.namespace}/${pod.name}: ${(err as Error).message}`);
    return undefined;
  }
}

/** Ports the workload serves: endpoints of services in its namespace that are this pod (or its IP). */
export function inboundPorts(model: MeshModel, node: ProxyNode, pod: PodModel | undefined): InboundPort[] {
  const byPort = new Map<number, InboundPort>();
  for (const service of model.services) {
    if (service.namespace !== node.namespace) continue;
    for (const e of model.endpoints.get(`${service.namespace}/${service.name}`) ?? []) {
      const isThisPod = e.podName !== undefined ? e.podName === node.podName : (pod?.ips ?? [node.ip]).includes(e.address);
      if (!isThisPod) continue;
      for (const sp of service.ports) {
        const port = e.ports[sp.name] ?? (typeof sp.targetPort === 'number' ? sp.targetPort : undefined);
        if (port !== undefined && sp.protocol !== 'UDP' && !byPort.has(port)) byPort.set(port, { port, protocol: sp.protocol });
      }
    }
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

/** `15101=echo.default:8080,15102=db:5432` → listeners; bad entries become warnings. */
export function parseLocalOutbound(scope: MeshScope, value: unknown, warnings: string[]): LocalOutbound[] {
  if (value === undefined || value === '') return [];
  if (typeof value !== 'string') {
    warnings.push(`node metadata ${NodeMetadata.outboundPorts} must be a string like "15101=echo.default:8080"`);
    return [];
  }
  const out: LocalOutbound[] = [];
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})=([^:=\s]+):(\d{1,5})$/.exec(raw);
    if (!m) {
      warnings.push(`${NodeMetadata.outboundPorts}: "${raw}" is not LOCAL_PORT=HOST:PORT`);
      continue;
    }
    const listenPort = Number(m[1]);
    const host = m[2]!;
    const dots = host.split('.').length - 1;
    const service = scope.service(dots === 1 ? `${host}.svc.${scope.model.clusterDomain}` : host, scope.namespace);
    const servicePort = service?.ports.find((p) => p.port === Number(m[3]));
    if (listenPort < 1 || listenPort > 65535) warnings.push(`${NodeMetadata.outboundPorts}: "${raw}": port ${listenPort} is out of range`);
    else if (!service || !servicePort) warnings.push(`${NodeMetadata.outboundPorts}: "${raw}": no visible service ${m[2]} with port ${m[3]}`);
    else out.push({ listenPort, service, servicePort });
  }
  return out;
}

/**
 * `15106=8080,…` → explicit inbound listeners. In local mode the EndpointSlice lists the proxy's
 * listen port (15106), so that port is replaced by the app port (8080) in the workload's inbound
 * ports (keeping its protocol); a slice that lists the app port itself works too. Bad entries
 * become warnings.
 */
export function parseLocalInbound(served: InboundPort[], value: unknown, warnings: string[]): { ports: InboundPort[]; listeners: { listenPort: number; port: InboundPort }[] } {
  const listeners: { listenPort: number; port: InboundPort }[] = [];
  if (value === undefined || value === '') return { ports: served, listeners };
  if (typeof value !== 'string') {
    warnings.push(`node metadata ${NodeMetadata.inboundPorts} must be a string like "15106=8080"`);
    return { ports: served, listeners };
  }
  const ports = new Map(served.map((p) => [p.port, p]));
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,5})=(\d{1,5})$/.exec(raw);
    if (!m) {
      warnings.push(`${NodeMetadata.inboundPorts}: "${raw}" is not LISTEN_PORT=APP_PORT`);
      continue;
    }
    const listenPort = Number(m[1]);
    const appPort = Number(m[2]);
    if (listenPort < 1 || listenPort > 65535 || appPort < 1 || appPort > 65535 || listenPort === appPort) {
      warnings.push(`${NodeMetadata.inboundPorts}: "${raw}": ports must be 1-65535 and differ`);
      continue;
    }
    const listed = ports.get(listenPort) ?? ports.get(appPort);
    if (!listed) {
      warnings.push(`${NodeMetadata.inboundPorts}: "${raw}": no EndpointSlice lists this pod on port ${listenPort} or ${appPort}`);
      continue;
    }
    ports.delete(listenPort);
    const port = { port: appPort, protocol: listed.protocol };
    ports.set(appPort, port);
    listeners.push({ listenPort, port });
  }
  return { ports: [...ports.values()].sort((a, b) => a.port - b.port), listeners };
}
