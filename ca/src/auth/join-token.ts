/** Authenticator for join tokens minted by `skein ca token` (local mode). */
import { CaTokenAudience } from '../../../api/src/names';
import { verifyJoinToken } from '../core/join-token';
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
