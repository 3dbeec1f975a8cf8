/**
 * Join tokens (local mode): a compact JWS (RFC 7515) signed with ES256 by the CA's token key,
 * carrying { ns, sa, aud, iat, exp }. Only the holder of the CA directory can mint one; the CA
 * verifies signature, algorithm, audience and expiry before it trusts ns/sa.
 */
import { createPublicKey } from 'node:crypto';
import { CaTokenAudience } from '../../../api/src/names';
import { spiffeId } from '../../../api/src/spiffe';
import { CaError } from './errors';
import { parsePrivateKeyPem } from './keys';
import { type CryptoKey, subtle } from './x509';

export interface JoinTokenClaims {
  ns: string;
  sa: string;
  aud: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
}

const es256 = { name: 'ECDSA', hash: 'SHA-256' };
export const joinTokenType = 'skein-join+jwt';

function b64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new CaError('unauthenticated', `malformed join token: ${what} is not a JSON object`);
}

export async function signJoinToken(claims: JoinTokenClaims, key: CryptoKey, keyId: string): Promise<string> {
  spiffeId('x', claims.ns, claims.sa);
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: joinTokenType, kid: keyId }));
  const payload = b64url(JSON.stringify(claims));
  const signature = new Uint8Array(await subtle.sign(es256, key, new TextEncoder().encode(`${header}.${payload}`)));
  return `${header}.${payload}.${b64url(signature)}`;
}

/** Verifies a join token; returns its claims or throws CaError('unauthenticated') saying why. */
export async function verifyJoinToken(token: string, publicKey: CryptoKey, now: Date, audience: string = CaTokenAudience): Promise<JoinTokenClaims> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw new CaError('unauthenticated', 'malformed join token: expected header.payload.signature');
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h, 'header');
  if (header.alg !== 'ES256' || header.typ !== joinTokenType) throw new CaError('unauthenticated', `not a Skein join token (alg ${String(header.alg)}, typ ${String(header.typ)})`);
  const signature = Buffer.from(s, 'base64url');
  const ok = signature.length === 64 && (await subtle.verify(es256, publicKey, signature, new TextEncoder().encode(`${h}.${p}`)));
  if (!ok) throw new CaError('unauthenticated', 'join token signature is not valid (not signed by this CA)');
  const c = decodeJson(p, 'payload');
  if (typeof c.ns !== 'string' || typeof c.sa !== 'string' || typeof c.aud !== 'string' || typeof c.exp !== 'number' || typeof c.iat !== 'number') {
    throw new CaError('unauthenticated', 'malformed join token: claims ns, sa, aud, iat, exp are required');
  }
  if (c.aud !== audience) throw new CaError('unauthenticated', `join token audience "${c.aud}" is not "${audience}"`);
  if (c.exp * 1000 <= now.getTime()) throw new CaError('unauthenticated', `join token expired at ${new Date(c.exp * 1000).toISOString()}`);
  try {
    spiffeId('x', c.ns, c.sa);
  } catch (err) {
    throw new CaError('unauthenticated', `join token names an invalid workload: ${(err as Error).message}`);
  }
  return { ns: c.ns, sa: c.sa, aud: c.aud, iat: c.iat, exp: c.exp };
}

export interface JoinTokenKey {
  signingKey: CryptoKey;
  verifyKey: CryptoKey;
  /** Short id of the key (first 8 bytes of the SHA-256 of its SPKI, hex), the token's `kid`. */
  keyId: string;
}

/** Loads the CA's token key (EC P-256 PEM) for signing and verifying join tokens. */
export async function importJoinTokenKey(privateKeyPem: string): Promise<JoinTokenKey> {
  const priv = parsePrivateKeyPem(privateKeyPem, 'join token key');
  if (priv.asymmetricKeyType !== 'ec' || priv.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new CaError('invalid-argument', 'join token key must be ECDSA P-256 (ES256)');
  const params = { name: 'ECDSA', namedCurve: 'P-256' };
  const spki = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  const signingKey = await subtle.importKey('pkcs8', priv.export({ type: 'pkcs8', format: 'der' }), params, false, ['sign']);
  const verifyKey = await subtle.importKey('spki', spki, params, true, ['verify']);
  const keyId = Buffer.from(await subtle.digest('SHA-256', spki)).subarray(0, 8).toString('hex');
  return { signingKey, verifyKey, keyId };
}
