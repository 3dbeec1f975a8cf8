/**
 * HTTPS for the admission webhook with a serving certificate issued in memory by the mesh CA for the
 * webhook Service's DNS names and renewed at half of its lifetime, like every Skein serving and
 * workload certificate (ca/src/service/serving-certificate.ts); re-issued at once when the CA
 * starts signing with another certificate (root rotation). The key never touches disk. The request
 * handler is given by the caller (cli/ joins the webhook component in; operator/ may not import
 * webhook/).
 */
import { type RequestListener } from 'node:http';
import https from 'node:https';
import { type AddressInfo } from 'node:net';
import { type SecureContextOptions } from 'node:tls';
import { SystemNamespace } from '../../../api/src/names';
import { TlsFloor } from '../../../api/src/tls-floor';
import { LiveCa } from '../../../ca/src/service/live-ca';
import { RotatingServingCertificate, type ServingCertificate } from '../../../ca/src/service/serving-certificate';
import { type LoadedCa } from '../../../ca/src/store/ca-dir';

export const webhookDnsNames = (service = 'skein-controlplane', namespace = SystemNamespace): string[] => [
  `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`,
];

export interface WebhookServingOptions {
  ca: LoadedCa | LiveCa;
  handler: RequestListener;
  host: string;
  port: number;
  dnsNames?: string[];
  /** Certificate lifetime (default the CA's default, 24 h). */
  ttlMs?: number;
  log?: (line: string) => void;
}

export interface RunningWebhookServer {
  port: number;
  /** The certificate currently served (tests, /debug). */
  current(): ServingCertificate;
  rotate(): Promise<void>;
  close(): Promise<void>;
}

function context(cert: ServingCertificate): SecureContextOptions {
  return { ...TlsFloor, key: cert.keyPem, cert: cert.chainPem };
}

export async function startWebhookServing(options: WebhookServingOptions): Promise<RunningWebhookServer> {
  const live = options.ca instanceof LiveCa ? options.ca : new LiveCa(options.ca);
  const serving = new RotatingServingCertificate({
    issuer: () => live.issuer(), names: (options.dnsNames ?? webhookDnsNames()).map((value) => ({ type: 'dns' as const, value })),
    what: 'webhook serving certificate', now: live.now, ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}), ...(options.log ? { log: options.log } : {}),
  });
  const server = https.createServer(context(await serving.start()), options.handler);
  serving.onChange((cert) => server.setSecureContext(context(cert)));
  const offCa = live.onChange((_ca, change) => {
    if (change.signer) serving.rotateNow().catch(() => undefined); // failures are logged and retried by the rotator
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    offCa();
    serving.stop();
    throw err;
  }
  return {
    port: (server.address() as AddressInfo).port,
    current: () => serving.current(),
    rotate: () => serving.rotateNow(),
    close: () => new Promise<void>((resolve) => {
      offCa();
      serving.stop();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
