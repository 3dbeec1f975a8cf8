/**
 * A signing authority: the CA certificate, its private key, the chain above it and the trust
 * bundle. `assembleAuthority` checks everything a misconfigured CA directory could get wrong
 * (key does not match, not a CA, chain does not link, chain not anchored in the bundle) so that
 * the CA refuses to start instead of issuing certificates nobody can verify.
 */
import { CaError } from './errors';
import { importPrivateKeyPem, type KeyType, signingAlgorithm } from './keys';
import { parseCertificates } from './pem';
import { type CryptoKey, type EcKeyImportParams, subtle, x509 } from './x509';

export interface SigningAuthority {
  trustDomain: string;
  /** The CA certificate first, then its issuers up to and including the root. */
  chain: x509.X509Certificate[];
  key: CryptoKey;
  keyType: KeyType;
  /** Every trusted root (several while a root is being rotated). */
  roots: x509.X509Certificate[];
}

export interface AuthorityPem {
  trustDomain: string;
  caCertPem: string;
  caKeyPem: string;
  /** Issuers of the CA certificate up to the root; empty for a self-signed root CA. May repeat ca-cert. */
  certChainPem: string;
  rootBundlePem: string;
}

function isCa(cert: x509.X509Certificate): boolean {
  return cert.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

function label(cert: x509.X509Certificate): string {
  return cert.subject || `serial ${cert.serialNumber}`;
}

/** Proves that `key` is the private half of `cert` by signing a probe and verifying it. */
async function keyMatchesCertificate(key: CryptoKey, keyType: KeyType, cert: x509.X509Certificate): Promise<boolean> {
  const alg = signingAlgorithm(keyType);
  const probe = new TextEncoder().encode('skein-ca key match probe');
  const signature = await subtle.sign(alg, key, probe);
  let publicKey: CryptoKey;
  try {
    publicKey = await cert.publicKey.export({ ...alg, ...(keyType === 'ec' ? { namedCurve: 'P-256' } : {}) } as EcKeyImportParams, ['verify']);
  } catch {
    return false;
  }
  return subtle.verify(alg, publicKey, signature, probe);
}

export async function assembleAuthority(pem: AuthorityPem, now: Date): Promise<SigningAuthority> {
  const [caCert, ...extra] = parseCertificates(pem.caCertPem, 'ca-cert');
  if (!caCert || extra.length > 0) throw new CaError('invalid-argument', 'ca-cert: expected exactly one certificate');
  const { key, type } = await importPrivateKeyPem(pem.caKeyPem);
  if (!isCa(caCert)) throw new CaError('invalid-argument', `ca-cert (${label(caCert)}) is not a CA certificate (basicConstraints CA:true missing)`);
  const usage = caCert.getExtension(x509.KeyUsagesExtension);
  if (usage && !(usage.usages & x509.KeyUsageFlags.keyCertSign)) throw new CaError('invalid-argument', `ca-cert (${label(caCert)}) may not sign certificates (keyUsage lacks keyCertSign)`);
  if (!(await keyMatchesCertificate(key, type, caCert))) throw new CaError('invalid-argument', 'ca-key does not match ca-cert');
  if (caCert.notAfter.getTime() <= now.getTime()) throw new CaError('invalid-argument', `ca-cert expired at ${caCert.notAfter.toISOString()}`);

  const roots = parseCertificates(pem.rootBundlePem, 'root-cert');
  let parents = pem.certChainPem.trim() === '' ? [] : parseCertificates(pem.certChainPem, 'cert-chain');
  if (parents[0]?.equal(caCert)) parents = parents.slice(1);
  const chain = [caCert, ...parents];
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i]!;
    const parent = chain[i + 1]!;
    if (!isCa(parent)) throw new CaError('invalid-argument', `cert-chain: ${label(parent)} is not a CA certificate`);
    if (!(await child.verify({ publicKey: parent.publicKey, signatureOnly: true }))) {
      throw new CaError('invalid-argument', `cert-chain: ${label(child)} is not signed by ${label(parent)}; order the chain from the CA certificate up to the root`);
    }
  }
  const top = chain[chain.length - 1]!;
  if (!roots.some((root) => root.equal(top))) {
    const selfSigned = await top.isSelfSigned();
    throw new CaError('invalid-argument', selfSigned
      ? `root-cert does not contain the chain's root (${label(top)})`
      : `cert-chain ends at ${label(top)}, which is not a root; append its issuers up to the root`);
  }
  return { trustDomain: pem.trustDomain, chain, key, keyType: type, roots };
}
