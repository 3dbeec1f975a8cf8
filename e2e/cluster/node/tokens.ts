/**
 * The kubelet's service-account token manager: a TokenRequest per (pod, service account,
 * audience, lifetime) bound to the pod, cached, and fetched again once the refresh time comes
 * (core/volumes.ts tokenRefreshAt) — the pod worker re-projects the volume then.
 */
import { type KubeApi } from './api';
import { tokenRefreshAt, type TokenSource } from './core/volumes';
import { type Pod } from './core/types';

interface CachedToken {
  token: string;
  expiresAt: number;
  refreshAt: number;
}

interface TokenRequestStatus {
  status?: { token?: string; expirationTimestamp?: string };
}

export class TokenManager {
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    private readonly api: KubeApi,
    private readonly now: () => number = Date.now,
  ) {}

  private key(pod: Pod, source: TokenSource): string {
    return `${pod.metadata?.uid}/${source.audience}/${source.expirationSeconds}`;
  }

  /** The cached token (undefined until `fetch` got one). */
  cached(pod: Pod, source: TokenSource): string | undefined {
    return this.cache.get(this.key(pod, source))?.token;
  }

  /** Gets a token unless the cached one is still fresh; returns the earliest refresh time of the pod's tokens. */
  async fetch(pod: Pod, source: TokenSource): Promise<number> {
    const key = this.key(pod, source);
    const cached = this.cache.get(key);
    if (cached && this.now() < cached.refreshAt) return cached.refreshAt;
    const ns = pod.metadata?.namespace ?? 'default';
    const sa = pod.spec?.serviceAccountName || 'default';
    const reply = await this.api.post<TokenRequestStatus>(`/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(source.audience ? { audiences: [source.audience] } : {}),
        expirationSeconds: source.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
      },
    });
    const token = reply.status?.token;
    const expiresAt = Date.parse(reply.status?.expirationTimestamp ?? '');
    if (!token || Number.isNaN(expiresAt)) throw new Error(`TokenRequest for ${ns}/${sa} returned no token or expiry`);
    const entry = { token, expiresAt, refreshAt: tokenRefreshAt(expiresAt, source.expirationSeconds) };
    this.cache.set(key, entry);
    return entry.refreshAt;
  }

  forget(podUid: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${podUid}/`)) this.cache.delete(key);
  }
}
