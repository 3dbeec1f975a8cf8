/** AuthorizationPolicy (security.skein.dev/v1alpha1): who may call a workload, and how. */
import { type Infer, array, enumOf, object, required, string, unsupported } from './schema/dsl';
import { WorkloadSelector } from './common';
import { authzPath, httpMethod, ipBlock, portString, principal, wildcardValue } from './formats';

const values = (format: Parameters<typeof string>[0]) => array(string(format));

/** A check for Source and Operation: Istio refuses an empty one (it would match everything by accident). */
function notEmpty(what: string) {
  return (value: Record<string, unknown>, report: (path: [], message: string) => void): void => {
    const set = Object.values(value).some((v) => Array.isArray(v) && v.length > 0);
    if (!set) report([], `${what} must set at least one field`);
  };
}

const noJwt = 'Skein does not authenticate end users (no RequestAuthentication)';
export const Source = object(
  {
    principals: values({ format: principal, description: 'Peer identities: <trust-domain>/ns/<ns>/sa/<sa>, with prefix*/ *suffix.' }),
    notPrincipals: values({ format: principal }),
    namespaces: values({ format: wildcardValue, description: 'Namespaces of the peer identity.' }),
    notNamespaces: values({ format: wildcardValue }),
    ipBlocks: values({ format: ipBlock, description: 'Source IP of the connection (IP or CIDR).' }),
    notIpBlocks: values({ format: ipBlock }),
    requestPrincipals: unsupported('array', noJwt),
    notRequestPrincipals: unsupported('array', noJwt),
    remoteIpBlocks: unsupported('array', 'Skein has no gateways that forward the client address; use ipBlocks'),
    notRemoteIpBlocks: unsupported('array', 'use notIpBlocks'),
    serviceAccounts: unsupported('array', 'use principals'),
    notServiceAccounts: unsupported('array', 'use notPrincipals'),
  },
  { checks: [notEmpty('source')] },
);

export const Operation = object(
  {
    hosts: values({ format: wildcardValue, description: 'Host header values (HTTP only).' }),
    notHosts: values({ format: wildcardValue }),
    ports: values({ format: portString, description: 'Destination ports, as strings ("8080").' }),
    notPorts: values({ format: portString }),
    methods: values({ format: httpMethod, description: 'HTTP methods (HTTP only).' }),
    notMethods: values({ format: httpMethod }),
    paths: values({ format: authzPath, description: 'Request paths, exact, prefix* or *suffix (HTTP only).' }),
    notPaths: values({ format: authzPath }),
  },
  { checks: [notEmpty('operation')] },
);

export const Rule = object({
  from: array(object({ source: required(Source) }), { minItems: 1, description: 'Any source matches (OR); absent means any source.' }),
  to: array(object({ operation: required(Operation) }), { minItems: 1, description: 'Any operation matches (OR); absent means any operation.' }),
  when: unsupported('array', 'conditions'),
});

export const AuthorizationPolicySpec = object({
  selector: WorkloadSelector,
  action: enumOf(['ALLOW', 'DENY'], {
    rejected: { AUDIT: 'there is no audit sink', CUSTOM: 'there is no external authorization' },
    description: 'ALLOW (default) or DENY. DENY policies are evaluated first.',
  }),
  rules: array(Rule, { description: 'ALLOW: no rules denies everything, a {} rule allows everything. DENY: no rules matches nothing.' }),
  provider: unsupported('object', 'there is no external authorization'),
  targetRef: unsupported('object', 'use selector'),
  targetRefs: unsupported('array', 'use selector'),
});

export type AuthorizationPolicySpec = Infer<typeof AuthorizationPolicySpec>;
export type AuthorizationRule = Infer<typeof Rule>;
export type AuthorizationSource = Infer<typeof Source>;
export type AuthorizationOperation = Infer<typeof Operation>;
