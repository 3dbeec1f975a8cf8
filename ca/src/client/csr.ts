/** The workload's own key pair and CSR. The private key is made here and never sent. */
import { exportPrivateKeyPem, generateKeyPair, type KeyType, signingAlgorithm } from '../core/keys';
import { type CryptoKeyPair, x509 } from '../core/x509';

export interface WorkloadKey {
  keyType: KeyType;
  keys: CryptoKeyPair;
  /** PKCS#8 PEM, for the local TLS stack only. */
  privateKeyPem: string;
}

export async function generateWorkloadKey(keyType: KeyType = 'ec'): Promise<WorkloadKey> {
  const keys = await generateKeyPair(keyType, true);
  return { keyType, keys, privateKeyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/** PKCS#10 CSR (PEM) for `spiffeId`, signed by the workload key; the SAN is the SPIFFE id. */
export async function createCsr(key: WorkloadKey, spiffeId: string): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    keys: key.keys,
    signingAlgorithm: signingAlgorithm(key.keyType),
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])],
  });
  return csr.toString('pem');
}
