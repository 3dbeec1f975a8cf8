/**
 * The simulated cluster's PKI: its own CA ("kubernetes", as kubeadm names it), the API server's
 * serving certificate for every name pods and clients use (kubernetes.default.svc…, the Service IP,
 * the listen address), and certificates for test servers (admission webhooks) from any CA.
 * EC P-256 keys, made fresh per cluster; the CA key never leaves this process.
 */
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportPrivateKeyPem, generateKeyPair, signingAlgorithm } from '../../../../ca/src/core/keys';
import { serialNumberFrom } from '../../../../ca/src/core/profiles';
import { type CryptoKey, x509 } from '../../../../ca/src/core/x509';

export interface CertificateAuthority {
  certPem: string;
  /** Kept for issuing; never written anywhere. */
  key: CryptoKey;
  cert: x509.X509Certificate;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

const day = 86_400_000;

export async function createCertificateAuthority(commonName = 'kubernetes', now = new Date()): Promise<CertificateAuthority> {
  const keys = await generateKeyPair('ec', true);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumberFrom(randomBytes(16)),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 365 * day),
    keys,
    signingAlgorithm: signingAlgorithm('ec'),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, key: keys.privateKey, cert };
}

/** A serving (and client) certificate for `names` (DNS names and IP addresses) signed by `ca`. */
export async function issueCertificate(ca: CertificateAuthority, names: readonly string[], commonName = names[0] ?? 'server', now = new Date()): Promise<IssuedCertificate> {
  const keys = await generateKeyPair('ec', true);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumberFrom(randomBytes(16)),
    subject: `CN=${commonName}`,
    issuer: ca.cert.subjectName,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 30 * day),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: signingAlgorithm('ec'),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }))),
    ],
  });
  return { certPem: `${cert.toString('pem')}\n`, keyPem: `${await exportPrivateKeyPem(keys.privateKey)}\n` };
}

/** Every name the API server answers to: in-cluster DNS names, the `kubernetes` Service IP, the addresses it listens on. */
export function apiServerNames(clusterDomain: string, addresses: readonly string[]): string[] {
  const dns = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${clusterDomain}`, 'localhost'];
  return [...new Set([...dns, '127.0.0.1', ...addresses.filter((a) => a && a !== '0.0.0.0' && a !== '::')])];
}
