/**
 * The serving certificate from files (`--tls-cert`, `--tls-key`), reloaded when either changes
 * (Kubernetes Secret volumes swap a symlink; cert-manager rotates in place). A pair that fails to
 * load (half-written, mismatched) is refused and the previous one keeps serving.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** TLS 1.2+ only: the one place the webhook's TLS floor is set. */
export const webhookTlsFloor = { minVersion: 'TLSv1.2' } as const satisfies SecureContextOptions;

/** Reads and checks the pair (createSecureContext fails on a bad PEM or a key that does not match). */
export function loadKeyPair(files: TlsFiles): SecureContextOptions {
  const options: SecureContextOptions = { ...webhookTlsFloor, cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  createSecureContext(options);
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
