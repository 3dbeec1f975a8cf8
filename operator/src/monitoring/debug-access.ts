/**
 * Who may read the control plane's debug endpoints (`/debug/*` on :15014): every proxy's
 * configuration and sync state, the whole mesh model. As istiod does for its debug endpoints
 * (ENABLE_DEBUG_ENDPOINT_AUTH):
 * - a request from loopback is allowed — `kubectl port-forward` reaches the pod's loopback, which is
 *   how `skein proxy-status` and people get there;
 * - anything else needs `authorization: Bearer <token>` that the CA's authenticators accept (a
 *   service-account token with audience skein-ca on Kubernetes, a join token in local mode) for an
 *   identity in an allowed namespace (default: the control plane's own);
 * - otherwise 401 (no or bad credential) or 403 (an identity from another namespace).
 * `/metrics`, `/healthz` and `/readyz` are not debug endpoints: probes and Prometheus need no token.
 */
import { type IncomingMessage } from 'node:http';
import { type Authenticator, bearerToken } from '../../../ca/src/auth/authenticator';
import { isCaError } from '../../../ca/src/core/errors';

export type DebugVerdict = { allowed: true; who: string } | { allowed: false; status: 401 | 403 | 503; message: string };

export interface DebugAccessOptions {
  /** Checks bearer tokens; without it only loopback is allowed. */
  authenticator?: Authenticator;
  /** Namespaces whose identities may read debug data remotely. */
  namespaces: readonly string[];
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4 === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

export type DebugAccess = (req: IncomingMessage) => Promise<DebugVerdict>;

export function debugAccess(options: DebugAccessOptions): DebugAccess {
  return async (req) => {
    if (isLoopback(req.socket.remoteAddress)) return { allowed: true, who: 'loopback' };
    const header = req.headers.authorization;
    if (!options.authenticator) return { allowed: false, status: 401, message: 'debug endpoints answer only on loopback here (kubectl port-forward, or curl inside the pod)' };
    if (header === undefined) return { allowed: false, status: 401, message: 'debug endpoints need loopback (kubectl port-forward) or "authorization: Bearer <token>" for an identity of an allowed namespace' };
    try {
      const caller = await options.authenticator.authenticate(bearerToken(header));
      const who = `${caller.namespace}/${caller.serviceAccount}`;
      if (!options.namespaces.includes(caller.namespace)) {
        return { allowed: false, status: 403, message: `${who} may not read debug endpoints (allowed namespaces: ${options.namespaces.join(', ')})` };
      }
      return { allowed: true, who };
    } catch (err) {
      if (isCaError(err, 'unavailable')) return { allowed: false, status: 503, message: 'cannot check the token right now; retry' };
      return { allowed: false, status: 401, message: 'token not accepted' };
    }
  };
}
