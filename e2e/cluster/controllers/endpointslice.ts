/**
 * The EndpointSlice controller: for every Service with a selector, slices (`<svc>-xxxxx`, labels
 * kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by, owned by the Service)
 * listing the matching pods that have an IP — `conditions.ready` from the pod's Ready condition
 * (false while terminating), `serving`, `terminating`, nodeName, targetRef — with the Service's
 * ports resolved to the pods' target ports (named ports per pod, one slice per port mapping).
 */
import { deepEqual, isObject, type JsonObject, type KubeObject } from '../apiserver/core/json';
import { mapSelectorMatcher } from '../apiserver/core/selectors';
import { type Change } from '../apiserver/storage';
import { Controller, type ControllerContext, controllerRef, keyOf, splitKey } from './controller';
import { nodeName, podIP, podPhase, podReady } from './pods';

const slices = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices' };
export const ManagedBy = 'endpointslice-controller.k8s.io';
const maxEndpointsPerSlice = 100;

interface ServicePort {
  name?: string;
  port?: number;
  protocol?: string;
  targetPort?: number | string;
  appProtocol?: string;
}

export class EndpointSliceController extends Controller {
  constructor(ctx: ControllerContext) {
    super('endpointslice-controller', ctx);
  }

  protected keysFor(change: Change): string[] {
    if (change.resource === 'services') return [keyOf(change.object)];
    if (change.resource === 'discovery.k8s.io/endpointslices') {
      const svc = change.object.metadata.labels?.['kubernetes.io/service-name'];
      return svc && change.object.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === ManagedBy ? [`${change.object.metadata.namespace}/${svc}`] : [];
    }
    if (change.resource !== 'pods') return [];
    const ns = change.object.metadata.namespace;
    const keys: string[] = [];
    for (const svc of this.ctx.storage.scan('services', ns)) {
      const selector = isObject(svc.spec) ? (svc.spec.selector as Record<string, string> | undefined) : undefined;
      const m = mapSelectorMatcher(selector);
      if (m(change.object.metadata.labels) || (change.previous && m(change.previous.metadata.labels))) keys.push(keyOf(svc));
    }
    return keys;
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.ctx.storage.get('services', namespace, name);
    const existing = this.ctx.storage.scan('discovery.k8s.io/endpointslices', namespace)
      .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === name && s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === ManagedBy) as KubeObject[];
    const spec = (svc && isObject(svc.spec) ? svc.spec : {}) as JsonObject;
    if (!svc || svc.metadata.deletionTimestamp || !isObject(spec.selector) || Object.keys(spec.selector).length === 0) {
      for (const s of existing) await this.ctx.client.delete(slices, namespace, s.metadata.name!).catch(() => undefined);
      return;
    }
    const match = mapSelectorMatcher(spec.selector as Record<string, string>);
    const ports = (Array.isArray(spec.ports) ? spec.ports : []) as ServicePort[];
    const publishNotReady = spec.publishNotReadyAddresses === true;
    // Group endpoints by their resolved ports.
    const groups = new Map<string, { ports: JsonObject[]; endpoints: JsonObject[] }>();
    for (const pod of this.ctx.storage.scan('pods', namespace)) {
      if (!match(pod.metadata.labels)) continue;
      const ip = podIP(pod);
      const phase = podPhase(pod);
      if (!ip || phase === 'Succeeded' || phase === 'Failed') continue;
      const resolved = ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : { name: '' }), protocol: p.protocol ?? 'TCP', port: this.targetPort(pod as KubeObject, p), ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }))
        .filter((p) => p.port !== undefined);
      const sig = JSON.stringify(resolved);
      const group = groups.get(sig) ?? { ports: resolved as JsonObject[], endpoints: [] as JsonObject[] };
      const terminatingPod = pod.metadata.deletionTimestamp !== undefined;
      const ready = podReady(pod);
      group.endpoints.push({
        addresses: [ip],
        conditions: { ready: publishNotReady || (ready && !terminatingPod), serving: publishNotReady || ready, terminating: terminatingPod },
        ...(nodeName(pod) ? { nodeName: nodeName(pod) } : {}),
        targetRef: { kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid },
      });
      groups.set(sig, group);
    }
    const desired: { ports: JsonObject[]; endpoints: JsonObject[] }[] = [];
    for (const g of groups.values()) for (let i = 0; i < g.endpoints.length; i += maxEndpointsPerSlice) desired.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + maxEndpointsPerSlice) });
    if (desired.length === 0) desired.push({ ports: [], endpoints: [] }); // the placeholder slice of a Service without endpoints
    const labels = { ...(svc.metadata.labels ?? {}), 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': ManagedBy };
    for (let i = 0; i < desired.length; i++) {
      const want = desired[i]!;
      const have = existing[i];
      if (!have) {
        await this.ctx.client.create(slices, {
          apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
          metadata: { generateName: `${name}-`, namespace, labels, ownerReferences: [controllerRef(svc)] },
          addressType: 'IPv4', endpoints: want.endpoints, ports: want.ports,
        });
      } else if (!deepEqual(have.endpoints ?? [], want.endpoints) || !deepEqual(have.ports ?? [], want.ports) || !deepEqual(have.metadata.labels, labels)) {
        await this.ctx.client.update(slices, { ...have, metadata: { ...have.metadata, labels }, endpoints: want.endpoints, ports: want.ports });
      }
    }
    for (const extra of existing.slice(desired.length)) await this.ctx.client.delete(slices, namespace, extra.metadata.name!).catch(() => undefined);
  }

  /** The pod's port for a Service port: a number as is, a name looked up in the pod's containers. */
  private targetPort(pod: KubeObject, p: ServicePort): number | undefined {
    const target = p.targetPort ?? p.port;
    if (typeof target === 'number') return target;
    if (/^\d+$/.test(String(target))) return Number(target);
    const containers = (isObject(pod.spec) && Array.isArray(pod.spec.containers) ? pod.spec.containers : []) as { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[];
    return containers.flatMap((c) => c.ports ?? []).find((x) => x.name === target && (x.protocol ?? 'TCP') === (p.protocol ?? 'TCP'))?.containerPort;
  }
}
