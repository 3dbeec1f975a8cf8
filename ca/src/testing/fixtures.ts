/** Test fixtures: in-memory CAs, workload keys and CSRs. Used by ca tests and the bench only. */
import { randomBytes } from 'node:crypto';
import { assembleAuthority, type SigningAuthority } from '../core/authority';
import { CertificateIssuer } from '../core/issuer';
import { exportPrivateKeyPem, generateKeyPair, type KeyType, signingAlgorithm } from '../core/keys';
import { createLeafCertificate, serialNumberFrom } from '../core/profiles';
import { createSelfSignedRoot } from '../core/root';
import { type ValidityPolicy } from '../core/validity';
import { subtle, x509 } from '../core/x509';

export const fixedNow = new Date('2026-01-01T00:00:00Z');

export interface TestCa {
  authority: SigningAuthority;
  rootPem: string;
  keyPem: string;
}

export async function makeRootCa(keyType: KeyType = 'ec', trustDomain = 'cluster.local', now = new Date()): Promise<TestCa> {
  const root = await createSelfSignedRoot({ keyType, trustDomain, now, randomBytes: (n) => randomBytes(n) });
  const authority = await assembleAuthority({ trustDomain, caCertPem: root.certPem, caKeyPem: root.keyPem, certChainPem: '', rootBundlePem: root.certPem }, now);
  return { authority, rootPem: root.certPem, keyPem: root.keyPem };
}

/** An intermediate CA signed by `parent` (as an organisation would hand over for plugging in). */
export async function makeIntermediate(parent: TestCa, now = new Date()): Promise<{ caCertPem: string; caKeyPem: string; certChainPem: string; rootCertPem: string }> {
  const keys = await generateKeyPair('ec', true);
  const issuer = parent.authority.chain[0]!;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumberFrom(randomBytes(16)),
    subject: 'O=cluster.local, CN=Skein Intermediate CA',
    issuer: issuer.subjectName,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 365 * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: parent.authority.key,
    signingAlgorithm: signingAlgorithm(parent.authority.keyType),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caCertPem: cert.toString('pem'), caKeyPem: await exportPrivateKeyPem(keys.privateKey), certChainPem: parent.rootPem, rootCertPem: parent.rootPem };
}

export function issuerFor(ca: TestCa, now: () => Date = () => new Date(), policy?: ValidityPolicy): CertificateIssuer {
  return new CertificateIssuer(ca.authority, { now, randomBytes: (n) => randomBytes(n), ...(policy ? { policy } : {}) });
}

/** A CSR made with an arbitrary WebCrypto algorithm (to test refused key types). */
export async function csrWithKey(params: object, signing: object, sanUris: string[] = []): Promise<string> {
  const keys = (await subtle.generateKey(params as never, true, ['sign', 'verify'])) as never;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys,
    signingAlgorithm: signing as never,
    ...(sanUris.length ? { extensions: [new x509.SubjectAlternativeNameExtension(sanUris.map((value) => ({ type: 'url' as const, value })))] } : {}),
  });
  return csr.toString('pem');
}

/** A leaf certificate signed directly (bypassing checks), for TLS tests. */
export async function leafFor(ca: TestCa, spiffeId: string, now = new Date()): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair('ec', true);
  const leaf = await createLeafCertificate({
    issuer: ca.authority.chain[0]!,
    signingKey: ca.authority.key,
    signingKeyType: ca.authority.keyType,
    publicKey: await x509.PublicKey.create(keys.publicKey),
    names: [{ type: 'url', value: spiffeId }],
    validity: { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 3_600_000) },
    serialNumber: serialNumberFrom(randomBytes(16)),
  });
  return { certPem: leaf.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}
