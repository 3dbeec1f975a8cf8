import { requestInfo } from './request-info';

describe('request paths as kube-apiserver reads them', () => {
  const q = (s = '') => new URLSearchParams(s);
  it.each([
    ['GET', '/api/v1/pods', '', { verb: 'list', group: '', version: 'v1', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/shop/pods', 'watch=true', { verb: 'watch', namespace: 'shop', resource: 'pods' }],
    ['GET', '/api/v1/watch/namespaces/shop/pods', '', { verb: 'watch', namespace: 'shop', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/shop', '', { verb: 'get', namespace: 'shop', resource: 'namespaces', name: 'shop' }],
    ['PUT', '/api/v1/namespaces/shop/finalize', '', { verb: 'update', resource: 'namespaces', name: 'shop', subresource: 'finalize' }],
    ['PATCH', '/apis/apps/v1/namespaces/shop/deployments/web/scale', '', { verb: 'patch', group: 'apps', resource: 'deployments', name: 'web', subresource: 'scale' }],
    ['POST', '/api/v1/namespaces/shop/serviceaccounts/web/token', '', { verb: 'create', resource: 'serviceaccounts', name: 'web', subresource: 'token' }],
    ['DELETE', '/api/v1/namespaces/shop/pods', '', { verb: 'deletecollection', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/shop/pods/web:8080/proxy/a/b/', '', { verb: 'get', resource: 'pods', name: 'web:8080', subresource: 'proxy', rest: 'a/b/' }],
    ['GET', '/api/v1/namespaces/shop/pods/proxy/proxy/stats', '', { name: 'proxy', subresource: 'proxy', rest: 'stats' }],
  ])('%s %s?%s', (method, path, query, expected) => {
    expect(requestInfo(method, path, q(query))).toMatchObject({ isResource: true, ...expected });
  });

  it.each(['/version', '/api', '/apis', '/healthz'])('%s is not a resource', (path) => {
    expect(requestInfo('GET', path, q()).isResource).toBe(false);
  });
});
