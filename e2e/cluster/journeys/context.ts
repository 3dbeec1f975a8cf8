/**
 * What every journey step gets: the backend, the kubectl-like client, what install applied, and
 * the names the journeys share (namespaces, workloads). One cluster serves the journeys of a file
 * in order; each step leaves the mesh as the next one expects it (documented per step).
 */
import { type ClusterBackend } from '../backend';
import { Kube, type Obj } from './kube';

export interface JourneyOptions {
  /** CNI mode: `skein install --set cni.enabled=true`, pods injected with skein-validation. */
  cni: boolean;
}

export interface Journey {
  readonly backend: ClusterBackend;
  readonly kube: Kube;
  readonly options: JourneyOptions;
  /** What install applied, in order (uninstall removes it). */
  installed: Obj[];
  /** Wall time of each step, for the report. */
  readonly timings: Map<string, number>;
}

export function newJourney(backend: ClusterBackend, options: JourneyOptions): Journey {
  return { backend, kube: new Kube(backend.kubeconfigPath), options, installed: [], timings: new Map() };
}

/** Namespaces and names the journeys share. */
export const Names = {
  meshed: 'shop',
  unmeshed: 'legacy',
  system: 'skein-system',
  controlPlane: 'skein-controlplane',
  webhook: 'skein-sidecar-injector',
  echo: 'echo',
  client: 'client',
} as const;

/** Bounds of the waits (a loaded 2-core CI machine; a real cluster pulls images). */
export const Bounds = {
  install: 240_000,
  podReady: 180_000,
  policy: 60_000,
  request: 60_000,
} as const;
