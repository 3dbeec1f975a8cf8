/**
 * The one entry point to @peculiar/x509 (X.509 over WebCrypto, see docs/adr/0002-x509-library.md).
 * Loads the Reflect shim it needs and binds it to Node's WebCrypto. Import x509 and the WebCrypto
 * types from here only (the project compiles without the DOM lib).
 */
import './reflect-metadata-shim';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export { x509 };
export const subtle: webcrypto.SubtleCrypto = webcrypto.subtle;
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
export type Algorithm = webcrypto.Algorithm;
export type EcdsaParams = webcrypto.EcdsaParams;
export type EcKeyGenParams = webcrypto.EcKeyGenParams;
export type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
export type EcKeyImportParams = webcrypto.EcKeyImportParams;
