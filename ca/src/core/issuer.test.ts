import { createCsr, generateWorkloadKey } from '../client/csr';
import { csrWithKey, issuerFor, makeRootCa, type TestCa } from '../testing/fixtures';
import { CaError } from './errors';
import { type CertificateIssuer } from './issuer';
import { x509 } from './x509';

const alice = { namespace: 'shop', serviceAccount: 'alice' };
const aliceId = 'spiffe://cluster.local/ns/shop/sa/alice';
const now = new Date('2026-06-01T12:00:00Z');

async function rejection(p: Promise<unknown>): Promise<CaError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(CaError);
  return err as CaError;
}

describe('CertificateIssuer', () => {
  let ca: TestCa;
  let issuer: CertificateIssuer;
  beforeAll(async () => {
    ca = await makeRootCa('ec', 'cluster.local', new Date('2026-01-01T00:00:00Z'));
    issuer = issuerFor(ca, () => now);
  });

  it('issues a SPIFFE leaf with the profile the mesh relies on', async () => {
    const key = await generateWorkloadKey('ec');
    const issued = await issuer.issueForIdentity(await createCsr(key, aliceId), undefined, alice);
    expect(issued.chainPem).toHaveLength(2);
    const [leaf, root] = issued.chainPem.map((p) => new x509.X509Certificate(p)) as [x509.X509Certificate, x509.X509Certificate];
    expect(root.equal(ca.authority.chain[0]!)).toBe(true);
    expect(leaf.subject).toBe('');
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.critical).toBe(true);
    expect(san.names.toJSON()).toEqual([{ type: 'url', value: aliceId }]);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(false);
    expect(leaf.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    const ski = root.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(ski);
    expect(leaf.getExtension(x509.SubjectKeyIdentifierExtension)).toBeTruthy();
    expect(leaf.notBefore.getTime()).toBe(now.getTime() - 5 * 60_000);
    expect(leaf.notAfter.getTime()).toBe(now.getTime() + 24 * 3_600_000);
    expect(await leaf.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
    expect(issued.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/);
  });

  it('accepts a CSR without SAN (the identity comes from the credential) and RSA-2048 keys', async () => {
    const rsa = await generateWorkloadKey('rsa');
    const csr = await csrWithKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' });
    const issued = await issuer.issueForIdentity(csr, 3_600_000, alice);
    expect(new x509.X509Certificate(issued.chainPem[0]!).getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON()).toEqual([{ type: 'url', value: aliceId }]);
    await expect(issuer.issueForIdentity(await createCsr(rsa, aliceId), 0, alice)).resolves.toBeDefined();
  });

  it.each([
    ['another workload', ['spiffe://cluster.local/ns/shop/sa/bob']],
    ['another trust domain', ['spiffe://evil.example/ns/shop/sa/alice']],
    ['an extra name', [aliceId, 'spiffe://cluster.local/ns/shop/sa/bob']],
  ])('refuses a CSR asking for %s: PERMISSION_DENIED', async (_n, uris) => {
    const csr = await csrWithKey({ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }, uris);
    const err = await rejection(issuer.issueForIdentity(csr, 0, alice));
    expect(err.kind).toBe('permission-denied');
    expect(err.message).toMatch(/identity mismatch/);
  });

  it.each([
    ['ECDSA P-384', { name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }, /ECDSA P-384 is not allowed/],
    ['RSA-1024', { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, /RSA 1024 is not allowed/],
    ['Ed25519', { name: 'Ed25519' }, { name: 'Ed25519' }, /Ed25519 is not allowed/],
  ])('refuses a %s key: INVALID_ARGUMENT', async (_n, params, signing, message) => {
    const err = await rejection(issuer.issueForIdentity(await csrWithKey(params, signing), 0, alice));
    expect(err.kind).toBe('invalid-argument');
    expect(err.message).toMatch(message);
  });

  it('refuses malformed CSRs and CSRs whose signature does not verify: INVALID_ARGUMENT', async () => {
    for (const bad of ['', 'not a csr', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n']) {
      const err = await rejection(issuer.issueForIdentity(bad, 0, alice));
      expect([err.kind, err.message]).toEqual(['invalid-argument', expect.stringMatching(/malformed CSR/)]);
    }
    const good = await createCsr(await generateWorkloadKey('ec'), aliceId);
    const der = Buffer.from(x509.PemConverter.decodeFirst(good));
    der[der.length - 5] = der[der.length - 5]! ^ 0xff; // inside the signature
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    const err = await rejection(issuer.issueForIdentity(tampered, 0, alice));
    expect(err.kind).toBe('invalid-argument');
    expect(err.message).toMatch(/malformed CSR/);
  });

  it('refuses a TTL over the maximum instead of clamping it', async () => {
    const csr = await createCsr(await generateWorkloadKey('ec'), aliceId);
    const err = await rejection(issuer.issueForIdentity(csr, 91 * 86_400_000, alice));
    expect(err.kind).toBe('invalid-argument');
    expect(err.message).toMatch(/exceeds the maximum 90d/);
  });
});
