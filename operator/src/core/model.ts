/** The mesh model: what translation reads. Built by the index from Kubernetes-shaped objects. */
import { type ServiceHealthCheck } from '../../../api/src/crd/health-check';
import { type Protocol } from './protocol';
import {
  type AuthorizationPolicySpec, type DestinationRuleSpec, type PeerAuthenticationSpec, type VirtualServiceSpec,
} from './policy-types';

export interface ServicePortModel {
  /** Port name ('' when unnamed). */
  name: string;
  port: number;
  targetPort: number | string;
  protocol: Protocol;
}

export interface ServiceModel {
  name: string;
  namespace: string;
  /** `<name>.<namespace>.svc.<cluster-domain>` */
  fqdn: string;
  /** Cluster IPs; empty for headless services (which get no outbound filter chain). */
  vips: string[];
  ports: ServicePortModel[];
  selector?: Record<string, string>;
  /** Namespaces that may see this service (`*` = all); from annotation `networking.skein.dev/exportTo`. */
  exportTo: string[];
  /** Active health checks clients run against its endpoints; annotation `traffic.skein.dev/healthCheck`. */
  healthCheck?: ServiceHealthCheck;
}

export interface EndpointModel {
  address: string;
  /** Port number per EndpointSlice port name ('' when unnamed). */
  ports: Record<string, number>;
  ready: boolean;
  zone: string;
  /** Pod labels, for subsets and workload selectors. */
  labels: Record<string, string>;
  serviceAccount: string;
  namespace: string;
  podName?: string;
  /** The pod runs a Skein sidecar (so it terminates mTLS). */
  meshed: boolean;
}

export interface PolicyObject<Spec> {
  name: string;
  namespace: string;
  creationTimestamp?: string;
  spec: Spec;
}

export interface PodModel {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  serviceAccount: string;
  ips: string[];
  meshed: boolean;
  /** Raw `traffic.skein.dev/rateLimit` annotation (parsed, with a warning when invalid, at translation). */
  rateLimit?: string;
}

export interface MeshModel {
  clusterDomain: string;
  trustDomain: string;
  /** Namespace whose selector-less policies apply mesh-wide. */
  rootNamespace: string;
  namespaces: Map<string, Record<string, string>>;
  /** Sorted by namespace then name. */
  services: ServiceModel[];
  /** Key `<namespace>/<name>` of the service. */
  endpoints: Map<string, EndpointModel[]>;
  pods: Map<string, PodModel>;
  virtualServices: PolicyObject<VirtualServiceSpec>[];
  destinationRules: PolicyObject<DestinationRuleSpec>[];
  peerAuthentications: PolicyObject<PeerAuthenticationSpec>[];
  authorizationPolicies: PolicyObject<AuthorizationPolicySpec>[];
}

export function serviceKey(s: Pick<ServiceModel, 'namespace' | 'name'>): string {
  return `${s.namespace}/${s.name}`;
}

/** Istio's `exportTo` semantics: `*` everyone, `.` own namespace, otherwise namespace names. */
export function isVisible(exportTo: readonly string[] | undefined, ownerNamespace: string, viewerNamespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === '*' || (e === '.' ? ownerNamespace === viewerNamespace : e === viewerNamespace));
}
