/**
 * Bearer-token authentication of the simulated API server: static tokens (the admin token for
 * tests and kubectl-like clients, per-node tokens for the simulated kubelet) and the
 * service-account tokens it issued (TokenRequest), checked as kube-apiserver's service-account
 * authenticator does: signature and issuer, expiry, audience against the API server's audiences
 * (or those a TokenReview asks for), the service account and the bound pod/secret still existing
 * with the same uid. Also the TokenReview status and the TokenRequest answer built on it.
 */
import { randomUUID } from 'node:crypto';
import { type KubeObject, timestamp } from '../core/json';
import { type UserInfo } from '../core/rbac';
import { audienceProblem, leewaySeconds, timeProblem, type TokenClaims, type TokenSigner } from './tokens';

export interface ObjectLookup {
  get(resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes', namespace: string | undefined, name: string): Readonly<KubeObject> | undefined;
}

export interface TokenReviewStatus {
  authenticated?: boolean;
  user?: UserInfo | Record<string, never>;
  audiences?: string[];
  error?: string;
}

export const PodNameExtra = 'authentication.kubernetes.io/pod-name';
export const PodUidExtra = 'authentication.kubernetes.io/pod-uid';
export const NodeNameExtra = 'authentication.kubernetes.io/node-name';
export const NodeUidExtra = 'authentication.kubernetes.io/node-uid';
export const CredentialIdExtra = 'authentication.kubernetes.io/credential-id';

/** The expiry the kubelet asks for kube-api-access volumes; such tokens are extended to a year (--service-account-extend-token-expiration). */
export const WarnOnlyBoundTokenExpirationSeconds = 3607;
const ExpirationExtensionSeconds = 365 * 24 * 3600;

export class Authenticator {
  private readonly staticTokens = new Map<string, UserInfo>();

  constructor(
    private readonly signer: TokenSigner,
    private readonly objects: ObjectLookup,
    private readonly now: () => Date,
    /** What the API server accepts for itself (`--api-audiences`, default the issuer). */
    readonly apiAudiences: readonly string[],
  ) {}

  addStaticToken(token: string, user: UserInfo): void {
    this.staticTokens.set(token, { ...user, groups: [...new Set([...user.groups, 'system:authenticated'])] });
  }

  /** The user a request's bearer token proves, or undefined (401). */
  authenticate(token: string | undefined): UserInfo | undefined {
    if (!token) return undefined;
    const fixed = this.staticTokens.get(token);
    if (fixed) return fixed;
    const status = this.review(token, [...this.apiAudiences]);
    return status.authenticated ? (status.user as UserInfo) : undefined;
  }

  /** The TokenReview answer for `token` and the audiences asked for (empty: the API server's own). */
  review(token: string, audiences: readonly string[] | undefined): TokenReviewStatus {
    const requested = audiences && audiences.length ? [...audiences] : [...this.apiAudiences];
    const fixed = this.staticTokens.get(token);
    if (fixed) {
      // Static tokens are audience-agnostic: they count for the API server's audiences only.
      const aud = audienceProblem([...this.apiAudiences], requested);
      if ('error' in aud) return { authenticated: false, user: {}, error: `[invalid bearer token, ${aud.error}]` };
      return { authenticated: true, user: fixed, audiences: aud.audiences };
    }
    const read = this.signer.read(token);
    if (!read) return { user: {} };
    if ('error' in read) return { authenticated: false, user: {}, error: `[invalid bearer token, ${read.error}]` };
    const problem = this.claimsProblem(read.claims, requested);
    if ('error' in problem) return { authenticated: false, user: {}, error: `[invalid bearer token, ${problem.error}]` };
    return { authenticated: true, user: this.userOf(read.claims), audiences: problem.audiences };
  }

