// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through; SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import * as k8s from '@kubernetes/client-node';
import { TokenReviewAuthenticator } from '../../../ca/src/auth/token-review';
import { KubeRestClient } from '../../../operator/src/kube/rest';
import { KubeTokenReviewer } from '../../../operator/src/kube/token-reviewer';
import { type SimulatedApiServer, startSimulatedApiServer } from './index';
import { applyAll, installManifests, raw } from './testing';

jest.setTimeout(60_000);

describe('service-account tokens: TokenRequest, TokenReview, authentication and RBAC', () => {
  let api: SimulatedApiServer;
  let skew = 0;
  let controlPlaneToken: string;
  let podUid: string;

  const tokenRequest = (ns: string, sa: string, spec: Record<string, unknown>) =>
    raw(api, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
  const review = (token: string, audiences: string[], as = controlPlaneToken) =>
    raw(api, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences } }, { token: as });
  const pod = (name: string, sa: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { serviceAccountName: sa, containers: [{ name: 'c', image: 'x:1' }] } });

  beforeAll(async () => {
    api = await startSimulatedApiServer({ now: () => new Date(Date.now() + skew) });
    await applyAll(api, installManifests().filter((o) => o.kind !== 'Deployment'));
    await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    await api.settled();
    await raw(api, 'POST', '/api/v1/namespaces/shop/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } });
    podUid = (await raw(api, 'POST', '/api/v1/namespaces/shop/pods', pod('web-1', 'web'))).json.metadata.uid;
    const cpPod = await raw(api, 'POST', '/api/v1/namespaces/skein-system/pods', pod('skein-controlplane-0', 'skein-controlplane'));
    const issued = await tokenRequest('skein-system', 'skein-controlplane', { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'skein-controlplane-0', uid: cpPod.json.metadata.uid } });
    controlPlaneToken = issued.json.status.token;
  });
  afterAll(() => api.stop());

  it('issues a pod-bound token for an audience that TokenReview confirms, with the pod in user.extra', async () => {
    const issued = await tokenRequest('shop', 'web', { audiences: ['skein-ca'], expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-1', uid: podUid } });
    expect(issued.status).toBe(201);
    expect(issued.json).toMatchObject({ kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', spec: { audiences: ['skein-ca'], expirationSeconds: 3600 }, status: { token: expect.any(String), expirationTimestamp: expect.stringMatching(/Z$/) } });
    const claims = JSON.parse(Buffer.from(issued.json.status.token.split('.')[1], 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ iss: 'https://kubernetes.default.svc.cluster.local', sub: 'system:serviceaccount:shop:web', aud: ['skein-ca'], 'kubernetes.io': { namespace: 'shop', serviceaccount: { name: 'web' }, pod: { name: 'web-1', uid: podUid } } });
    expect(claims.exp - claims.iat).toBe(3600);
    const reviewed = await review(issued.json.status.token, ['skein-ca']);
    expect(reviewed.status).toBe(201);
    expect(reviewed.json.status).toMatchObject({
      authenticated: true, audiences: ['skein-ca'],
      user: { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'], extra: { 'authentication.kubernetes.io/pod-name': ['web-1'], 'authentication.kubernetes.io/pod-uid': [podUid] } },
    });
  });

  it('is what the CA\'s TokenReview authenticator proves through the operator\'s reviewer, as the control plane', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: 'c', server: api.url, caData: Buffer.from(api.caPem).toString('base64') }], users: [{ name: 'u', token: controlPlaneToken }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const authenticator = new TokenReviewAuthenticator(new KubeTokenReviewer(new KubeRestClient(kc)));
    const token = (await tokenRequest('shop', 'web', { audiences: ['skein-ca'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-1', uid: podUid } })).json.status.token;
    await expect(authenticator.authenticate(token)).resolves.toMatchObject({ namespace: 'shop', serviceAccount: 'web', podName: 'web-1' });
    const apiToken = (await tokenRequest('shop', 'web', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-1', uid: podUid } })).json.status.token;
    await expect(authenticator.authenticate(apiToken)).rejects.toThrow('token audiences ["https://kubernetes.default.svc.cluster.local"] is invalid for the target audiences ["skein-ca"]');
  });

  it('refuses a token for another audience, an expired one, and one whose pod is gone', async () => {
    const other = (await tokenRequest('shop', 'web', { audiences: ['other'] })).json.status.token;
    expect((await review(other, ['skein-ca'])).json.status).toEqual({ authenticated: false, user: {}, error: '[invalid bearer token, token audiences ["other"] is invalid for the target audiences ["skein-ca"]]' });

    const shortLived = (await tokenRequest('shop', 'web', { audiences: ['skein-ca'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-1', uid: podUid } })).json.status.token;
    skew = 661_000; // past expiry plus go-jose's minute of leeway
    try {
      expect((await review(shortLived, ['skein-ca'])).json.status.error).toBe('[invalid bearer token, service account token has expired]');
    } finally {
      skew = 0;
    }

    const bound = (await tokenRequest('shop', 'web', { audiences: ['skein-ca'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-1', uid: podUid } })).json.status.token;
    await raw(api, 'DELETE', '/api/v1/namespaces/shop/pods/web-1'); // not scheduled: gone at once
    expect((await review(bound, ['skein-ca'])).json.status.error).toBe('[invalid bearer token, service account token has been invalidated]');
    const again = await raw(api, 'POST', '/api/v1/namespaces/shop/pods', pod('web-1', 'web'));
    expect((await review(bound, ['skein-ca'])).json.status.error).toBe(`[invalid bearer token, pod UID (${again.json.metadata.uid}) does not match service account pod ref claim (${podUid})]`);
    podUid = again.json.metadata.uid;
    expect((await review('not-a-jwt', ['skein-ca'])).json.status).toEqual({ user: {} });
  });

  it('checks TokenRequests as the API server does', async () => {
    const tooShort = await tokenRequest('shop', 'web', { expirationSeconds: 599 });
    expect(tooShort).toMatchObject({ status: 422, json: { message: 'TokenRequest.authentication.k8s.io "web" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes' } });
    const noPod = await tokenRequest('shop', 'web', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'ghost' } });
    expect(noPod).toMatchObject({ status: 404, json: { message: 'pods "ghost" not found' } });
    const otherSa = await tokenRequest('shop', 'default', { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-1' } });
    expect(otherSa.status).toBe(400);
    const noSa = await tokenRequest('shop', 'nobody', {});
    expect(noSa).toMatchObject({ status: 404, json: { message: 'serviceaccounts "nobody" not found' } });
  });

  it('authenticates pods by their projected token and enforces the install\'s RBAC on them', async () => {
    const list = await raw(api, 'GET', '/api/v1/pods', undefined, { token: controlPlaneToken });
    expect(list.status).toBe(200);
    const secrets = await raw(api, 'GET', '/api/v1/secrets', undefined, { token: controlPlaneToken });
    expect(secrets).toMatchObject({
      status: 403,
      json: { kind: 'Status', reason: 'Forbidden', code: 403, details: { kind: 'secrets' }, message: 'secrets is forbidden: User "system:serviceaccount:skein-system:skein-controlplane" cannot list resource "secrets" in API group "" at the cluster scope' },
    });
    expect((await raw(api, 'GET', '/api/v1/namespaces/skein-system/secrets/cacerts', undefined, { token: controlPlaneToken })).status).toBe(404); // allowed by name, absent
    const other = await raw(api, 'GET', '/api/v1/namespaces/skein-system/secrets/other', undefined, { token: controlPlaneToken });
    expect(other.json.message).toBe('secrets "other" is forbidden: User "system:serviceaccount:skein-system:skein-controlplane" cannot get resource "secrets" in API group "" in the namespace "skein-system"');
    const ssar = await raw(api, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'patch', group: 'networking.skein.dev', resource: 'virtualservices', subresource: 'status', namespace: 'shop' } } }, { token: controlPlaneToken });
    expect(ssar.json.status).toEqual({ allowed: true });
    expect((await raw(api, 'GET', '/version', undefined, { token: controlPlaneToken })).json.gitVersion).toBe('v1.33.1');
    expect((await raw(api, 'GET', '/api/v1/pods', undefined, { token: `${controlPlaneToken}x` })).status).toBe(401);
  });
});
