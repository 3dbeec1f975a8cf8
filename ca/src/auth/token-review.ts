/**
 * Kubernetes authenticator: the proxy presents its projected service-account token (audience
 * `skein-ca`); the API server's TokenReview says whose it is. The Kubernetes client lives behind
 * `TokenReviewer` (the @kubernetes/client-node adapter is wired under operator/src/kube); this
 * module holds the rules: authenticated, audience bound to skein-ca, and the username is a service
 * account `system:serviceaccount:<ns>:<sa>` (users and nodes are refused).
 */
import { CaTokenAudience } from '../../../api/src/names';
import { spiffeId } from '../../../api/src/spiffe';
import { CaError } from '../core/errors';
import { type Authenticator, type ProvenCaller } from './authenticator';

export interface TokenReviewResult {
  authenticated: boolean;
  username?: string;
  /** Audiences the API server confirmed for this token (status.audiences). */
  audiences?: string[];
  /** From status.user.extra["authentication.kubernetes.io/pod-name"] for bound tokens. */
  podName?: string;
  /** status.error, when the API server gives one. */
  error?: string;
}

export interface TokenReviewer {
  /** Creates a TokenReview; rejects only when the API server cannot be asked (network, RBAC). */
  review(token: string, audiences: string[]): Promise<TokenReviewResult>;
}

const serviceAccountUser = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The workload a TokenReview result proves, or CaError('unauthenticated') saying why not. */
export function identityFromReview(result: TokenReviewResult, audience: string): Omit<ProvenCaller, 'authenticator'> {
  if (!result.authenticated) throw new CaError('unauthenticated', `service account token rejected by the API server${result.error ? `: ${result.error}` : ''}`);
  if (!result.audiences?.includes(audience)) {
    throw new CaError('unauthenticated', `service account token is not bound to audience "${audience}" (got ${JSON.stringify(result.audiences ?? [])}); use a projected token with audience ${audience}`);
  }
  const m = serviceAccountUser.exec(result.username ?? '');
  if (!m) throw new CaError('unauthenticated', `"${result.username ?? ''}" is not a service account`);
  try {
    spiffeId('x', m[1]!, m[2]!);
  } catch (err) {
    throw new CaError('unauthenticated', `service account name not usable in a SPIFFE id: ${(err as Error).message}`);
  }
  return { namespace: m[1]!, serviceAccount: m[2]!, ...(result.podName ? { podName: result.podName } : {}) };
}

export class TokenReviewAuthenticator implements Authenticator {
  readonly name = 'token-review';
  constructor(
    private readonly reviewer: TokenReviewer,
    private readonly audience: string = CaTokenAudience,
  ) {}

  async authenticate(credential: string): Promise<ProvenCaller> {
    let result: TokenReviewResult;
    try {
      result = await this.reviewer.review(credential, [this.audience]);
    } catch (err) {
      throw new CaError('unavailable', `TokenReview failed: ${(err as Error).message}`);
    }
    return { ...identityFromReview(result, this.audience), authenticator: this.name };
  }
}
