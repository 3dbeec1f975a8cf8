/**
 * Leader election with a coordination.k8s.io/v1 Lease, the protocol client-go uses:
 * - a free Lease (missing, released, or not renewed within leaseDuration as observed by *our* clock
 *   since we last saw it change — no cross-node clock comparison) is taken with an update that carries
 *   the resourceVersion we read; a 409 Conflict means another replica won the race;
 * - the leader renews every retryPeriod; if it cannot renew for renewDeadline it steps down
 *   (before anyone else may take over at leaseDuration);
 * - on shutdown the leader releases the Lease (empty holder) so a successor takes over at once.
 * Every replica serves xDS, the CA and the webhook; only the leader does singleton work.
 */
import { SystemNamespace } from '../../../api/src/names';
import { type KubeApi, isConflict, isNotFound } from './api';
import { LeaseResource, resourcePath } from './resources';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  api: KubeApi;
  /** This replica (the pod name). */
  identity: string;
  name?: string;
  namespace?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  now?: () => Date;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  log?: (line: string) => void;
}

/** client-go's defaults (leaderelection.LeaderElectionConfig, as kube-controller-manager uses them). */
export const LeaseDefaults = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

/** client-go's rule (with its 1.2 jitter factor): leaseDuration > renewDeadline > 1.2 × retryPeriod, all positive. */
export function leaseTimingProblem(t: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number }): string | undefined {
  for (const [name, value] of [['leaseDuration', t.leaseDurationMs], ['renewDeadline', t.renewDeadlineMs], ['retryPeriod', t.retryPeriodMs]] as const) {
    if (!Number.isFinite(value) || value <= 0) return `${name} must be a positive duration, got ${value} ms`;
  }
  if (!(t.renewDeadlineMs < t.leaseDurationMs)) return `renewDeadline (${t.renewDeadlineMs} ms) must be shorter than leaseDuration (${t.leaseDurationMs} ms)`;
  if (!(t.renewDeadlineMs > 1.2 * t.retryPeriodMs)) return `renewDeadline (${t.renewDeadlineMs} ms) must be longer than 1.2 × retryPeriod (${t.retryPeriodMs} ms)`;
  return undefined;
}

/** What to do with the Lease we just read. Pure: the observation time is passed in. */
export function leaseAction(lease: Lease | undefined, identity: string, nowMs: number, observedChangeAtMs: number, leaseDurationMs: number): 'create' | 'renew' | 'take' | 'wait' {
  if (!lease) return 'create';
  const holder = lease.spec?.holderIdentity ?? '';
  if (holder === identity) return 'renew';
  if (holder === '') return 'take';
  const duration = (lease.spec?.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
  return nowMs - observedChangeAtMs >= duration ? 'take' : 'wait';
}

export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastRenewMs = 0;
  private observed: { resourceVersion?: string; atMs: number } | undefined;
  private cycle: Promise<void> | undefined;
  private readonly o: Required<Pick<LeaderElectionOptions, 'name' | 'namespace' | 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs' | 'now'>> & LeaderElectionOptions;

  constructor(options: LeaderElectionOptions) {
    // `??` per field, not a spread: an option passed as `undefined` (an unset flag) keeps its default.
    this.o = {
      ...options,
      name: options.name ?? 'skein-controlplane',
      namespace: options.namespace ?? SystemNamespace,
      leaseDurationMs: options.leaseDurationMs ?? LeaseDefaults.leaseDurationMs,
      renewDeadlineMs: options.renewDeadlineMs ?? LeaseDefaults.renewDeadlineMs,
      retryPeriodMs: options.retryPeriodMs ?? LeaseDefaults.retryPeriodMs,
      now: options.now ?? (() => new Date()),
    };
    const problem = leaseTimingProblem(this.o);
    if (problem) throw new Error(problem);
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.schedule(0);
  }

  /** Stops campaigning; a leader releases the Lease so that another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.cycle;
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.o.api.get<Lease>(this.path());
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      await this.o.api.replace(this.path(), { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: this.o.now().toISOString() } });
    } catch (err) {
      this.o.log?.(`leader election: release failed: ${(err as Error).message}`);
    }
  }

  /** One acquire/renew attempt (what the timer runs). */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.o.now();
    let lease: Lease | undefined;
    try {
      lease = await this.o.api.get<Lease>(this.path());
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (lease && lease.metadata.resourceVersion !== this.observed?.resourceVersion) {
      this.observed = { resourceVersion: lease.metadata.resourceVersion, atMs: now.getTime() };
    }
    const action = leaseAction(lease, this.o.identity, now.getTime(), this.observed?.atMs ?? now.getTime(), this.o.leaseDurationMs);
    if (action === 'wait') return false;
    const spec: LeaseSpec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      renewTime: now.toISOString(),
      acquireTime: action === 'renew' ? (lease?.spec?.acquireTime ?? now.toISOString()) : now.toISOString(),
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (action === 'take' ? 1 : 0),
    };
    try {
      const written = action === 'create'
        ? await this.o.api.create<Lease>(resourcePath(LeaseResource, this.o.namespace), { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec })
        : await this.o.api.replace<Lease>(this.path(), { ...lease, spec });
      this.observed = { resourceVersion: written.metadata.resourceVersion, atMs: now.getTime() };
      return true;
    } catch (err) {
      if (isConflict(err) || (err as { status?: number }).status === 409) return false; // someone else wrote first
      throw err;
    }
  }

  private path(): string {
    return resourcePath(LeaseResource, this.o.namespace, this.o.name);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.cycle = this.runCycle().finally(() => (this.cycle = undefined));
    }, ms);
  }

  private async runCycle(): Promise<void> {
    let held = false;
    try {
      held = await this.tryAcquireOrRenew();
    } catch (err) {
      this.o.log?.(`leader election: ${(err as Error).message}`);
    }
    if (this.stopped) return;
    const nowMs = this.o.now().getTime();
    if (held) {
      this.lastRenewMs = nowMs;
      if (!this.leading) this.setLeading(true);
    } else if (this.leading && (nowMs - this.lastRenewMs >= this.o.renewDeadlineMs || !(await this.stillHolder()))) {
      this.setLeading(false);
    }
    this.schedule(this.o.retryPeriodMs);
  }

  /** After a failed renew: whether the Lease still names us (a 409 on renew may mean we lost it). */
  private async stillHolder(): Promise<boolean> {
    try {
      return (await this.o.api.get<Lease>(this.path())).spec?.holderIdentity === this.o.identity;
    } catch {
      return true; // cannot tell: keep leading until renewDeadline
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.o.log?.(`leader election: ${this.o.identity} ${leading ? 'is now the leader' : 'stopped leading'}`);
    if (leading) this.o.onStartedLeading?.();
    else this.o.onStoppedLeading?.();
  }
}
