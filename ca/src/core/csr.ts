/**
 * CSR checks applied before anything is signed: it parses, its signature is valid (the requester
 * holds the private key), the key type is allowed, and any SAN it asks for is exactly the identity
 * the caller proved. The CA ignores the rest of the CSR (subject, other extensions): the leaf's
 * content comes from the profile, never from the requester.
 */
import { CaError } from './errors';
import { allowedKeyType } from './keys';
import { x509 } from './x509';

const sanOid = '2.5.29.17';

export async function checkCsr(csrPem: string, provenSpiffeId: string): Promise<x509.PublicKey> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new CaError('invalid-argument', `malformed CSR: ${(err as Error).message}`);
  }
  allowedKeyType(csr.publicKey);
  let valid: boolean;
  try {
    valid = await csr.verify();
  } catch (err) {
    throw new CaError('invalid-argument', `malformed CSR: cannot verify its signature: ${(err as Error).message}`);
  }
  if (!valid) throw new CaError('invalid-argument', 'malformed CSR: signature does not match its public key');

  const sans = csr.getExtensions(sanOid);
  if (sans.length > 0) {
    let names: { type: string; value: string }[];
    try {
      names = sans.flatMap((ext) => new x509.SubjectAlternativeNameExtension(ext.rawData).names.toJSON());
    } catch (err) {
      throw new CaError('invalid-argument', `malformed CSR: unreadable subjectAltName: ${(err as Error).message}`);
    }
    const requested = names.map((n) => `${n.type}:${n.value}`);
    if (requested.length !== 1 || names[0]!.type !== 'url' || names[0]!.value !== provenSpiffeId) {
      throw new CaError('permission-denied', `identity mismatch: the CSR asks for [${requested.join(', ')}] but the caller proved ${provenSpiffeId}`);
    }
  }
  return csr.publicKey;
}
