/**
 * gRPC service skein.ca.v1.CertificateService (api/proto/skein/ca/v1/ca.proto). Mount it on any
 * grpc.Server with `addCaService` — the control plane hosts it next to ADS on :15012; `skein ca
 * serve` hosts it alone. Each call: authenticate the caller, decode the request, check the issuance
 * rate limits, sign the CSR for the proven identity only. Errors become the status codes of
 * ./status.ts; credentials are never logged or echoed.
 *
 * Who the caller is:
 * - `authorization: Bearer <token>` (join token, projected service-account token): the first
 *   certificate of a workload, or a workload whose certificate no longer authenticates it;
 * - else the workload certificate presented in the TLS handshake (renewals): it must be valid now
 *   and chain to a root of the current trust bundle (ca/src/core/client-certificate.ts);
 * - both: they must prove the same identity (PERMISSION_DENIED otherwise);
 * - neither: UNAUTHENTICATED.
 */
import * as grpc from '@grpc/grpc-js';
import { formatSpiffeId } from '../../../api/src/spiffe';
import { type Authenticator, bearerToken, type ProvenCaller } from '../auth/authenticator';
import { type ClientCertificateAuthenticator } from '../auth/client-certificate';
import { CaError, isCaError } from '../core/errors';
import { type CertificateIssuer } from '../core/issuer';
import { type IssuanceLimiter } from '../core/rate-limit';
import { createCertificatePath, decodeCreateCertificateRequest, encodeCreateCertificateResponse, type CreateCertificateResponse } from './codec';
import { grpcStatusOf } from './status';

/** What the service reports; wire it to logs/metrics. Never contains credentials. */
export type CaServiceEvent =
  | { type: 'issued'; spiffeId: string; authenticator: string; podName?: string; serialNumber: string; notAfter: string }
  | { type: 'refused'; code: grpc.status; reason: string };

export interface CaServiceDeps {
  /** The issuer to sign with now (the CA may be replaced while the server runs: root rotation). */
  issuer: () => CertificateIssuer;
  /** Bearer credentials (join tokens, service-account tokens). */
  authenticator: Authenticator;
  /** Workload certificates presented over mTLS (renewals). Without it only bearer tokens count. */
  clientCertificates?: ClientCertificateAuthenticator;
  limiter?: IssuanceLimiter;
  now?: () => Date;
  onEvent?: (event: CaServiceEvent) => void;
}

/** The peer certificate the TLS layer verified (grpc-js AuthContext.sslPeerCertificate), if any. */
export interface PeerCertificate {
  raw: Uint8Array;
}

const sameCaller = (a: ProvenCaller, b: ProvenCaller) => a.namespace === b.namespace && a.serviceAccount === b.serviceAccount;

/** Who is calling: bearer token, client certificate, or both (which must agree). */
async function authenticateCaller(deps: CaServiceDeps, metadata: grpc.Metadata, peer: PeerCertificate | undefined): Promise<ProvenCaller> {
  const auth = metadata.get('authorization')[0];
  const header = typeof auth === 'string' ? auth : undefined;
  const byCertificate = () => (peer && deps.clientCertificates ? deps.clientCertificates.authenticate(peer.raw) : undefined);
  if (header === undefined) {
    const renewal = byCertificate();
    if (renewal) return renewal;
    throw new CaError('unauthenticated', 'missing credential: send "authorization: Bearer <token>" for a first certificate, or renew over mTLS with the current certificate (a certificate that is expired or not under a root of the trust bundle does not count)');
  }
  const byToken = await deps.authenticator.authenticate(bearerToken(header));
  // A certificate that does not authenticate (expired, retired root) is ignored: the token proves the caller.
  const certified = await byCertificate()?.catch(() => undefined);
  if (certified && !sameCaller(certified, byToken)) {
    throw new CaError('permission-denied', `identity mismatch: the bearer token proves ${byToken.namespace}/${byToken.serviceAccount} but the client certificate is ${certified.namespace}/${certified.serviceAccount}`);
  }
  return byToken;
}

const identity = (b: Buffer): Buffer => b;

/** A P-256 CSR is ~400 characters, an RSA-4096 one ~1,700; anything far larger is not a CSR. */
export const maxCsrChars = 16 * 1024;

export const certificateServiceDefinition: grpc.ServiceDefinition = {
  CreateCertificate: {
    path: createCertificatePath,
    requestStream: false,
    responseStream: false,
    // Decoding happens in the handler so that a malformed message is INVALID_ARGUMENT, not INTERNAL.
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: (m: CreateCertificateResponse) => Buffer.from(encodeCreateCertificateResponse(m)),
    responseDeserialize: identity,
    originalName: 'createCertificate',
  },
};

export async function createCertificate(deps: CaServiceDeps, body: Buffer, metadata: grpc.Metadata, peer?: PeerCertificate): Promise<CreateCertificateResponse> {
  const caller = await authenticateCaller(deps, metadata, peer);
  let request;
  try {
    request = decodeCreateCertificateRequest(body);
  } catch (err) {
    throw new CaError('invalid-argument', (err as Error).message);
  }
  if (request.csr === '') throw new CaError('invalid-argument', 'malformed CSR: csr is empty');
  if (request.csr.length > maxCsrChars) throw new CaError('invalid-argument', `malformed CSR: ${request.csr.length} characters, at most ${maxCsrChars}`);
  if (request.validitySeconds < 0) throw new CaError('invalid-argument', `invalid validity_seconds ${request.validitySeconds}: must be >= 0 (0 = default)`);
  const issuer = deps.issuer();
  const spiffeId = formatSpiffeId(issuer.spiffeIdOf(caller));
  deps.limiter?.check(spiffeId, (deps.now?.() ?? new Date()).getTime());
  const issued = await issuer.issueForIdentity(request.csr, request.validitySeconds * 1000, caller);
  deps.onEvent?.({
    type: 'issued',
    spiffeId,
    authenticator: caller.authenticator,
    ...(caller.podName ? { podName: caller.podName } : {}),
    serialNumber: issued.serialNumber,
    notAfter: issued.notAfter.toISOString(),
  });
  return { certChain: issued.chainPem };
}

export function addCaService(server: grpc.Server, deps: CaServiceDeps): void {
  server.addService(certificateServiceDefinition, {
    CreateCertificate: (call: grpc.ServerUnaryCall<Buffer, CreateCertificateResponse>, callback: grpc.sendUnaryData<CreateCertificateResponse>) => {
      const peer = call.getAuthContext().sslPeerCertificate;
      createCertificate(deps, call.request, call.metadata, peer?.raw ? { raw: peer.raw } : undefined).then(
        (response) => callback(null, response),
        (err: unknown) => {
          const code = isCaError(err) ? grpcStatusOf[err.kind] : grpc.status.INTERNAL;
          const details = isCaError(err) ? err.message : 'internal error';
          deps.onEvent?.({ type: 'refused', code, reason: err instanceof Error ? err.message : String(err) });
          callback({ code, details });
        },
      );
    },
  });
}
