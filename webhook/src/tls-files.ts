/**
 * The serving certificate from files (`--tls-cert`, `--tls-key`), reloaded when either changes
 * (Kubernetes Secret volumes swap a symlink; cert-manager rotates in place). A pair that fails to
 * load (half-written, mismatched, already expired) is refused and the previous one keeps serving.
 * Whoever writes the files renews them; inside the control plane the webhook's certificate is
 * issued and renewed in memory instead (operator/src/kube/webhook-serving.ts).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { TlsFloor } from '../../api/src/tls-floor';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** TLS 1.2+ with AEAD suites only: the webhook's TLS floor is the mesh's (api/src/tls-floor.ts). */
export const webhookTlsFloor = TlsFloor satisfies SecureContextOptions;

/** Reads and checks the pair (createSecureContext fails on a bad PEM or a key that does not match; an expired certificate is refused). */
export function loadKeyPair(files: TlsFiles, now: Date = new Date()): SecureContextOptions {
  const options: SecureContextOptions = { ...webhookTlsFloor, cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  createSecureContext(options);
  const leaf = new X509Certificate(options.cert as Buffer);
  if (new Date(leaf.validTo).getTime() <= now.getTime()) throw new Error(`${files.certFile}: the certificate expired at ${new Date(leaf.validTo).toISOString()}`);
  return options;
}

export interface ReloadTarget {
  setSecureContext(options: SecureContextOptions): void;
}

export class CertificateReloader {
  constructor(
    private readonly files: TlsFiles,
    private readonly target: ReloadTarget,
    private readonly onResult: (result: { ok: true } | { ok: false; error: string }) => void,
  ) {}

  private readonly listener = () => this.reload();

  /** Loads the files now; keeps the current certificate when they do not load. */
  reload(): boolean {
    try {
      this.target.setSecureContext(loadKeyPair(this.files));
      this.onResult({ ok: true });
      return true;
    } catch (err) {
      this.onResult({ ok: false, error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }

  /** Polls the files' stat (follows symlinks, survives atomic swaps) every intervalMs. */
  watch(intervalMs: number): void {
    for (const file of [this.files.certFile, this.files.keyFile]) watchFile(file, { interval: intervalMs, persistent: false }, this.listener);
  }

  close(): void {
    for (const file of [this.files.certFile, this.files.keyFile]) unwatchFile(file, this.listener);
  }
}
