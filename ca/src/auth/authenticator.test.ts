import { CaError, isCaError } from '../core/errors';
import { type Authenticator, bearerToken, FirstSuccessAuthenticator } from './authenticator';

const fixed = (name: string, result: 'ok' | CaError | Error): Authenticator => ({
  name,
  authenticate: async () => {
    if (result === 'ok') return { namespace: 'ns', serviceAccount: name, authenticator: name };
    throw result;
  },
});

describe('FirstSuccessAuthenticator', () => {
  it('returns the first authenticator that accepts the credential', async () => {
    const any = new FirstSuccessAuthenticator([fixed('a', new CaError('unauthenticated', 'no')), fixed('b', 'ok'), fixed('c', 'ok')]);
    await expect(any.authenticate('t')).resolves.toMatchObject({ serviceAccount: 'b' });
  });

  it('unauthenticated with every reason when all refuse; unavailable when one could not check', async () => {
    const refused = await new FirstSuccessAuthenticator([fixed('a', new CaError('unauthenticated', 'expired')), fixed('b', new CaError('unauthenticated', 'bad sig'))]).authenticate('t').catch((e: unknown) => e);
    expect(isCaError(refused, 'unauthenticated')).toBe(true);
    expect((refused as Error).message).toMatch(/a: expired; b: bad sig/);
    const down = await new FirstSuccessAuthenticator([fixed('a', new CaError('unauthenticated', 'no')), fixed('b', new CaError('unavailable', 'api down'))]).authenticate('t').catch((e: unknown) => e);
    expect(isCaError(down, 'unavailable')).toBe(true);
  });
});

describe('bearerToken', () => {
  it('reads "Bearer <token>"', () => expect(bearerToken('Bearer abc.def')).toBe('abc.def'));
  it.each([undefined, '', 'abc', 'Basic abc', 'Bearer ', 'Bearer a b'])('refuses %j', (header) => {
    expect(() => bearerToken(header)).toThrow(/missing credential/);
  });
});
