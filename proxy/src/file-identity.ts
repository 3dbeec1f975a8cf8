/**
 * An IdentityProvider backed by PEM files (certificate chain, key, trust bundle), for standalone
 * and local-mode use before the CA client is wired. Files are re-read when they change (rotation:
 * write the new files, the proxy picks them up; live connections stay). A bad or mismatched file
 * set is rejected and the current identity kept.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import type { IdentityProvider, WorkloadCertificate } from '../../api/src/identity';
import { spiffeUri } from './tls/contexts';

export interface IdentityFiles {
  certChain: string;
  privateKey: string;
  trustBundle: string;
}

export class FileIdentity implements IdentityProvider {
  private cert: WorkloadCertificate | undefined;
  private readonly listeners = new Set<(c: WorkloadCertificate) => void>();
  private readonly watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly files: IdentityFiles, private readonly onError: (err: Error) => void = () => undefined) {
    this.cert = loadIdentity(files);
  }

  current(): WorkloadCertificate | undefined {
    return this.cert;
  }
  onChange(listener: (c: WorkloadCertificate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Watches the files; a change is picked up after a short settle time (writers replace several files). */
  watch(settleMs = 500): void {
    for (const f of Object.values(this.files)) {
      const w = fs.watch(f, () => {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.reload(), settleMs);
      });
      w.on('error', (e) => this.onError(e));
      this.watchers.push(w);
    }
  }

  reload(): void {
    try {
      const next = loadIdentity(this.files);
      if (this.cert && next.certChainPem === this.cert.certChainPem && next.trustBundlePem === this.cert.trustBundlePem) return;
      this.cert = next;
      for (const l of this.listeners) l(next);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }
}

/** Reads and checks the files: the leaf has a SPIFFE URI SAN and matches the key. */
export function loadIdentity(files: IdentityFiles): WorkloadCertificate {
  const read = (what: string, path: string): string => {
    try {
      return fs.readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
    }
  };
  const certChainPem = read('certificate chain', files.certChain);
  const privateKeyPem = read('private key', files.privateKey);
  const trustBundlePem = read('trust bundle', files.trustBundle);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certChainPem);
  } catch (err) {
    throw new Error(`${files.certChain}: not a PEM certificate (${(err as Error).message})`);
  }
  const id = spiffeUri(leaf.subjectAltName);
  if (!id) throw new Error(`${files.certChain}: the certificate has no spiffe:// URI SAN`);
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new Error(`${files.privateKey}: not a PEM private key`);
  }
  if (!leaf.checkPrivateKey(key)) throw new Error(`${files.privateKey} does not match the certificate in ${files.certChain}`);
  return { spiffeId: id, certChainPem, privateKeyPem, trustBundlePem, notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo) };
}
