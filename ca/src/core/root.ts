/** Making a new self-signed root CA (`skein ca init`): key pair + 10-year root certificate, as PEM. */
import { validateTrustDomain } from '../../../api/src/spiffe';
import { exportPrivateKeyPem, generateKeyPair, type KeyType } from './keys';
import { createRootCertificate, serialNumberFrom } from './profiles';

export const rootValidityMs = 10 * 365 * 86_400_000;

export interface NewRoot {
  certPem: string;
  keyPem: string;
}

export async function createSelfSignedRoot(p: { keyType: KeyType; trustDomain: string; now: Date; randomBytes: (n: number) => Uint8Array; validityMs?: number }): Promise<NewRoot> {
  validateTrustDomain(p.trustDomain);
  const keys = await generateKeyPair(p.keyType, true);
  const notBefore = new Date(p.now.getTime() - 5 * 60_000);
  const cert = await createRootCertificate({
    keys,
    keyType: p.keyType,
    trustDomain: p.trustDomain,
    validity: { notBefore, notAfter: new Date(p.now.getTime() + (p.validityMs ?? rootValidityMs)) },
    serialNumber: serialNumberFrom(p.randomBytes(16)),
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKeyPem(keys.privateKey) + '\n' };
}
