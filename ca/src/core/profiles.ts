/**
 * Certificate profiles: what a Skein root and a Skein leaf contain. One place for the extensions
 * so that every issuing path (gRPC service, CLI, the CA's own serving certificate) agrees.
 */
import { type KeyType, signingAlgorithm } from './keys';
import { type Validity } from './validity';
import { type CryptoKeyPair, type CryptoKey, x509 } from './x509';

/** 16 random bytes as a positive, minimally encoded serial number (RFC 5280 §4.1.2.2). */
export function serialNumberFrom(random: Uint8Array): string {
  if (random.length < 16) throw new Error('serial number needs 16 random bytes');
  const bytes = Uint8Array.from(random.subarray(0, 16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

export interface RootParams {
  keys: CryptoKeyPair;
  keyType: KeyType;
  trustDomain: string;
  validity: Validity;
  serialNumber: string;
}

/** Self-signed root: CA:true (critical), keyCertSign+cRLSign, SKI/AKI, URI SAN spiffe://<td>. */
export async function createRootCertificate(p: RootParams): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: p.serialNumber,
    name: [{ O: [p.trustDomain] }, { CN: ['Skein Root CA'] }],
    notBefore: p.validity.notBefore,
    notAfter: p.validity.notAfter,
    keys: p.keys,
    signingAlgorithm: signingAlgorithm(p.keyType),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(p.keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(p.keys.publicKey),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `spiffe://${p.trustDomain}` }]),
    ],
  });
}

export interface LeafParams {
  issuer: x509.X509Certificate;
  signingKey: CryptoKey;
  signingKeyType: KeyType;
  publicKey: x509.PublicKey;
  /** Subject alternative names: exactly one URI (SPIFFE id) for workloads; DNS/IP for serving certs. */
  names: { type: 'url' | 'dns' | 'ip'; value: string }[];
  validity: Validity;
  serialNumber: string;
}

/**
 * Leaf (SPIFFE X.509-SVID shape): empty subject, critical SAN, CA:false, digitalSignature +
 * keyEncipherment, EKU serverAuth + clientAuth, SKI, and AKI = the issuer's SKI.
 */
export async function createLeafCertificate(p: LeafParams): Promise<x509.X509Certificate> {
  const issuerSki = p.issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  const aki = issuerSki ? new x509.AuthorityKeyIdentifierExtension(issuerSki.keyId) : await x509.AuthorityKeyIdentifierExtension.create(p.issuer.publicKey);
  return x509.X509CertificateGenerator.create({
    serialNumber: p.serialNumber,
    subject: '',
    issuer: p.issuer.subjectName,
    notBefore: p.validity.notBefore,
    notAfter: p.validity.notAfter,
    publicKey: p.publicKey,
    signingKey: p.signingKey,
    signingAlgorithm: signingAlgorithm(p.signingKeyType),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(p.publicKey),
      aki,
      new x509.SubjectAlternativeNameExtension(p.names, true),
    ],
  });
}
