/**
 * gRPC service skein.ca.v1.CertificateService (api/proto/skein/ca/v1/ca.proto). Mount it on any
 * grpc.Server with `addCaService` — the control plane hosts it next to ADS on :15012; `skein ca
 * serve` hosts it alone. Each call: authenticate the bearer credential, decode the request, sign
 * the CSR for the proven identity only. Errors become the status codes of ./status.ts; credentials
 * are never logged or echoed.
 */
import * as grpc from '@grpc/grpc-js';
import { formatSpiffeId } from '../../../api/src/spiffe';
import { type Authenticator, bearerToken } from '../auth/authenticator';
import { CaError, isCaError } from '../core/errors';
import { type CertificateIssuer } from '../core/issuer';
import { createCertificatePath, decodeCreateCertificateRequest, encodeCreateCertificateResponse, type CreateCertificateResponse } from './codec';
import { grpcStatusOf } from './status';

/** What the service reports; wire it to logs/metrics. Never contains credentials. */
export type CaServiceEvent =
  | { type: 'issued'; spiffeId: string; authenticator: string; podName?: string; serialNumber: string; notAfter: string }
  | { type: 'refused'; code: grpc.status; reason: string };

export interface CaServiceDeps {
  issuer: CertificateIssuer;
  authenticator: Authenticator;
  onEvent?: (event: CaServiceEvent) => void;
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

export async function createCertificate(deps: CaServiceDeps, body: Buffer, metadata: grpc.Metadata): Promise<CreateCertificateResponse> {
  const auth = metadata.get('authorization');
  const caller = await deps.authenticator.authenticate(bearerToken(typeof auth[0] === 'string' ? auth[0] : undefined));
  let request;
  try {
    request = decodeCreateCertificateRequest(body);
  } catch (err) {
    throw new CaError('invalid-argument', (err as Error).message);
  }
  if (request.csr === '') throw new CaError('invalid-argument', 'malformed CSR: csr is empty');
  if (request.csr.length > maxCsrChars) throw new CaError('invalid-argument', `malformed CSR: ${request.csr.length} characters, at most ${maxCsrChars}`);
  if (request.validitySeconds < 0) throw new CaError('invalid-argument', `invalid validity_seconds ${request.validitySeconds}: must be >= 0 (0 = default)`);
  const issued = await deps.issuer.issueForIdentity(request.csr, request.validitySeconds * 1000, caller);
  deps.onEvent?.({
    type: 'issued',
    spiffeId: formatSpiffeId(deps.issuer.spiffeIdOf(caller)),
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
      createCertificate(deps, call.request, call.metadata).then(
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
