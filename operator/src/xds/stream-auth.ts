/**
 * The one gate of an xDS stream (state of the world today, delta later: both call
 * `authorizeStream` with the stream's first node): who is calling — from the listener the stream
 * came in on — and whether that caller may be that node (operator/src/core/proxy-identity.ts).
 * Refusals are gRPC statuses: UNAUTHENTICATED without a verified workload certificate,
 * PERMISSION_DENIED when the certificate does not match the node.
 */
import * as grpc from '@grpc/grpc-js';
import { type ClientCertificateAuthenticator } from '../../../ca/src/auth/client-certificate';
import { isCaError } from '../../../ca/src/core/errors';
import { type AuthorizedNode, ProxyAuthError, type StreamCaller } from '../core/proxy-identity';
import { type ProxyNode } from '../core/node-id';

/** What every grpc-js server call offers: the peer certificate TLS verified, if any. */
export interface AuthenticatedCall {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } };
}

/** How a listener proves its callers. */
export type CallerAuthenticator = (call: AuthenticatedCall) => Promise<StreamCaller>;

/** A refused stream: the status to end it with. */
export class StreamAuthError extends Error {
  override name = 'StreamAuthError';
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/** The mTLS port: a workload certificate verified by TLS and valid against the current trust bundle. */
export function workloadCertificateCallers(certificates: ClientCertificateAuthenticator): CallerAuthenticator {
  return async (call) => {
    const peer = call.getAuthContext().sslPeerCertificate;
    if (!peer?.raw) {
      throw new StreamAuthError(grpc.status.UNAUTHENTICATED, 'ADS requires the proxy\'s workload certificate (mTLS): none was presented, or it did not verify against the mesh trust bundle (expired, another root)');
    }
    try {
      return { kind: 'workload', id: await certificates.identify(peer.raw) };
    } catch (err) {
      if (isCaError(err)) throw new StreamAuthError(grpc.status.UNAUTHENTICATED, `ADS requires a valid workload certificate: ${err.message}`);
      throw err;
    }
  };
}

/** The loopback plaintext port: local processes, trusted like the host (never bound beyond 127.0.0.1). */
export const localCallers: CallerAuthenticator = () => Promise.resolve({ kind: 'local' });

/** Node-level rules (the control plane: model, mode); throws ProxyAuthError. */
export type NodeAuthorizer = (node: ProxyNode, metadata: Record<string, unknown>, caller: StreamCaller) => AuthorizedNode;

/** Authenticates the caller and authorizes it as `node`; throws StreamAuthError. */
export async function authorizeStream(call: AuthenticatedCall, node: ProxyNode, metadata: Record<string, unknown>, callers: CallerAuthenticator, authorizeNode: NodeAuthorizer): Promise<AuthorizedNode> {
  const caller = await callers(call);
  try {
    return authorizeNode(node, metadata, caller);
  } catch (err) {
    if (err instanceof ProxyAuthError) throw new StreamAuthError(err.code === 'unauthenticated' ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED, err.message);
    throw err;
  }
}
