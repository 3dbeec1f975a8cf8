/**
 * The CA a running server signs with, replaceable while it runs (root rotation: the CA directory or
 * the CA Secret changes). Everything that depends on it — the issuer, the trust bundle that client
 * certificates are checked against, serving certificates — reads it from here and is told when it
 * changes. A replacement must keep the trust domain (a different trust domain is a different mesh).
 */
import { randomBytes } from 'node:crypto';
import { type TrustAnchors } from '../core/client-certificate';
import { CertificateIssuer } from '../core/issuer';
import { type ValidityPolicy } from '../core/validity';
import { type x509 } from '../core/x509';
import { type LoadedCa } from '../store/ca-dir';

export interface CaChange {
  /** The CA now signs with another certificate. */
  signer: boolean;
  /** The set of trusted roots changed. */
  bundle: boolean;
}

export interface LiveCaOptions {
  policy?: ValidityPolicy;
  now?: () => Date;
  /** CA certificates remembered after they stopped signing (their leaves still renew). Default 16. */
  rememberedIssuers?: number;
}

const sameCerts = (a: readonly x509.X509Certificate[], b: readonly x509.X509Certificate[]) => a.length === b.length && a.every((c, i) => c.equal(b[i]!));

export class LiveCa {
  private loaded: LoadedCa;
  private currentIssuer: CertificateIssuer;
  /** Every CA certificate that signed in this process, newest first (bounded). */
  private issuers: x509.X509Certificate[] = [];
  private readonly listeners = new Set<(ca: LoadedCa, change: CaChange) => void>();
  readonly now: () => Date;

  constructor(ca: LoadedCa, private readonly options: LiveCaOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.loaded = ca;
    this.currentIssuer = this.makeIssuer(ca);
    this.remember(ca);
  }

  get ca(): LoadedCa {
    return this.loaded;
  }

  get trustDomain(): string {
    return this.loaded.authority.trustDomain;
  }

  issuer(): CertificateIssuer {
    return this.currentIssuer;
  }

  trustBundlePem(): string {
    return this.currentIssuer.trustBundlePem();
  }

  /** What client certificates are checked against now. */
  anchors(): TrustAnchors {
    return { trustDomain: this.trustDomain, roots: this.loaded.authority.roots, intermediates: this.issuers };
  }

  /** Adopts a reloaded CA; returns what changed (nothing: listeners are not called). */
  replace(next: LoadedCa): CaChange {
    if (next.authority.trustDomain !== this.trustDomain) {
      throw new Error(`the reloaded CA serves trust domain ${next.authority.trustDomain}, this control plane ${this.trustDomain}; a trust domain cannot change while running`);
    }
    const change: CaChange = {
      signer: !sameCerts(next.authority.chain, this.loaded.authority.chain),
      bundle: !sameCerts(next.authority.roots, this.loaded.authority.roots),
    };
    this.loaded = next;
    if (!change.signer && !change.bundle) return change;
    this.currentIssuer = this.makeIssuer(next);
    this.remember(next);
    for (const l of [...this.listeners]) l(next, change);
    return change;
  }

  onChange(listener: (ca: LoadedCa, change: CaChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private makeIssuer(ca: LoadedCa): CertificateIssuer {
    return new CertificateIssuer(ca.authority, { now: this.now, randomBytes: (n) => randomBytes(n), ...(this.options.policy ? { policy: this.options.policy } : {}) });
  }

  private remember(ca: LoadedCa): void {
    const fresh = ca.authority.chain.filter((c) => !this.issuers.some((known) => known.equal(c)));
    this.issuers = [...fresh, ...this.issuers].slice(0, this.options.rememberedIssuers ?? 16);
  }
}
