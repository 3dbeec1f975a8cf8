import type { RbacConfig } from '../config/model';
import { evaluateRbac, type RbacSubject } from './rbac';

const caller = 'spiffe://cluster.local/ns/frontend/sa/web';
const subject = (over: Partial<RbacSubject> = {}): RbacSubject => ({ principal: caller, namespace: 'frontend', destinationPort: 9080, path: '/api/items?x=1', method: 'GET', ...over });

describe('evaluateRbac', () => {
  it('allows everything without policies', () => expect(evaluateRbac([], subject()).allowed).toBe(true));

  it.each<[string, RbacConfig, Partial<RbacSubject>, boolean]>([
    ['ALLOW matching principal', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ principals: ['cluster.local/ns/frontend/sa/web'] }] }] }, {}, true],
    ['ALLOW other principal denies', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ principals: ['cluster.local/ns/x/sa/y'] }] }] }, {}, false],
    ['ALLOW principal wildcard', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ principals: ['cluster.local/ns/frontend/*'] }] }] }, {}, true],
    ['ALLOW with no rules denies all', { policies: [{ name: 'p', action: 'ALLOW', rules: [] }] }, {}, false],
    ['ALLOW with empty rule allows all', { policies: [{ name: 'p', action: 'ALLOW', rules: [{}] }] }, {}, true],
    ['DENY wins over ALLOW', { policies: [{ name: 'a', action: 'ALLOW', rules: [{}] }, { name: 'd', action: 'DENY', rules: [{ methods: ['GET'] }] }] }, {}, false],
    ['DENY not matching allows', { policies: [{ name: 'd', action: 'DENY', rules: [{ methods: ['DELETE'] }] }] }, {}, true],
    ['path prefix ignores query', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ paths: ['/api/*'] }] }] }, {}, true],
    ['path suffix', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ paths: ['*.png'] }] }] }, {}, false],
    ['notPaths', { policies: [{ name: 'p', action: 'DENY', rules: [{ notPaths: ['/health'] }] }] }, {}, false],
    ['namespaces', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ namespaces: ['frontend'] }] }] }, {}, true],
    ['notNamespaces', { policies: [{ name: 'p', action: 'DENY', rules: [{ notNamespaces: ['frontend'] }] }] }, {}, true],
    ['ports', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ ports: [8080] }] }] }, {}, false],
    ['all fields of a rule must match', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ methods: ['GET'], paths: ['/admin'] }] }] }, {}, false],
    ['any rule may match', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ paths: ['/admin'] }, { methods: ['GET'] }] }] }, {}, true],
    ['plaintext peer has no principal', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ principals: ['*'] }] }] }, { principal: undefined, namespace: undefined }, false],
    ['TCP: method rule never matches (ALLOW)', { policies: [{ name: 'p', action: 'ALLOW', rules: [{ methods: ['GET'] }] }] }, { path: undefined, method: undefined }, false],
    ['TCP: method rule never matches (DENY)', { policies: [{ name: 'p', action: 'DENY', rules: [{ methods: ['GET'] }] }] }, { path: undefined, method: undefined }, true],
  ])('%s', (_n, config, over, allowed) => expect(evaluateRbac([config], subject(over)).allowed).toBe(allowed));

  it('names the deciding policy', () => {
    expect(evaluateRbac([{ policies: [{ name: 'deny-get', action: 'DENY', rules: [{ methods: ['GET'] }] }] }], subject())).toEqual({ allowed: false, policy: 'deny-get' });
  });
});
