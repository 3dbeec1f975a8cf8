import { leafFor, makeIntermediate, makeRootCa, type TestCa } from '../testing/fixtures';
import { assembleAuthority } from './authority';
import { exportPrivateKeyPem } from './keys';
import { type CryptoKeyPair, subtle } from './x509';

const now = new Date('2026-06-01T00:00:00Z');

describe('assembleAuthority', () => {
  let root: TestCa;
  let other: TestCa;
  beforeAll(async () => {
    root = await makeRootCa('ec', 'cluster.local', now);
    other = await makeRootCa('rsa', 'cluster.local', now);
  });

  it('accepts a plugged-in intermediate whose chain reaches a root of the bundle (bundle may hold several roots)', async () => {
    const inter = await makeIntermediate(root, now);
    const authority = await assembleAuthority({ trustDomain: 'cluster.local', ...inter, rootBundlePem: other.rootPem + root.rootPem }, now);
    expect(authority.chain).toHaveLength(2);
    expect(authority.roots).toHaveLength(2);
    // cert-chain.pem may also start with the CA certificate itself (Istio's layout)
    const again = await assembleAuthority({ trustDomain: 'cluster.local', ...inter, certChainPem: inter.caCertPem + inter.certChainPem, rootBundlePem: root.rootPem }, now);
    expect(again.chain).toHaveLength(2);
  });

  it.each([
    ['a key that is not the certificate\'s', async () => ({ caCertPem: root.rootPem, caKeyPem: other.keyPem, certChainPem: '', rootBundlePem: root.rootPem }), /ca-key does not match ca-cert/],
    ['a P-384 key', async () => {
      const k = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign'])) as CryptoKeyPair;
      return { caCertPem: root.rootPem, caKeyPem: await exportPrivateKeyPem(k.privateKey), certChainPem: '', rootBundlePem: root.rootPem };
    }, /unsupported private key EC secp384r1/],
    ['garbage as key', async () => ({ caCertPem: root.rootPem, caKeyPem: 'nope', certChainPem: '', rootBundlePem: root.rootPem }), /not a PEM private key/],
    ['garbage as certificate', async () => ({ caCertPem: 'nope', caKeyPem: root.keyPem, certChainPem: '', rootBundlePem: root.rootPem }), /ca-cert: no PEM certificate/],
    ['a root missing from the bundle', async () => ({ caCertPem: root.rootPem, caKeyPem: root.keyPem, certChainPem: '', rootBundlePem: other.rootPem }), /root-cert does not contain/],
    ['a chain that stops below the root', async () => {
      const inter = await makeIntermediate(root, now);
      return { ...inter, certChainPem: '', rootBundlePem: root.rootPem };
    }, /not a root; append its issuers/],
    ['a chain in the wrong order / wrong issuer', async () => {
      const inter = await makeIntermediate(root, now);
      return { ...inter, certChainPem: other.rootPem, rootBundlePem: other.rootPem };
    }, /is not signed by/],
  ])('refuses %s', async (_n, make, message) => {
    const pem = await make();
    await expect(assembleAuthority({ trustDomain: 'cluster.local', ...pem }, now)).rejects.toThrow(message);
  });

  it('refuses a leaf certificate as CA, and an expired CA', async () => {
    const leaf = await leafFor(root, 'spiffe://cluster.local/ns/a/sa/b', now);
    await expect(assembleAuthority({ trustDomain: 'cluster.local', caCertPem: leaf.certPem, caKeyPem: leaf.keyPem, certChainPem: root.rootPem, rootBundlePem: root.rootPem }, now)).rejects.toThrow(/not a CA certificate/);
    await expect(assembleAuthority({ trustDomain: 'cluster.local', caCertPem: root.rootPem, caKeyPem: root.keyPem, certChainPem: '', rootBundlePem: root.rootPem }, new Date(now.getTime() + 11 * 365 * 86_400_000))).rejects.toThrow(/ca-cert expired/);
  });
});
