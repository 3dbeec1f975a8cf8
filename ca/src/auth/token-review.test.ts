import { isCaError } from '../core/errors';
import { identityFromReview, type TokenReviewer, TokenReviewAuthenticator, type TokenReviewResult } from './token-review';

const ok: TokenReviewResult = { authenticated: true, username: 'system:serviceaccount:shop:alice', audiences: ['skein-ca'], podName: 'alice-7d9' };

describe('TokenReview adapter', () => {
  it('proves the service account of an authenticated, audience-bound token', () => {
    expect(identityFromReview(ok, 'skein-ca')).toEqual({ namespace: 'shop', serviceAccount: 'alice', podName: 'alice-7d9' });
  });

  it.each([
    ['not authenticated', { ...ok, authenticated: false, error: 'token expired' }, /rejected by the API server: token expired/],
    ['bound to another audience', { ...ok, audiences: ['https://kubernetes.default.svc'] }, /not bound to audience "skein-ca"/],
    ['without audiences', { ...ok, audiences: undefined }, /not bound to audience/],
    ['a user, not a service account', { ...ok, username: 'jane@example.com' }, /is not a service account/],
    ['a node', { ...ok, username: 'system:node:worker-1' }, /is not a service account/],
    ['a malformed service account name', { ...ok, username: 'system:serviceaccount:shop:a:b' }, /is not a service account/],
    ['an unusable namespace', { ...ok, username: 'system:serviceaccount:Shop:alice' }, /not usable in a SPIFFE id/],
  ])('refuses a token %s', (_n, result, message) => {
    expect(() => identityFromReview(result as TokenReviewResult, 'skein-ca')).toThrow(message);
  });

  it('asks for audience skein-ca and maps an unreachable API server to unavailable', async () => {
    const seen: string[][] = [];
    const reviewer: TokenReviewer = { review: async (_t, aud) => (seen.push(aud), ok) };
    await expect(new TokenReviewAuthenticator(reviewer).authenticate('tok')).resolves.toMatchObject({ namespace: 'shop', authenticator: 'token-review' });
    expect(seen).toEqual([['skein-ca']]);
    const down: TokenReviewer = { review: async () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const err = await new TokenReviewAuthenticator(down).authenticate('tok').catch((e: unknown) => e);
    expect(isCaError(err, 'unavailable')).toBe(true);
  });
});
