/**
 * Authenticators prove who is calling the CA from the credential in `authorization: Bearer …`.
 * They return the proven workload or throw CaError: 'unauthenticated' for a bad credential,
 * 'unavailable' when the authority that could check it (e.g. the Kubernetes API) is unreachable.
 */
import { CaError, isCaError } from '../core/errors';
import { type ProvenIdentity } from '../core/issuer';

export interface ProvenCaller extends ProvenIdentity {
  /** Which authenticator proved it (for logs and metrics). */
  authenticator: string;
  podName?: string;
}

export interface Authenticator {
  readonly name: string;
  authenticate(credential: string): Promise<ProvenCaller>;
}

/**
 * Tries each authenticator in order and returns the first success. If none succeeds the error is
 * 'unavailable' when any of them could not reach its backend (the credential might be fine: the
 * caller should retry), otherwise 'unauthenticated' with every reason.
 */
export class FirstSuccessAuthenticator implements Authenticator {
  readonly name = 'any';
  constructor(private readonly authenticators: readonly Authenticator[]) {
    if (authenticators.length === 0) throw new Error('at least one authenticator is required');
  }

  async authenticate(credential: string): Promise<ProvenCaller> {
    const reasons: string[] = [];
    let unavailable = false;
    for (const a of this.authenticators) {
      try {
        return await a.authenticate(credential);
      } catch (err) {
        if (!isCaError(err, 'unauthenticated')) unavailable = true;
        reasons.push(`${a.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    throw new CaError(unavailable ? 'unavailable' : 'unauthenticated', `credential not accepted (${reasons.join('; ')})`);
  }
}

/** Extracts the token from an `authorization` header value (`Bearer <token>`). */
export function bearerToken(header: string | undefined): string {
  const m = header === undefined ? null : /^Bearer +([^\s]+)\s*$/i.exec(header);
  if (!m) throw new CaError('unauthenticated', 'missing credential: send metadata "authorization: Bearer <token>"');
  return m[1]!;
}
