/**
 * Traffic mirroring decisions (pure), Envoy request_mirror_policies: which mirror clusters get a
 * copy of this request (each policy independently, by its percentage), and the authority the
 * copy carries — the host with `-shadow` appended before any port, so the mirror's app (and its
 * logs) can tell shadow traffic apart.
 */
import type { MirrorPolicy } from '../../config/model';

export function mirrorTargets(policies: readonly MirrorPolicy[] | undefined, random: () => number): string[] {
  if (!policies) return [];
  return policies.filter((p) => random() * 100 < (p.percent ?? 100)).map((p) => p.cluster);
}

export function shadowAuthority(authority: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(authority);
  if (!m) return `${authority}-shadow`;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}
