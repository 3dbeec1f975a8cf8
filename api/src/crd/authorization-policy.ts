/** AuthorizationPolicy (security.skein.dev/v1alpha1): who may call a workload, and how. */
import { type Check, type Infer, type StringFormat, array, doc, enumOf, object, required, rule, string, titled, unsupported } from './schema/dsl';
import { WorkloadSelector } from './common';
import { authzPath, httpMethod, ipBlock, portString, principal, wildcardValue } from './formats';

/** A list of strings in `format`, ORed when matching. */
const values = (format: StringFormat, description?: string) => array(string({ format }), { description });

/** For Source and Operation: Istio refuses an empty one (it would match everything by accident). */
function notEmpty(what: string): Check<Record<string, unknown>> {
  return rule(`a ${what} sets at least one non-empty field`, (value, report) => {
    const set = Object.values(value).some((v) => Array.isArray(v) && v.length > 0);
    if (!set) report([], `${what} must set at least one field`);
  });
}

const noJwt = 'Skein does not authenticate end users (no RequestAuthentication)';
export const Source = titled('Source', object(
  {
    principals: values(principal, 'Peer identities <trust-domain>/ns/<ns>/sa/<sa> (exact, prefix* or *suffix); need mTLS.'),
    notPrincipals: values(principal),
    namespaces: values(wildcardValue, 'Namespaces of the peer identity.'),
    notNamespaces: values(wildcardValue),
    ipBlocks: values(ipBlock, 'Source IP of the connection (IP or CIDR).'),
    notIpBlocks: values(ipBlock),
    requestPrincipals: unsupported('array', noJwt),
    notRequestPrincipals: unsupported('array', noJwt),
    remoteIpBlocks: unsupported('array', 'Skein has no gateways that forward the client address; use ipBlocks'),
    notRemoteIpBlocks: unsupported('array', 'use notIpBlocks'),
    serviceAccounts: unsupported('array', 'use principals'),
    notServiceAccounts: unsupported('array', 'use notPrincipals'),
  },
  { checks: [notEmpty('source')] },
));

export const Operation = titled('Operation', object(
  {
    hosts: values(wildcardValue, 'Host header values (HTTP only).'),
    notHosts: values(wildcardValue),
    ports: values(portString, 'Destination ports, as strings ("8080").'),
    notPorts: values(portString),
    methods: values(httpMethod, 'HTTP methods (HTTP only).'),
    notMethods: values(httpMethod),
    paths: values(authzPath, 'Request paths, exact, prefix* or *suffix (HTTP only).'),
    notPaths: values(authzPath),
  },
  { checks: [notEmpty('operation')] },
));

export const Rule = titled('Rule', object({
  from: array(object({ source: required(doc(Source, 'Who is calling.')) }), { minItems: 1, description: 'Any source matches (OR); absent means any source.' }),
  to: array(object({ operation: required(doc(Operation, 'What is called.')) }), { minItems: 1, description: 'Any operation matches (OR); absent means any operation.' }),
  when: unsupported('array', 'conditions'),
}));

export const AuthorizationPolicySpec = object({
  selector: doc(WorkloadSelector, 'Workloads this policy applies to; absent: the whole namespace (or mesh, in skein-system).'),
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
