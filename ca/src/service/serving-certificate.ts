/**
 * A server's own TLS certificate (the control plane's xDS/CA port, the admission webhook, `skein ca
 * serve`), issued in memory by the CA it runs next to and renewed before it expires, the way
 * workload certificates are: at half of its lifetime with ±10 % jitter, with exponential backoff
 * while signing fails (the current certificate keeps serving). `rotateNow()` re-issues at once —
 * after the CA changed (root rotation), so that the served chain is always under the current signer.
 * Listeners get every new certificate; a TLS server swaps its secure context with it, which affects
 * new handshakes only: established connections (ADS streams) are untouched.
 */
import { exportPrivateKeyPem, generateKeyPair } from '../core/keys';
import { type CertificateIssuer } from '../core/issuer';
import { type LeafParams } from '../core/profiles';
import { backoffDelayMs, type BackoffOptions, defaultBackoff, defaultRotation, maxTimerMs, renewalDelayAfterIssue, type RotationOptions } from '../core/rotation';
import { x509 } from '../core/x509';
import { realTimers, type Timers } from '../client/workload-identity';

export interface ServingCertificate {
  /** PKCS#8 PEM; stays in this process. */
  keyPem: string;
  /** Leaf first, then the CA chain (the root included, as TLS servers commonly send it). */
  chainPem: string;
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
}

export interface ServingCertificateOptions {
  /** The issuer to sign with at the time of each renewal. */
  issuer: () => CertificateIssuer;
  names: LeafParams['names'];
  /** Requested lifetime; default the CA's default (24 h), capped by the CA certificate. */
  ttlMs?: number;
  rotation?: RotationOptions;
  backoff?: BackoffOptions;
  now?: () => Date;
  random?: () => number;
  timers?: Timers;
  /** For log lines: "xDS/CA serving certificate". */
  what: string;
  log?: (line: string) => void;
}

/** A fresh key and certificate for `names`, signed by `issuer`. */
export async function issueServingCertificate(issuer: CertificateIssuer, names: LeafParams['names'], ttlMs?: number): Promise<ServingCertificate> {
  const keys = await generateKeyPair('ec', true);
  const issued = await issuer.issue(await x509.PublicKey.create(keys.publicKey), names, ttlMs ?? issuer.policy.defaultTtlMs);
  const leaf = new x509.X509Certificate(issued.chainPem[0]!);
  return {
    keyPem: await exportPrivateKeyPem(keys.privateKey),
    chainPem: issued.chainPem.join('\n'),
    notBefore: leaf.notBefore,
    notAfter: issued.notAfter,
    serialNumber: issued.serialNumber,
  };
}

export class RotatingServingCertificate {
  private cert: ServingCertificate | undefined;
  private readonly listeners = new Set<(cert: ServingCertificate) => void>();
  private timer: unknown;
  private stopped = false;
  /** Bumped by every issue; an older one finishing late is dropped. */
  private generation = 0;
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly timers: Timers;

  constructor(private readonly options: ServingCertificateOptions) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? realTimers;
  }

  /** Issues the first certificate (failures throw: a server must not start without one). */
  async start(): Promise<ServingCertificate> {
    const generation = ++this.generation;
    const cert = await issueServingCertificate(this.options.issuer(), this.options.names, this.options.ttlMs);
    if (generation === this.generation) this.adopt(cert);
    return this.cert!;
  }

  current(): ServingCertificate {
    if (!this.cert) throw new Error(`${this.options.what}: not issued yet (call start())`);
    return this.cert;
  }

  onChange(listener: (cert: ServingCertificate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-issues now (the CA changed); on failure the current certificate stays and retries follow. */
  rotateNow(): Promise<void> {
    this.clear();
    return this.renew(0);
  }

  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private adopt(cert: ServingCertificate): void {
    this.cert = cert;
    for (const l of [...this.listeners]) l(cert);
    this.schedule(renewalDelayAfterIssue(cert, this.now(), this.random(), this.options.rotation ?? defaultRotation), 0);
  }

  private schedule(ms: number, failures: number): void {
    if (this.stopped) return;
    this.clear();
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.renew(failures);
    }, Math.min(ms, maxTimerMs));
  }

  private async renew(failures: number): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    try {
      const cert = await issueServingCertificate(this.options.issuer(), this.options.names, this.options.ttlMs);
      if (this.stopped || generation !== this.generation) return;
      this.adopt(cert);
      this.options.log?.(`${this.options.what} rotated: serial ${cert.serialNumber}, valid until ${cert.notAfter.toISOString()}`);
    } catch (err) {
      if (this.stopped || generation !== this.generation) return;
      const delay = backoffDelayMs(failures, this.random(), this.options.backoff ?? defaultBackoff);
      this.options.log?.(`${this.options.what}: renewal failed (retrying in ${delay} ms, the current certificate keeps serving): ${(err as Error).message}`);
      this.schedule(delay, failures + 1);
    }
  }
}
