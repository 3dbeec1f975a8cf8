/** Authenticator for join tokens minted by `skein ca token` (local mode). */
import { CaTokenAudience } from '../../../api/src/names';
import { CaError } from '../core/errors';
import { type JoinTokenKey, signJoinToken, verifyJoinToken } from '../core/join-token';
import { type Authenticator, type ProvenCaller } from './authenticator';
import { type CryptoKey } from '../core/x509';

export class JoinTokenAuthenticator implements Authenticator {
  readonly name = 'join-token';
  constructor(
    private readonly publicKey: CryptoKey,
    private readonly now: () => Date = () => new Date(),
    private readonly audience: string = CaTokenAudience,
  ) {}

  async authenticate(credential: string): Promise<ProvenCaller> {
    const claims = await verifyJoinToken(credential, this.publicKey, this.now(), this.audience);
    return { namespace: claims.ns, serviceAccount: claims.sa, authenticator: this.name };
  }
}

export const maxJoinTokenTtlMs = 365 * 86_400_000;

/** Mints a join token for ns/sa, valid `ttlMs` from `now` (what `skein ca token` prints). */
export async function mintJoinToken(key: JoinTokenKey, p: { namespace: string; serviceAccount: string; ttlMs: number; now: Date; audience?: string }): Promise<string> {
  if (!(p.ttlMs >= 1000 && p.ttlMs <= maxJoinTokenTtlMs)) throw new CaError('invalid-argument', `join token TTL must be between 1s and 365d, got ${p.ttlMs} ms`);
  const iat = Math.floor(p.now.getTime() / 1000);
  return signJoinToken({ ns: p.namespace, sa: p.serviceAccount, aud: p.audience ?? CaTokenAudience, iat, exp: iat + Math.ceil(p.ttlMs / 1000) }, key.signingKey, key.keyId);
}
