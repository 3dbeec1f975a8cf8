/** A throwaway cluster CA and API server certificate (openssl), for the node's test API server. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServingCerts {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A CA and a serving certificate signed by it, valid for `ips` and `dnsNames`. */
export function makeServingCerts(dir: string, ips: readonly string[], dnsNames: readonly string[]): ServingCerts {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=simulated-cluster-ca', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=kube-apiserver', '-keyout', f('server.key'), '-out', f('server.csr'));
  const san = [...ips.map((ip) => `IP:${ip}`), ...dnsNames.map((d) => `DNS:${d}`)].join(',');
  execFileSync('sh', ['-c', `printf 'subjectAltName=${san}\\nextendedKeyUsage=serverAuth\\n' > ${f('ext.cnf')}`]);
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('ext.cnf'), '-out', f('server.crt'));
  return { caPem: readFileSync(f('ca.crt'), 'utf8'), certPem: readFileSync(f('server.crt'), 'utf8'), keyPem: readFileSync(f('server.key'), 'utf8') };
}
