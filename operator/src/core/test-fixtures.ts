/** Small object builders for the core's unit tests. */
import { type KubeObject } from './kube';
import { MeshIndex } from './mesh-index';

export function svc(name: string, ns: string, vip: string, ports: { name: string; port: number; targetPort?: number }[], annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, spec: { clusterIP: vip, ports } };
}

export function pod(name: string, ns: string, ip: string, labels: Record<string, string>, sa = 'default', annotations?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels, ...(annotations ? { annotations } : {}) }, spec: { serviceAccountName: sa }, status: { podIP: ip } };
}

export function slice(name: string, ns: string, service: string, ports: { name: string; port: number }[], endpoints: { ip: string; pod?: string; zone?: string; ready?: boolean }[]): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
    ports, endpoints: endpoints.map((e) => ({
      addresses: [e.ip], ...(e.zone ? { zone: e.zone } : {}), ...(e.ready === false ? { conditions: { ready: false } } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod } } : {}),
    })),
  };
}

export function policy(kind: string, name: string, ns: string, spec: unknown, creationTimestamp?: string): KubeObject {
  const group = kind === 'VirtualService' || kind === 'DestinationRule' ? 'networking.skein.dev' : 'security.skein.dev';
  return { apiVersion: `${group}/v1alpha1`, kind, metadata: { name, namespace: ns, ...(creationTimestamp ? { creationTimestamp } : {}) }, spec };
}

export function indexOf(objects: KubeObject[]): MeshIndex {
  const index = new MeshIndex();
  for (const o of objects) index.apply(o);
  return index;
}
