// The identity in a client certificate, checked against the trust bundle and clock of *now*.
import { randomBytes } from 'node:crypto';
import { fixedNow, issuerFor, makeIntermediate, makeRootCa, type TestCa } from '../testing/fixtures';
import { assembleAuthority } from './authority';
import { workloadIdentityOf, type TrustAnchors } from './client-certificate';
import { CertificateIssuer } from './issuer';
import { generateKeyPair } from './keys';
import { type LeafParams } from './profiles';
import { x509 } from './x509';

const h = 3_600_000;
const at = (ms: number) => new Date(fixedNow.getTime() + ms);

async function leaf(issuer: CertificateIssuer, names: LeafParams['names'], ttlMs = h): Promise<Uint8Array> {
  const keys = await generateKeyPair('ec', true);
  const issued = await issuer.issue(await x509.PublicKey.create(keys.publicKey), names, ttlMs);
  return new Uint8Array(new x509.X509Certificate(issued.chainPem[0]!).rawData);
}

describe('workloadIdentityOf', () => {
  let root: TestCa;
  let other: TestCa;
  let intermediate: CertificateIssuer;
  let intermediateCert: x509.X509Certificate;
  const alice: LeafParams['names'] = [{ type: 'url', value: 'spiffe://cluster.local/ns/shop/sa/alice' }];
  const anchors = (o: Partial<TrustAnchors> = {}): TrustAnchors => ({ trustDomain: 'cluster.local', roots: root.authority.roots, intermediates: [], ...o });

  beforeAll(async () => {
    [root, other] = await Promise.all([makeRootCa('ec', 'cluster.local', fixedNow), makeRootCa('ec', 'cluster.local', fixedNow)]);
    const pem = await makeIntermediate(root, fixedNow);
    const authority = await assembleAuthority({ trustDomain: 'cluster.local', caCertPem: pem.caCertPem, caKeyPem: pem.caKeyPem, certChainPem: pem.certChainPem, rootBundlePem: pem.rootCertPem }, fixedNow);
    intermediate = new CertificateIssuer(authority, { now: () => fixedNow, randomBytes: (n) => randomBytes(n) });
    intermediateCert = authority.chain[0]!;
  });

  it('a current workload certificate under a root of the bundle proves its SPIFFE id', async () => {
    const der = await leaf(issuerFor(root, () => fixedNow), alice);
    expect(await workloadIdentityOf(der, anchors(), at(60_000))).toEqual({ trustDomain: 'cluster.local', namespace: 'shop', serviceAccount: 'alice' });
  });

  it('through an intermediate the CA knows', async () => {
    const der = await leaf(intermediate, alice);
    expect(await workloadIdentityOf(der, anchors({ intermediates: [intermediateCert] }), at(60_000))).toMatchObject({ serviceAccount: 'alice' });
    await expect(workloadIdentityOf(der, anchors(), at(60_000))).rejects.toThrow(/does not chain to a root of the current trust bundle/);
  });

  it.each([
    ['expired', async () => leaf(issuerFor(root, () => fixedNow), alice), () => anchors(), at(2 * h), /^client certificate expired at 2026-01-01T01:00:00.000Z$/],
    ['not valid yet (clock behind)', async () => leaf(issuerFor(root, () => fixedNow), alice), () => anchors(), at(-h), /^client certificate is not valid before/],
    ['issued by another CA', async () => leaf(issuerFor(other, () => fixedNow), alice), () => anchors(), at(60_000), /does not chain to a root of the current trust bundle/],
    ['its root retired (still remembered as a former signer)', async () => leaf(issuerFor(other, () => fixedNow), alice), () => anchors({ intermediates: other.authority.chain }), at(60_000), /does not chain to a root of the current trust bundle/],
    ['a serving certificate (DNS names)', async () => leaf(issuerFor(root, () => fixedNow), [{ type: 'dns', value: 'skein-controlplane.skein-system.svc' }]), () => anchors(), at(60_000), /not a workload certificate: expected exactly one SPIFFE id SAN, got \[dns:skein-controlplane.skein-system.svc\]/],
    ['two SPIFFE ids', async () => leaf(issuerFor(root, () => fixedNow), [...alice, { type: 'url', value: 'spiffe://cluster.local/ns/shop/sa/bob' }]), () => anchors(), at(60_000), /not a workload certificate/],
    ['another trust domain', async () => leaf(issuerFor(root, () => fixedNow), [{ type: 'url', value: 'spiffe://evil.example/ns/shop/sa/alice' }]), () => anchors(), at(60_000), /trust domain evil.example, this control plane serves cluster.local/],
    ['a CA certificate', async () => new Uint8Array(root.authority.chain[0]!.rawData), () => anchors(), at(60_000), /is a CA certificate/],
    ['not X.509', async () => new Uint8Array([1, 2, 3]), () => anchors(), at(60_000), /not valid X.509/],
  ])('refused: %s', async (_what, make, anchorsOf, now, message) => {
    const der = await make();
    const err = await workloadIdentityOf(der, anchorsOf(), now).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unauthenticated' });
    expect((err as Error).message).toMatch(message);
  });
});
