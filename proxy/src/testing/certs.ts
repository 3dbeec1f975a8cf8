/**
 * Test certificates with SPIFFE URI SANs, made with the openssl CLI (EC P-256, fast): a mesh root,
 * workload leaves signed by it, and a second, unrelated root for "wrong CA" cases.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkloadCertificate } from '../../../api/src/identity';

export interface TestCa {
  certPem: string;
  keyPem: string;
  /** Issues a leaf for a SPIFFE id (`spiffe://cluster.local/ns/NS/sa/SA`), optionally with DNS SANs too. */
  issue(spiffeId: string, days?: number, dnsNames?: string[]): WorkloadCertificate;
  dispose(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(name = 'skein-test-root'): TestCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-ca-'));
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', `/O=skein/CN=${name}`, '-days', '3650', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return caIn(dir);
}

/**
 * A TestCa that signs with an existing CA (e.g. a local mesh's `skein ca init` directory, whose
 * leaves every sidecar of that mesh trusts). The key is copied into a private temp dir.
 */
export function testCaSignedBy(certPem: string, keyPem: string): TestCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-ca-'));
  fs.writeFileSync(path.join(dir, 'ca.pem'), certPem);
  fs.writeFileSync(path.join(dir, 'ca.key'), keyPem, { mode: 0o600 });
  return caIn(dir);
}

function caIn(dir: string): TestCa {
  const certPem = fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8');
  const keyPem = fs.readFileSync(path.join(dir, 'ca.key'), 'utf8');
  let serial = 0;
  return {
    certPem,
    keyPem,
    issue(spiffeId, days = 1, dnsNames = []) {
      const n = ++serial;
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `l${n}.key`], dir);
      openssl(['req', '-new', '-key', `l${n}.key`, '-subj', '/O=skein', '-out', `l${n}.csr`], dir);
      fs.writeFileSync(path.join(dir, `l${n}.ext`), `subjectAltName=critical,URI:${spiffeId}${dnsNames.map((d) => `,DNS:${d}`).join('')}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=critical,CA:FALSE\n`);
      openssl(['x509', '-req', '-in', `l${n}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(1000 + n), '-days', String(days), '-extfile', `l${n}.ext`, '-out', `l${n}.pem`], dir);
      const now = new Date();
      return {
        spiffeId,
        certChainPem: fs.readFileSync(path.join(dir, `l${n}.pem`), 'utf8'),
        privateKeyPem: fs.readFileSync(path.join(dir, `l${n}.key`), 'utf8'),
        trustBundlePem: certPem,
        notBefore: now,
        notAfter: new Date(now.getTime() + days * 86_400_000),
      };
    },
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
