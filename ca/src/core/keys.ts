/**
 * Key types Skein accepts and makes: ECDSA P-256 (default) and RSA >= 2048 bits, both with SHA-256.
 * Everything about key algorithms lives here: generation, PEM import/export, the signing algorithm
 * for a key, and the policy check applied to public keys in CSRs.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { CaError } from './errors';
import { type EcKeyGenParams, type RsaHashedKeyGenParams, type EcdsaParams, type Algorithm, type CryptoKeyPair, type CryptoKey, subtle, x509 } from './x509';

export type KeyType = 'ec' | 'rsa';
export const keyTypes: readonly KeyType[] = ['ec', 'rsa'];
export const minRsaBits = 2048;

const ecParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const rsaParams = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };

export function parseKeyType(text: string): KeyType {
  if (text === 'ec' || text === 'rsa') return text;
  throw new CaError('invalid-argument', `invalid key type "${text}": use ec (ECDSA P-256) or rsa (RSA 2048)`);
}

/** Algorithm parameters for generating, importing and signing with a key of this type. */
export function keyAlgorithm(type: KeyType): EcKeyGenParams & { hash: string } | RsaHashedKeyGenParams {
  return type === 'ec' ? { ...ecParams } : { ...rsaParams };
}

/** Signing algorithm of certificates and CSRs made with a key of this type. */
export function signingAlgorithm(type: KeyType): EcdsaParams | Algorithm {
  return type === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
}

/** Makes a key pair; `extractable` only when the private key must be written out as PEM. */
export async function generateKeyPair(type: KeyType, extractable: boolean): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(keyAlgorithm(type), extractable, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Parses any PEM private key format openssl writes; INVALID_ARGUMENT if it is none. */
export function parsePrivateKeyPem(pem: string, what = 'private key'): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new CaError('invalid-argument', `${what}: not a PEM private key: ${(err as Error).message}`);
  }
}

export interface ImportedPrivateKey {
  type: KeyType;
  key: CryptoKey;
}

/**
 * Imports a private key from PEM (PKCS#8, SEC1 `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`, as
 * openssl writes them) for signing. Throws if it is not an allowed key type.
 */
export async function importPrivateKeyPem(pem: string): Promise<ImportedPrivateKey> {
  const keyObject = parsePrivateKeyPem(pem);
  const details = keyObject.asymmetricKeyDetails ?? {};
  let type: KeyType;
  if (keyObject.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') type = 'ec';
  else if (keyObject.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= minRsaBits) type = 'rsa';
  else {
    const what = keyObject.asymmetricKeyType === 'ec' ? `EC ${details.namedCurve}` : `${keyObject.asymmetricKeyType} ${details.modulusLength ?? ''}`.trim();
    throw new CaError('invalid-argument', `unsupported private key ${what}: use ECDSA P-256 or RSA >= ${minRsaBits} bits`);
  }
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  const key = await subtle.importKey('pkcs8', der, keyAlgorithm(type), false, ['sign']);
  return { type, key };
}

/** The key type of a public key if Skein accepts it; otherwise INVALID_ARGUMENT naming what it got. */
export function allowedKeyType(publicKey: x509.PublicKey): KeyType {
  const alg = publicKey.algorithm as Algorithm & { namedCurve?: string; modulusLength?: number };
  if (alg.name === 'ECDSA' && alg.namedCurve === 'P-256') return 'ec';
  if ((alg.name === 'RSASSA-PKCS1-v1_5' || alg.name === 'RSA-PSS') && (alg.modulusLength ?? 0) >= minRsaBits) return 'rsa';
  const what = alg.name === 'ECDSA' ? `ECDSA ${alg.namedCurve ?? '(unknown curve)'}` : alg.modulusLength ? `RSA ${alg.modulusLength}` : alg.name;
  throw new CaError('invalid-argument', `key type ${what} is not allowed: use ECDSA P-256 or RSA >= ${minRsaBits} bits`);
}
