/**
 * PeerAuthentication → the mTLS mode of each inbound port of a workload. Precedence (Istio's):
 * workload selector in the pod's namespace > namespace-wide > mesh-wide (root namespace); UNSET
 * inherits from the next level; portLevelMtls (workload policies only) overrides per target port.
 * Default: PERMISSIVE.
 */
import { type MeshModel, type PolicyObject } from '../model';
import { selectorMatches } from '../kube';
import { type MtlsMode, type PeerAuthenticationSpec } from '../policy-types';

export type EffectiveMtls = Exclude<MtlsMode, 'UNSET'>;

export interface WorkloadMtls {
  /** Mode for ports without port-level settings. */
  mode: EffectiveMtls;
  /** Overrides per target port. */
  ports: Map<number, EffectiveMtls>;
}

function known(mode: MtlsMode | undefined): EffectiveMtls | undefined {
  return mode && mode !== 'UNSET' ? mode : undefined;
}

export function workloadMtls(model: MeshModel, namespace: string, labels: Record<string, string>): WorkloadMtls {
  const pas = model.peerAuthentications;
  const workload = pas.find((pa) => pa.namespace === namespace && pa.spec.selector?.matchLabels && selectorMatches(pa.spec.selector.matchLabels, labels));
  const nsWide = pas.find((pa) => pa.namespace === namespace && !pa.spec.selector?.matchLabels);
  const mesh = pas.find((pa) => pa.namespace === model.rootNamespace && !pa.spec.selector?.matchLabels);
  const level = (pa: PolicyObject<PeerAuthenticationSpec> | undefined) => known(pa?.spec.mtls?.mode);
  const mode = level(workload) ?? level(nsWide) ?? level(mesh) ?? 'PERMISSIVE';
  const ports = new Map<number, EffectiveMtls>();
  for (const [port, setting] of Object.entries(workload?.spec.portLevelMtls ?? {})) {
    const m = known(setting.mode);
    if (m) ports.set(Number(port), m);
  }
  return { mode, ports };
}

export function portMtls(mtls: WorkloadMtls, port: number): EffectiveMtls {
  return mtls.ports.get(port) ?? mtls.mode;
}