  private claimsProblem(claims: TokenClaims, requested: readonly string[]): { audiences: string[] } | { error: string } {
    const aud = audienceProblem(claims.aud, requested);
    if ('error' in aud) return aud;
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    const time = timeProblem(claims, nowSeconds);
    if (time) return { error: time };
    const k = claims['kubernetes.io'];
    const invalidIfDeletedBefore = (nowSeconds - leewaySeconds) * 1000;
    const deletedBefore = (o: Readonly<KubeObject>) => o.metadata.deletionTimestamp !== undefined && Date.parse(o.metadata.deletionTimestamp) < invalidIfDeletedBefore;
    const sa = this.objects.get('serviceaccounts', k.namespace, k.serviceaccount.name);
    if (!sa) return { error: `serviceaccounts "${k.serviceaccount.name}" not found` };
    if (deletedBefore(sa)) return { error: `service account ${k.namespace}/${k.serviceaccount.name} has been deleted` };
    if (sa.metadata.uid !== k.serviceaccount.uid) return { error: `service account UID (${sa.metadata.uid}) does not match claim (${k.serviceaccount.uid})` };
    if (k.secret) {
      const secret = this.objects.get('secrets', k.namespace, k.secret.name);
      if (!secret || deletedBefore(secret)) return { error: 'service account token has been invalidated' };
      if (secret.metadata.uid !== k.secret.uid) return { error: `secret UID (${secret.metadata.uid}) does not match service account secret ref claim (${k.secret.uid})` };
    }
    if (k.pod) {
      const pod = this.objects.get('pods', k.namespace, k.pod.name);
      if (!pod || deletedBefore(pod)) return { error: 'service account token has been invalidated' };
      if (pod.metadata.uid !== k.pod.uid) return { error: `pod UID (${pod.metadata.uid}) does not match service account pod ref claim (${k.pod.uid})` };
    }
    return aud;
  }

  private userOf(claims: TokenClaims): UserInfo {
    const k = claims['kubernetes.io'];
    const extra: Record<string, string[]> = { [CredentialIdExtra]: [`JTI=${claims.jti}`] };
    if (k.node) {
      extra[NodeNameExtra] = [k.node.name];
      extra[NodeUidExtra] = [k.node.uid];
    }
    if (k.pod) {
      extra[PodNameExtra] = [k.pod.name];
      extra[PodUidExtra] = [k.pod.uid];
    }
    return {
      username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`, uid: k.serviceaccount.uid,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'], extra,
    };
  }

  /**
   * A token for the service account (TokenRequest): audiences (default: the API server's),
   * expirationSeconds, bound to a pod (with its node) or a secret. Returns the token and expiry.
   */
  issue(p: {
    serviceAccount: Readonly<KubeObject>;
    audiences?: readonly string[];
    expirationSeconds: number;
    pod?: Readonly<KubeObject>;
    secret?: Readonly<KubeObject>;
  }): { token: string; expirationTimestamp: string } {
    const now = Math.floor(this.now().getTime() / 1000);
    let lifetime = p.expirationSeconds;
    let warnafter: number | undefined;
    if (p.pod && lifetime === WarnOnlyBoundTokenExpirationSeconds) {
      warnafter = now + lifetime;
      lifetime = ExpirationExtensionSeconds;
    }
    const ns = p.serviceAccount.metadata.namespace!;
    const nodeName = p.pod && typeof (p.pod.spec as { nodeName?: unknown } | undefined)?.nodeName === 'string' ? (p.pod.spec as { nodeName: string }).nodeName : undefined;
    const node = nodeName ? this.objects.get('nodes', undefined, nodeName) : undefined;
    const claims: TokenClaims = {
      iss: this.signer.issuer, sub: `system:serviceaccount:${ns}:${p.serviceAccount.metadata.name}`,
      aud: [...(p.audiences && p.audiences.length ? p.audiences : this.apiAudiences)], exp: now + lifetime, iat: now, nbf: now, jti: randomUUID(),
      'kubernetes.io': {
        namespace: ns, serviceaccount: { name: p.serviceAccount.metadata.name!, uid: p.serviceAccount.metadata.uid! },
        ...(p.pod ? { pod: { name: p.pod.metadata.name!, uid: p.pod.metadata.uid! } } : {}),
        ...(p.secret ? { secret: { name: p.secret.metadata.name!, uid: p.secret.metadata.uid! } } : {}),
        ...(node ? { node: { name: node.metadata.name!, uid: node.metadata.uid! } } : {}),
        ...(warnafter ? { warnafter } : {}),
      },
    };
    return { token: this.signer.sign(claims), expirationTimestamp: timestamp(new Date((now + p.expirationSeconds) * 1000)) };
  }
}
