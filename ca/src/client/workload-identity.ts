/**
 * The workload's identity as the proxy consumes it (api/src/identity.ts IdentityProvider): makes a
 * fresh key and CSR, asks the CA, checks the answer, publishes it, and renews at half-life with
 * jitter; when the CA is unreachable it retries with exponential backoff and keeps serving the
 * current certificate. Listeners get each new certificate so the TLS code can swap its shared
 * SecureContext: new handshakes use the new certificate, live connections are untouched.
 * Clock, randomness and timers are injectable (tests use fake time).
 */
import { type IdentityProvider, type WorkloadCertificate } from '../../../api/src/identity';
import { formatSpiffeId, parseSpiffeId } from '../../../api/src/spiffe';
import { type KeyType } from '../core/keys';
import { joinPem, parseCertificates } from '../core/pem';
import { backoffDelayMs, type BackoffOptions, defaultBackoff, defaultRotation, maxTimerMs, renewalDelayAfterIssue, type RotationOptions } from '../core/rotation';
import { type CryptoKey, x509 } from '../core/x509';
import { status } from '@grpc/grpc-js';
import { CaRequestError, type CertificateRequester, type RequestAuth } from './ca-client';
import { createCsr, generateWorkloadKey } from './csr';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkloadIdentityOptions {
  /** The workload's SPIFFE id (from its namespace and service account). */
  spiffeId: string;
  requester: CertificateRequester;
  /** PEM roots this workload trusts; the CA's answer must chain to one of them. */
  trustBundlePem: string;
  keyType?: KeyType;
  /** Requested lifetime; 0 = the CA's default (24 h). */
  validitySeconds?: number;
  rotation?: RotationOptions;
  backoff?: BackoffOptions;
  now?: () => Date;
  random?: () => number;
  timers?: Timers;
  /** Called on each failed attempt with the delay before the next one. */
  onError?: (err: Error, retryInMs: number) => void;
}

