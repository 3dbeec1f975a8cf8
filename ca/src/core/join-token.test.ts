import { exportPrivateKeyPem, generateKeyPair } from './keys';
import { importJoinTokenKey, type JoinTokenKey, signJoinToken, verifyJoinToken } from './join-token';

const now = new Date('2026-06-01T00:00:00Z');
const nowS = now.getTime() / 1000;
const claims = { ns: 'shop', sa: 'alice', aud: 'skein-ca', iat: nowS, exp: nowS + 3600 };

describe('join tokens', () => {
  let key: JoinTokenKey;
  let otherKey: JoinTokenKey;
  beforeAll(async () => {
    key = await importJoinTokenKey(await exportPrivateKeyPem((await generateKeyPair('ec', true)).privateKey));
    otherKey = await importJoinTokenKey(await exportPrivateKeyPem((await generateKeyPair('ec', true)).privateKey));
  });

  it('round-trips the claims', async () => {
    const token = await signJoinToken(claims, key.signingKey, key.keyId);
    expect(token.split('.')).toHaveLength(3);
    await expect(verifyJoinToken(token, key.verifyKey, now)).resolves.toEqual(claims);
  });

  it.each([
    ['expired', async () => signJoinToken({ ...claims, exp: nowS }, key.signingKey, key.keyId), /expired/],
    ['signed by another CA (forged)', async () => signJoinToken(claims, otherKey.signingKey, otherKey.keyId), /signature is not valid/],
    ['for another audience', async () => signJoinToken({ ...claims, aud: 'someone-else' }, key.signingKey, key.keyId), /audience "someone-else"/],
    ['with edited claims', async () => {
      const [h, , s] = (await signJoinToken(claims, key.signingKey, key.keyId)).split('.');
      return `${h}.${Buffer.from(JSON.stringify({ ...claims, sa: 'admin' })).toString('base64url')}.${s}`;
    }, /signature is not valid/],
    ['alg none', async () => {
      const [, p] = (await signJoinToken(claims, key.signingKey, key.keyId)).split('.');
      return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'skein-join+jwt' })).toString('base64url')}.${p}.AA`;
    }, /not a Skein join token/],
    ['not a token', async () => 'hello', /malformed join token/],
    ['with a non-JSON header', async () => 'aGVsbG8.aGVsbG8.aGVsbG8', /header is not a JSON object/],
  ])('refuses a token %s', async (_n, make, message) => {
    const err = await verifyJoinToken(await make(), key.verifyKey, now).then(() => undefined, (e: unknown) => e as Error & { kind: string });
    expect(err?.kind).toBe('unauthenticated');
    expect(err?.message).toMatch(message);
  });

  it('will not mint a token for an invalid workload name', async () => {
    await expect(signJoinToken({ ...claims, ns: 'Bad_NS' }, key.signingKey, key.keyId)).rejects.toThrow(/invalid namespace/);
  });

  it('key must be P-256', async () => {
    await expect(importJoinTokenKey(await exportPrivateKeyPem((await generateKeyPair('rsa', true)).privateKey))).rejects.toThrow(/P-256/);
    await expect(importJoinTokenKey('junk')).rejects.toThrow(/not a PEM private key/);
  });
});
