/**
 * Probes as the kubelet runs them (pkg/kubelet/prober): defaults (period 10 s, timeout 1 s,
 * success 1, failure 3), named ports resolved against the container's ports, and the result
 * bookkeeping of a probe worker — a result changes only after `successThreshold` /
 * `failureThreshold` consecutive outcomes; readiness starts as failure, liveness as success,
 * startup as unknown; a failed liveness or startup probe holds until the container restarts.
 */
import { type Container, type Probe } from './types';

export type ProbeKind = 'startup' | 'readiness' | 'liveness';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export type ProbeAction =
  | { type: 'http'; scheme: 'HTTP' | 'HTTPS'; host: string | undefined; port: number; path: string; headers: [string, string][] }
  | { type: 'tcp'; host: string | undefined; port: number }
  | { type: 'exec'; command: string[] }
  | { type: 'grpc'; port: number; service: string };

export interface ProbePlan {
  kind: ProbeKind;
  action: ProbeAction;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  /** Probe-level grace for a liveness/startup kill (else the pod's). */
  terminationGracePeriodSeconds: number | undefined;
}

export const ProbeDefaults = { periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, initialDelaySeconds: 0 } as const;

/** The User-Agent of HTTP probes: `kube-probe/<major>.<minor>`. */
export const ProbeUserAgent = 'kube-probe/1.31';

export class ProbeSpecError extends Error {
  override name = 'ProbeSpecError';
}

function resolvePort(container: Container, port: number | string | undefined, what: string): number {
  if (typeof port === 'number') return port;
  if (port === undefined) throw new ProbeSpecError(`${what}: port is required`);
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new ProbeSpecError(`${what}: container ${container.name} has no port named "${port}"`);
  return named.containerPort;
}

export function probePlan(kind: ProbeKind, probe: Probe, container: Container): ProbePlan {
  const what = `${kind} probe of ${container.name}`;
  let action: ProbeAction;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const path = g.path ?? '/';
    action = {
      type: 'http',
      scheme: (g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? 'HTTPS' : 'HTTP',
      host: g.host || undefined,
      port: resolvePort(container, g.port, what),
      path: path.startsWith('/') ? path : `/${path}`,
      headers: (g.httpHeaders ?? []).map((h) => [h.name, h.value]),
    };
  } else if (probe.tcpSocket) {
    action = { type: 'tcp', host: probe.tcpSocket.host || undefined, port: resolvePort(container, probe.tcpSocket.port, what) };
  } else if (probe.exec) {
    action = { type: 'exec', command: [...(probe.exec.command ?? [])] };
    if (action.command.length === 0) throw new ProbeSpecError(`${what}: exec.command is empty`);
  } else if (probe.grpc) {
    action = { type: 'grpc', port: probe.grpc.port, service: probe.grpc.service ?? '' };
  } else {
    throw new ProbeSpecError(`${what}: no handler (httpGet, tcpSocket, exec or grpc)`);
  }
  const plan: ProbePlan = {
    kind,
    action,
    initialDelaySeconds: probe.initialDelaySeconds ?? ProbeDefaults.initialDelaySeconds,
    periodSeconds: probe.periodSeconds ?? ProbeDefaults.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds ?? ProbeDefaults.timeoutSeconds,
    successThreshold: probe.successThreshold ?? ProbeDefaults.successThreshold,
    failureThreshold: probe.failureThreshold ?? ProbeDefaults.failureThreshold,
    terminationGracePeriodSeconds: probe.terminationGracePeriodSeconds,
  };
  if (kind !== 'readiness' && plan.successThreshold !== 1) throw new ProbeSpecError(`${what}: successThreshold must be 1`);
  return plan;
}

/** The initial result of a probe of this kind, before it has run. */
export function initialResult(kind: ProbeKind): ProbeResult {
  return kind === 'readiness' ? 'failure' : kind === 'liveness' ? 'success' : 'unknown';
}

/** One probe worker's result: thresholds and hold, as pkg/kubelet/prober/worker.go. */
export class ProbeTracker {
  result: ProbeResult;
  /** A liveness/startup failure was reported: no more probing until the container restarts. */
  onHold = false;
  private lastOutcome: ProbeResult = 'unknown';
  private run = 0;

  constructor(readonly plan: Pick<ProbePlan, 'kind' | 'successThreshold' | 'failureThreshold'>) {
    this.result = initialResult(plan.kind);
  }

  /** Records one outcome; returns true when the reported result changed. */
  record(success: boolean): boolean {
    const outcome: ProbeResult = success ? 'success' : 'failure';
    if (outcome === this.lastOutcome) this.run++;
    else {
      this.lastOutcome = outcome;
      this.run = 1;
    }
    if ((outcome === 'failure' && this.run < this.plan.failureThreshold) || (outcome === 'success' && this.run < this.plan.successThreshold)) return false;
    const changed = this.result !== outcome;
    this.result = outcome;
    if (this.plan.kind !== 'readiness' && outcome === 'failure') {
      this.onHold = true;
      this.run = 0;
    }
    return changed;
  }
}