/** Node's timers, unref'd: a pending renewal never keeps a process alive. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class WorkloadIdentity implements IdentityProvider {
  private cert: WorkloadCertificate | undefined;
  private readonly listeners = new Set<(cert: WorkloadCertificate) => void>();
  private timer: unknown;
  private stopped = false;
  /** Bumped by every attempt; an answer to an older attempt is ignored (renewNow during a request). */
  private generation = 0;
  private firstWaiters: { resolve: (c: WorkloadCertificate) => void; reject: (e: Error) => void }[] = [];
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly timers: Timers;
  private trustBundlePem: string;
  /** The CA refused our current certificate for a renewal (expired, retired root): use the token. */
  private certificateRefused = false;

  constructor(private readonly options: WorkloadIdentityOptions) {
    parseSpiffeId(options.spiffeId);
    parseCertificates(options.trustBundlePem, 'trust bundle');
    this.trustBundlePem = options.trustBundlePem;
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
    this.timers = options.timers ?? realTimers;
  }

  current(): WorkloadCertificate | undefined {
    return this.cert;
  }

  onChange(listener: (cert: WorkloadCertificate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts issuing; resolves with the first certificate (retrying until the CA answers or stop()). */
  start(): Promise<WorkloadCertificate> {
    const first = new Promise<WorkloadCertificate>((resolve, reject) => this.firstWaiters.push({ resolve, reject }));
    this.attempt(0);
    return first;
  }

  /** Stops renewing. The current certificate stays readable. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.firstWaiters.splice(0)) w.reject(new Error('workload identity stopped before the first certificate'));
  }

  /**
   * Adopts a new trust bundle (e.g. the skein-root-cert ConfigMap gained a root during a root
   * rotation) and renews at once, so listeners get a certificate and bundle that agree.
   */
  updateTrustBundle(trustBundlePem: string): void {
    parseCertificates(trustBundlePem, 'trust bundle');
    this.trustBundlePem = trustBundlePem;
    this.renewNow();
  }

  /** Renews now (e.g. after the trust bundle changed). */
  renewNow(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.attempt(0);
  }

  private schedule(ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      fn();
    }, ms);
  }

  private attempt(failures: number): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    const stale = () => this.stopped || generation !== this.generation;
    this.obtain().then(
      (cert) => {
        if (stale()) return;
        this.cert = cert;
        for (const w of this.firstWaiters.splice(0)) w.resolve(cert);
        for (const listener of [...this.listeners]) listener(cert);
        this.schedule(Math.min(maxTimerMs, renewalDelayAfterIssue(cert, this.now(), this.random(), this.options.rotation ?? defaultRotation)), () => this.attempt(0));
      },
      (err: unknown) => {
        if (stale()) return;
        const delay = backoffDelayMs(failures, this.random(), this.options.backoff ?? defaultBackoff);
        this.options.onError?.(err instanceof Error ? err : new Error(String(err)), delay);
        this.schedule(delay, () => this.attempt(failures + 1));
      },
    );
  }

  /**
   * How to prove who we are: a renewal presents the current certificate (mTLS) while it is valid
   * and the CA accepts it; the first request — and one after the CA refused the certificate —
   * sends the bearer credential instead.
   */
  private requestAuth(trustBundlePem: string): RequestAuth {
    const cert = this.cert;
    const usable = cert && !this.certificateRefused && cert.notAfter.getTime() > this.now().getTime();
    return usable ? { trustBundlePem, certificate: cert } : { trustBundlePem };
  }

  private async obtain(): Promise<WorkloadCertificate> {
    const key = await generateWorkloadKey(this.options.keyType ?? 'ec');
    const csr = await createCsr(key, this.options.spiffeId);
    const auth = this.requestAuth(this.trustBundlePem);
    let chainPem: string[];
    try {
      chainPem = await this.options.requester.createCertificate(csr, this.options.validitySeconds ?? 0, auth);
    } catch (err) {
      if (auth.certificate && err instanceof CaRequestError && err.code === status.UNAUTHENTICATED) this.certificateRefused = true;
      throw err;
    }
    this.certificateRefused = false;
    const chain = parseCertificates(chainPem.join('\n'), 'CA response');
    const leaf = chain[0]!;
    const { trustBundlePem } = auth;
    await checkIssued(leaf, chain, this.options.spiffeId, key.keys.publicKey, trustBundlePem, this.now());
    return {
      spiffeId: this.options.spiffeId,
      certChainPem: joinPem(chain.slice(0, -1)),
      privateKeyPem: key.privateKeyPem,
      trustBundlePem,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  }
}

/** Refuses a CA answer that is not for us, not for our key, not current, or not a chain to our bundle. */
async function checkIssued(leaf: x509.X509Certificate, chain: x509.X509Certificate[], spiffeId: string, publicKey: CryptoKey, bundlePem: string, now: Date): Promise<void> {
  const names = leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
  if (names.length !== 1 || names[0]!.type !== 'url' || formatSpiffeId(parseSpiffeId(names[0]!.value)) !== spiffeId) {
    throw new Error(`CA returned a certificate for ${JSON.stringify(names)} instead of ${spiffeId}`);
  }
  const ours = await x509.PublicKey.create(publicKey);
  if (!ours.equal(leaf.publicKey)) throw new Error('CA returned a certificate for another key');
  const root = chain[chain.length - 1]!;
  const bundle = parseCertificates(bundlePem, 'trust bundle');
  if (chain.length < 2 || !bundle.some((r) => r.equal(root))) throw new Error('CA returned a chain that does not end at a root of the trust bundle');
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!(await chain[i]!.verify({ publicKey: chain[i + 1]!.publicKey, signatureOnly: true }))) throw new Error(`CA returned a broken chain: certificate #${i + 1} is not signed by #${i + 2}`);
  }
  if (leaf.notAfter.getTime() <= now.getTime()) throw new Error(`CA returned a certificate that expired at ${leaf.notAfter.toISOString()}`);
}
