/**
 * `npm run bench ca`: certificates issued per second by the CA's signing path, sequential and with
 * 8 requests in flight, for the two libraries of docs/adr/0002-x509-library.md:
 * - @peculiar/x509 over WebCrypto (the production path: CSR parse + signature check + key policy +
 *   leaf build + sign), with an ECDSA P-256 CA and with an RSA-2048 CA;
 * - node-forge (pure JS) signing an equivalent leaf with an RSA-2048 CA (it cannot do ECDSA).
 * Plus the client side: making a P-256 workload key and CSR. Each case is bounded by a count and a
 * time budget. Also reports the longest event-loop stall seen during the case: forge signs on the
 * JS thread and blocks every other request meanwhile; WebCrypto signs on libuv's thread pool.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import forge from 'node-forge';
import { createCsr, generateWorkloadKey } from '../ca/src/client/csr';
import { x509 } from '../ca/src/core/x509';
import { issuerFor, makeRootCa } from '../ca/src/testing/fixtures';

const maxCount = 400;
const budgetMs = 3000;
const alice = { namespace: 'bench', serviceAccount: 'alice' };
const aliceId = 'spiffe://cluster.local/ns/bench/sa/alice';

interface Row {
  case: string;
  inFlight: number;
  certs: number;
  perSecond: number;
  meanMs: number;
  maxStallMs: number;
}

async function measure(name: string, inFlight: number, once: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < 5; i++) await once(); // warm up
  const stall = monitorEventLoopDelay({ resolution: 5 });
  stall.enable();
  const start = performance.now();
  let started = 0;
  let done = 0;
  let busyMs = 0;
  const worker = async () => {
    while (started < maxCount && performance.now() - start < budgetMs) {
      started++;
      const t = performance.now();
      await once();
      busyMs += performance.now() - t;
      done++;
      await new Promise((resolve) => setImmediate(resolve)); // let the event loop turn, as between real requests
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = performance.now() - start;
  stall.disable();
  return { case: name, inFlight, certs: done, perSecond: Math.round((done / elapsed) * 1000), meanMs: +(busyMs / done).toFixed(2), maxStallMs: +(stall.max / 1e6).toFixed(1) };
}

/** node-forge: the same leaf profile as ca/src/core/profiles.ts, signed with RSA-2048 / SHA-256. */
function forgeSigner() {
  const ca = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const caKey = forge.pki.privateKeyFromPem(ca.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string);
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = forge.pki.publicKeyFromPem(ca.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  caCert.setSubject([{ name: 'commonName', value: 'forge root' }]);
  caCert.setIssuer(caCert.subject.attributes);
  caCert.setExtensions([{ name: 'basicConstraints', cA: true }, { name: 'subjectKeyIdentifier' }]);
  caCert.sign(caKey, forge.md.sha256.create());
  const leafKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const leafPublic = forge.pki.publicKeyFromPem(leafKey.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  return async () => {
    const cert = forge.pki.createCertificate();
    cert.publicKey = leafPublic;
    cert.serialNumber = '4' + randomBytes(15).toString('hex');
    cert.validity.notBefore = new Date(Date.now() - 300_000);
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 6, value: aliceId }], critical: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };
}

export async function run(): Promise<void> {
  const ecIssuer = issuerFor(await makeRootCa('ec'));
  const rsaIssuer = issuerFor(await makeRootCa('rsa'));
  const ecKey = await generateWorkloadKey('ec');
  const ecCsr = await createCsr(ecKey, aliceId);
  const ecPublic = await x509.PublicKey.create(ecKey.keys.publicKey);
  const names = [{ type: 'url' as const, value: aliceId }];
  const forgeSign = forgeSigner();
  const rows: Row[] = [];
  for (const inFlight of [1, 8]) {
    rows.push(await measure('@peculiar/x509 ECDSA P-256 CA (CSR checked)', inFlight, () => ecIssuer.issueForIdentity(ecCsr, 0, alice)));
    rows.push(await measure('@peculiar/x509 RSA-2048 CA (CSR checked)', inFlight, () => rsaIssuer.issueForIdentity(ecCsr, 0, alice)));
    rows.push(await measure('@peculiar/x509 ECDSA P-256 CA (sign only)', inFlight, () => ecIssuer.issue(ecPublic, names, 0)));
    rows.push(await measure('@peculiar/x509 RSA-2048 CA (sign only)', inFlight, () => rsaIssuer.issue(ecPublic, names, 0)));
    rows.push(await measure('node-forge RSA-2048 CA (sign only)', inFlight, forgeSign));
    rows.push(await measure('client: P-256 key + CSR', inFlight, async () => createCsr(await generateWorkloadKey('ec'), aliceId)));
    rows.push(await measure('client: RSA-2048 key + CSR', inFlight, async () => createCsr(await generateWorkloadKey('rsa'), aliceId)));
  }
  console.table(rows);
}
