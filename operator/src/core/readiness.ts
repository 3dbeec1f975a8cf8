/**
 * Is an installation ready, and healthy? The rules `skein install` waits on and `skein check`
 * reports, as pure functions of the objects and answers the verbs fetched (and the time, passed in):
 * one place for each rule, so that install's "ready" and check's ✓ cannot disagree.
 */
import { formatDuration } from '../../../api/src/duration';

/** Oldest Kubernetes Skein supports: the webhook's namespaceSelector uses the `kubernetes.io/metadata.name` label (GA in 1.22). */
export const minimumKubernetes = { major: 1, minor: 22 } as const;
/** Native sidecars (restartPolicy Always init containers) are on by default from 1.29. */
export const nativeSidecarKubernetes = { major: 1, minor: 29 } as const;

/** A rule's verdict: done/ok, and a short detail for the progress line or the check line. */
export interface Progress {
  ok: boolean;
  detail: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface ObjectLike {
  metadata?: { name?: string; generation?: number };
  status?: Record<string, unknown>;
  spec?: Record<string, unknown>;
}

function condition(obj: ObjectLike | undefined, type: string): Condition | undefined {
  return ((obj?.status?.conditions ?? []) as Condition[]).find((c) => c.type === type);
}

export function kubernetesVersionSupported(version: { major: number; minor: number; gitVersion: string }): Progress {
  const atLeast = (min: { major: number; minor: number }) => version.major > min.major || (version.major === min.major && version.minor >= min.minor);
  if (!atLeast(minimumKubernetes)) {
    return { ok: false, detail: `Kubernetes ${version.gitVersion} is older than ${minimumKubernetes.major}.${minimumKubernetes.minor}, the oldest Skein supports` };
  }
  return { ok: true, detail: `Kubernetes ${version.gitVersion} (native sidecars: ${atLeast(nativeSidecarKubernetes) ? 'yes' : 'no, before 1.29'})` };
}

/** CRDs by name → established? `crds` holds what the API server returned (undefined: not found). */
export function crdsEstablished(crds: ReadonlyMap<string, ObjectLike | undefined>): Progress {
  const missing = [...crds].filter(([, o]) => o === undefined).map(([n]) => n);
  const pending = [...crds].filter(([, o]) => o !== undefined && condition(o, 'Established')?.status !== 'True').map(([n]) => n);
  const ready = crds.size - missing.length - pending.length;
  if (missing.length) return { ok: false, detail: `${ready}/${crds.size} established; missing: ${missing.join(', ')}` };
  if (pending.length) return { ok: false, detail: `${ready}/${crds.size} established; waiting for ${pending.join(', ')}` };
  return { ok: true, detail: `${ready}/${crds.size} established` };
}

/** The control plane Deployment rolled out and available, as `kubectl rollout status` decides. */
export function deploymentAvailable(deployment: ObjectLike | undefined): Progress {
  if (!deployment) return { ok: false, detail: 'Deployment not found' };
  const wanted = Number(deployment.spec?.replicas ?? 1);
  const s = deployment.status ?? {};
  const available = Number(s.availableReplicas ?? 0);
  const updated = Number(s.updatedReplicas ?? 0);
  const observed = Number(s.observedGeneration ?? 0);
  const detail = `${available}/${wanted} replicas available`;
  if (observed < (deployment.metadata?.generation ?? 0)) return { ok: false, detail: `${detail}; rollout not observed yet` };
  if (updated < wanted) return { ok: false, detail: `${detail}; ${updated}/${wanted} updated` };
  if (available < wanted) {
    const why = condition(deployment, 'Available');
    return { ok: false, detail: why?.status === 'False' && why.message ? `${detail}: ${why.message}` : detail };
  }
  return { ok: true, detail };
}

/** A DaemonSet (the CNI agent with `cni.enabled`) has an updated, ready pod on every node it is scheduled to. */
export function daemonSetReady(daemonSet: ObjectLike | undefined): Progress {
  if (!daemonSet) return { ok: false, detail: 'DaemonSet not found' };
  const s = daemonSet.status ?? {};
  const desired = Number(s.desiredNumberScheduled ?? 0);
  const ready = Number(s.numberReady ?? 0);
  const updated = Number(s.updatedNumberScheduled ?? 0);
  const detail = `${ready}/${desired} nodes ready`;
  if (Number(s.observedGeneration ?? 0) < (daemonSet.metadata?.generation ?? 0)) return { ok: false, detail: `${detail}; rollout not observed yet` };
  if (updated < desired) return { ok: false, detail: `${detail}; ${updated}/${desired} updated` };
  return { ok: ready >= desired, detail };
}

interface WebhookConfiguration {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

/** Every webhook of the configuration carries a caBundle (the control plane's leader writes it). */
export function webhookCaBundleSet(config: WebhookConfiguration | undefined): Progress {
  if (!config) return { ok: false, detail: 'MutatingWebhookConfiguration not found' };
  const hooks = config.webhooks ?? [];
  const set = hooks.filter((w) => (w.clientConfig?.caBundle ?? '') !== '');
  const detail = `caBundle on ${set.length}/${hooks.length} webhooks`;
  return { ok: hooks.length > 0 && set.length === hooks.length, detail };
}

/** A certificate's remaining life against a threshold. */
export function certificateFresh(what: string, notAfter: Date, now: Date, minimumMs: number): Progress {
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0) return { ok: false, detail: `${what} expired ${formatAge(-left)} ago (${notAfter.toISOString()})` };
  const detail = `${what} valid for ${formatAge(left)} (until ${notAfter.toISOString()})`;
  return { ok: left >= minimumMs, detail };
}

/** `3d4h`, `5h12m`, `42m30s`, `30s`: the two largest units (api's formatDuration, truncated). */
export function formatAge(ms: number): string {
  const units = [86_400_000, 3_600_000, 60_000, 1000];
  const i = units.findIndex((u) => ms >= u);
  if (i < 0) return '0s';
  const keep = units[Math.min(i + 1, units.length - 1)]!;
  return formatDuration(Math.floor(ms / keep) * keep);
}

/**
 * A workload certificate the CA issued at `issuedAt`: proxies renew at half-life (with jitter), so
 * one with less than a quarter of its life left missed its rotation; expired is worse.
 */
export function workloadCertificateFresh(what: string, issuedAt: Date, notAfter: Date, now: Date): Progress {
  const lifetime = notAfter.getTime() - issuedAt.getTime();
  return certificateFresh(what, notAfter, now, Math.max(0, lifetime / 4));
}

/** Roots (the trust bundle) should outlive a planned rotation: warn 30 days ahead. */
export const rootCertificateMinimumMs = 30 * 86_400_000;
