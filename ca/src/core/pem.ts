/** PEM lists: certificate chains and trust bundles are concatenated PEM blocks. */
import { CaError } from './errors';
import { x509 } from './x509';

const certificateBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Splits concatenated PEM into certificate blocks (other blocks and text between them are ignored). */
export function splitPemCertificates(pem: string): string[] {
  return pem.match(certificateBlock) ?? [];
}

/** Parses every certificate in a PEM text; `what` names the input in errors. */
export function parseCertificates(pem: string, what: string): x509.X509Certificate[] {
  const blocks = splitPemCertificates(pem);
  if (blocks.length === 0) throw new CaError('invalid-argument', `${what}: no PEM certificate found`);
  return blocks.map((block, i) => {
    try {
      return new x509.X509Certificate(block);
    } catch (err) {
      throw new CaError('invalid-argument', `${what}: certificate #${i + 1} is not valid X.509: ${(err as Error).message}`);
    }
  });
}

export function joinPem(certs: readonly (x509.X509Certificate | string)[]): string {
  return certs.map((c) => (typeof c === 'string' ? c : c.toString('pem')).trim() + '\n').join('');
}
