/**
 * Service-account tokens as kube-apiserver issues and checks them: ES256 JWTs from the issuer
 * `https://kubernetes.default.svc.<domain>` with the `kubernetes.io` private claims (namespace,
 * serviceaccount, bound pod or secret, node, warnafter), checked for signature, issuer, expiry with
 * go-jose's one-minute leeway, audience against the requested audiences, and the bound objects
 * still existing (pkg/serviceaccount/claims.go). The signing key stays in this process.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: ObjectRef;
    pod?: ObjectRef;
    secret?: ObjectRef;
    node?: ObjectRef;
    warnafter?: number;
  };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export class TokenSigner {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(readonly issuer: string) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    this.publicKey = createPublicKey(this.privateKey);
    this.keyId = randomUUID();
  }

  /** The public key in JWKS form (what /openid/v1/jwks serves). */
  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.keyId, use: 'sig', alg: 'ES256' }] };
  }

  sign(claims: TokenClaims): string {
    const header = b64url(JSON.stringify({ alg: 'ES256', kid: this.keyId }));
    const payload = b64url(JSON.stringify(claims));
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${b64url(signature)}`;
  }

  /**
   * The claims of a token this signer made, or why not. `undefined`: not a JWT of this issuer at
   * all (another authenticator's business, as kube-apiserver's union of authenticators treats it).
   */
  read(token: string): { claims: TokenClaims } | { error: string } | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    let header: { alg?: string; kid?: string };
    let claims: TokenClaims;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    if (claims.iss !== this.issuer) return undefined;
    if (header.alg !== 'ES256') return { error: 'square/go-jose: error in cryptographic primitive' };
    const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: this.publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) return { error: 'square/go-jose: error in cryptographic primitive' };
    return { claims };
  }
}

/** go-jose's jwt.DefaultLeeway. */
export const leewaySeconds = 60;

/** The time checks of claims.go: expired / not valid yet, with the leeway. */
export function timeProblem(claims: TokenClaims, nowSeconds: number): string | undefined {
  if (nowSeconds - leewaySeconds > claims.exp) return 'service account token has expired';
  if (nowSeconds + leewaySeconds < claims.nbf) return 'service account token is not valid yet';
  return undefined;
}

/** `token audiences ["a"] is invalid for the target audiences ["b"]` (Go's %q of a string slice). */
export function audienceProblem(tokenAudiences: readonly string[], requested: readonly string[]): { audiences: string[] } | { error: string } {
  const audiences = tokenAudiences.filter((a) => requested.includes(a));
  if (audiences.length) return { audiences };
  const q = (list: readonly string[]) => `[${list.map((a) => JSON.stringify(a)).join(' ')}]`;
  return { error: `token audiences ${q(tokenAudiences)} is invalid for the target audiences ${q(requested)}` };
}
