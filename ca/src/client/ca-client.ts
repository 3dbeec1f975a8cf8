/**
 * gRPC client of skein.ca.v1.CertificateService. TLS to the CA, verified against the trust bundle
 * the workload trusts now (and the CA's name: `serverName`, default the host of `address`, or the
 * control plane Service name when that host is an IP). A first certificate is asked for with the
 * bearer credential, read for every such call (projected service-account tokens are refreshed on
 * disk); a renewal presents the current certificate over mTLS instead.
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { createCertificatePath, decodeCreateCertificateResponse, encodeCreateCertificateRequest, type CreateCertificateRequest } from '../service/codec';
import { ControlPlaneHost } from '../../../api/src/names';
import { controlPlaneTlsName } from '../../../api/src/net';
import { type WorkloadCertificate } from '../../../api/src/identity';

/** How a request proves who is asking. */
export interface RequestAuth {
  /** PEM roots that may sign the CA's serving certificate (the bundle the workload trusts now). */
  trustBundlePem: string;
  /**
   * Renewal: present this certificate over mTLS and send no token. Absent (first certificate, or
   * the current one no longer authenticates): send the bearer credential.
   */
  certificate?: Pick<WorkloadCertificate, 'certChainPem' | 'privateKeyPem'>;
}

export interface CertificateRequester {
  /** Sends a CSR; resolves to the PEM chain (leaf first, root last). */
  createCertificate(csrPem: string, validitySeconds: number, auth?: RequestAuth): Promise<string[]>;
}

export interface CaClientOptions {
  /** `host:port` of the CA. */
  address: string;
  /** PEM roots that may sign the CA's serving certificate, unless a request brings its own. */
  trustBundlePem: string;
  /** Name to verify in the CA's certificate, if not the host of `address`. */
  serverName?: string;
  /** The bearer credential (join token or projected service-account token), fetched per call that needs it. */
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

/**
 * One gRPC channel per TLS setup (trust bundle + client certificate): a renewal presents the
 * current certificate, so a new certificate or bundle means a new channel (the old one is closed).
 */
export class CaClient implements CertificateRequester {
  private channel: { key: string; client: grpc.Client } | undefined;
  private readonly timeoutMs: number;
  private readonly serverName: string;

  constructor(private readonly options: CaClientOptions) {
    this.serverName = options.serverName ?? controlPlaneTlsName(options.address, ControlPlaneHost);
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private clientFor(auth: RequestAuth): grpc.Client {
    const key = `${auth.trustBundlePem}\n${auth.certificate?.certChainPem ?? ''}`;
    if (this.channel?.key === key) return this.channel.client;
    this.channel?.client.close();
    const credentials = auth.certificate
      ? grpc.credentials.createSsl(Buffer.from(auth.trustBundlePem), Buffer.from(auth.certificate.privateKeyPem), Buffer.from(auth.certificate.certChainPem))
      : grpc.credentials.createSsl(Buffer.from(auth.trustBundlePem));
    const client = new grpc.Client(this.options.address, credentials, { 'grpc.ssl_target_name_override': this.serverName, 'grpc.default_authority': this.serverName });
    this.channel = { key, client };
    return client;
  }

  async createCertificate(csrPem: string, validitySeconds: number, auth: RequestAuth = { trustBundlePem: this.options.trustBundlePem }): Promise<string[]> {
    const metadata = new grpc.Metadata();
    // A renewal authenticates with the certificate alone: the token is for the first issue.
    if (!auth.certificate) metadata.set('authorization', `Bearer ${await this.options.credential()}`);
    const client = this.clientFor(auth);
    const request: CreateCertificateRequest = { csr: csrPem, validitySeconds };
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
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
    this.channel?.client.close();
    this.channel = undefined;
  }
}
