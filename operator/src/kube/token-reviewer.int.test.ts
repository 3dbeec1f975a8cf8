// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through (lead: add it); SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import { TokenReviewAuthenticator } from '../../../ca/src/auth/token-review';
import { KubeRestClient, kubeConfigFor } from './rest';
import { FakeApiServer } from './testing/fake-apiserver';
import { KubeTokenReviewer, PodNameExtra, PodUidExtra } from './token-reviewer';

describe('KubeTokenReviewer against the API double', () => {
  let api: FakeApiServer;
  let authenticator: TokenReviewAuthenticator;

  beforeEach(async () => {
    api = new FakeApiServer();
    authenticator = new TokenReviewAuthenticator(new KubeTokenReviewer(new KubeRestClient(kubeConfigFor(await api.start()))));
    api.put('v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', uid: 'uid-1' } });
    api.tokenReview = (spec) => spec.token === 'good'
      ? {
          authenticated: true, audiences: spec.audiences,
          user: { username: 'system:serviceaccount:shop:web', extra: { [PodNameExtra]: ['web-1'], [PodUidExtra]: ['uid-1'] } },
        }
      : { authenticated: false, error: 'token has expired' };
  });
  afterEach(() => api.close());

  it('proves the service account of a live pod, asking for audience skein-ca', async () => {
    await expect(authenticator.authenticate('good')).resolves.toMatchObject({ namespace: 'shop', serviceAccount: 'web', podName: 'web-1' });
    const review = api.requests.find((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews')!;
    expect(review.body).toMatchObject({ kind: 'TokenReview', spec: { token: 'good', audiences: ['skein-ca'] } });
  });

  it('refuses a token the API server rejects, with its reason', async () => {
    await expect(authenticator.authenticate('stale')).rejects.toThrow(/token has expired/);
  });

  it('refuses the token of a pod that no longer exists', async () => {
    api.remove('v1/pods', 'shop', 'web-1');
    await expect(authenticator.authenticate('good')).rejects.toThrow(/pod shop\/web-1 no longer exists/);
  });

  it('refuses the token of a deleted pod whose name was reused (uid differs)', async () => {
    api.remove('v1/pods', 'shop', 'web-1');
    api.put('v1/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', uid: 'uid-2' } });
    await expect(authenticator.authenticate('good')).rejects.toThrow(/different pod/);
  });

  it('reports an unreachable API server as unavailable (the proxy retries), not as a bad token', async () => {
    api.failNext('POST', /tokenreviews$/, 503, 1, 'ServiceUnavailable');
    await expect(authenticator.authenticate('good')).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
