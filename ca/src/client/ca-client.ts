/**
 * gRPC client of skein.ca.v1.CertificateService. TLS to the CA, verified against the trust bundle
 * the workload was given (and the CA's name: `serverName`, default the host of `address`, or the control plane Service name when that host is an IP). The
 * credential is read for every call (projected service-account tokens are refreshed on disk).
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { createCertificatePath, decodeCreateCertificateResponse, encodeCreateCertificateRequest, type CreateCertificateRequest } from '../service/codec';
import { ControlPlaneHost } from '../../../api/src/names';
import { controlPlaneTlsName } from '../../../api/src/net';

export interface CertificateRequester {
  /** Sends a CSR; resolves to the PEM chain (leaf first, root last). */
  createCertificate(csrPem: string, validitySeconds: number): Promise<string[]>;
}

export interface CaClientOptions {
  /** `host:port` of the CA. */
  address: string;
  /** PEM roots that may sign the CA's serving certificate. */
  trustBundlePem: string;
  /** Name to verify in the CA's certificate, if not the host of `address`. */
  serverName?: string;
  /** The bearer credential (join token or projected service-account token), fetched per call. */
  credential: () => string | Promise<string>;
  /** Per-call deadline (default 10 s). */
  timeoutMs?: number;
}

/** A refused or failed call, with the gRPC status code. */
export class CaRequestError extends Error {
  override name = 'CaRequestError';
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(`CA refused the request: ${grpc.status[code] ?? code}: ${details}`);
  }
}

/** A credential read from a file on every call (e.g. /var/run/secrets/tokens/skein-token). */
export function credentialFromFile(file: string): () => string {
  return () => fs.readFileSync(file, 'utf8').trim();
}

export class CaClient implements CertificateRequester {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  constructor(private readonly options: CaClientOptions) {
    const serverName = options.serverName ?? controlPlaneTlsName(options.address, ControlPlaneHost);
    const channelOptions: grpc.ChannelOptions = { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName };
    this.client = new grpc.Client(options.address, grpc.credentials.createSsl(Buffer.from(options.trustBundlePem)), channelOptions);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async createCertificate(csrPem: string, validitySeconds: number): Promise<string[]> {
    const token = await this.options.credential();
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const request: CreateCertificateRequest = { csr: csrPem, validitySeconds };
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        createCertificatePath,
        (m: CreateCertificateRequest) => Buffer.from(encodeCreateCertificateRequest(m)),
        (b: Buffer) => decodeCreateCertificateResponse(b),
        request,
        metadata,
        { deadline: Date.now() + this.timeoutMs },
        (err, response) => {
          if (err) reject(new CaRequestError(err.code ?? grpc.status.UNKNOWN, err.details ?? err.message));
          else if (!response || response.certChain.length === 0) reject(new CaRequestError(grpc.status.INTERNAL, 'empty certificate chain'));
          else resolve(response.certChain);
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
