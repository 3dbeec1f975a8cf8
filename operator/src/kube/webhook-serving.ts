/**
 * HTTPS for the admission webhook with a serving certificate issued in memory by the mesh CA for the
 * webhook Service's DNS names, rotated at two thirds of its lifetime (the key never touches disk).
 * The request handler is given by the caller (cli/ joins the webhook component in; operator/ may not
 * import webhook/).
 */
import { randomBytes } from 'node:crypto';
import { type RequestListener } from 'node:http';
import https from 'node:https';
import { type AddressInfo } from 'node:net';
import { type SecureContextOptions } from 'node:tls';
import { SystemNamespace } from '../../../api/src/names';
import { CertificateIssuer } from '../../../ca/src/core/issuer';
import { exportPrivateKeyPem, generateKeyPair } from '../../../ca/src/core/keys';
import { x509 } from '../../../ca/src/core/x509';
import { type LoadedCa } from '../../../ca/src/store/ca-dir';

export const webhookDnsNames = (service = 'skein-controlplane', namespace = SystemNamespace): string[] => [
  `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`,
];

export interface ServingCertificate {
  context: SecureContextOptions;
  notBefore: Date;
  notAfter: Date;
}

/** A fresh key and certificate for `dnsNames`, signed by the CA. */
export async function issueServingCertificate(ca: LoadedCa, dnsNames: string[], now: () => Date, ttlMs?: number): Promise<ServingCertificate> {
  const issuer = new CertificateIssuer(ca.authority, { now, randomBytes: (n) => randomBytes(n) });
  const keys = await generateKeyPair('ec', true);
  const issued = await issuer.issue(await x509.PublicKey.create(keys.publicKey), dnsNames.map((value) => ({ type: 'dns', value })), ttlMs ?? issuer.policy.maxTtlMs);
  return {
    context: { key: await exportPrivateKeyPem(keys.privateKey), cert: issued.chainPem.join('\n'), minVersion: 'TLSv1.2' },
    notBefore: now(),
    notAfter: issued.notAfter,
  };
}

/** When to replace a certificate: at two thirds of its lifetime. */
export function rotationDelayMs(cert: Pick<ServingCertificate, 'notBefore' | 'notAfter'>, now: Date): number {
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
  return Math.max(0, cert.notBefore.getTime() + (lifetime * 2) / 3 - now.getTime());
}

export interface WebhookServingOptions {
  ca: LoadedCa;
  handler: RequestListener;
  host: string;
  port: number;
  dnsNames?: string[];
  ttlMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface RunningWebhookServer {
  port: number;
  /** The certificate currently served (tests, /debug). */
  current(): ServingCertificate;
  rotate(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookServing(options: WebhookServingOptions): Promise<RunningWebhookServer> {
  const now = options.now ?? (() => new Date());
  const dnsNames = options.dnsNames ?? webhookDnsNames();
  let cert = await issueServingCertificate(options.ca, dnsNames, now, options.ttlMs);
  const server = https.createServer({ ...cert.context }, options.handler);
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const rotate = async () => {
    try {
      cert = await issueServingCertificate(options.ca, dnsNames, now, options.ttlMs);
      server.setSecureContext(cert.context);
      options.log?.(`webhook: serving certificate rotated, valid until ${cert.notAfter.toISOString()}`);
    } catch (err) {
      options.log?.(`webhook: serving certificate rotation failed, keeping the current one: ${(err as Error).message}`);
    }
    schedule();
  };
  const schedule = () => {
    // A failed rotation retries in a minute at the latest.
    timer = setTimeout(() => void rotate(), Math.min(rotationDelayMs(cert, now()) || 60_000, 2 ** 31 - 1));
    timer.unref();
  };
  schedule();
  return {
    port: (server.address() as AddressInfo).port,
    current: () => cert,
    rotate: async () => {
      clearTimeout(timer);
      await rotate();
    },
    close: () => new Promise<void>((resolve) => {
      clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
