/**
 * The CRD schemas: structural (as Kubernetes requires), and in agreement with the validator — the
 * API server never refuses what the validator accepts, and refuses every structural mistake.
 */
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { crdManifests, crdOpenApiSchemas, type SkeinKind, SkeinKinds, validateResource } from './index';
import { fromIstio, istioSamples } from './testdata/istio-samples';
import { type Row, authorizationPolicy, destinationRule, peerAuthentication, virtualService } from './testdata/rejections';
import { openApiErrors, structuralProblems } from './testdata/openapi-check';

const schemas = crdOpenApiSchemas();

describe('crdOpenApiSchemas', () => {
  it.each(SkeinKinds)('%s: the schema is structural (types everywhere, known keywords, RE2 patterns)', (kind) => {
    expect(structuralProblems(schemas[kind].openAPIV3Schema as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('never uses x-kubernetes-preserve-unknown-fields or $ref', () => {
    const text = JSON.stringify(schemas);
    expect(text).not.toContain('x-kubernetes-preserve-unknown-fields');
    expect(text).not.toContain('$ref');
  });

  it('names the CRDs as Istio does, in Skein groups', () => {
    expect(
      SkeinKinds.map((k) => {
        const { group, plural, singular, listKind, shortNames, scope } = schemas[k];
        return [k, group, plural, singular, listKind, shortNames.join(','), scope];
      }),
    ).toEqual([
      ['VirtualService', 'networking.skein.dev', 'virtualservices', 'virtualservice', 'VirtualServiceList', 'vs', 'Namespaced'],
      ['DestinationRule', 'networking.skein.dev', 'destinationrules', 'destinationrule', 'DestinationRuleList', 'dr', 'Namespaced'],
      ['PeerAuthentication', 'security.skein.dev', 'peerauthentications', 'peerauthentication', 'PeerAuthenticationList', 'pa', 'Namespaced'],
      ['AuthorizationPolicy', 'security.skein.dev', 'authorizationpolicies', 'authorizationpolicy', 'AuthorizationPolicyList', 'ap', 'Namespaced'],
    ]);
  });

  it('refuses unsupported Istio fields at the API server too, at the exact path', () => {
    const http = schemas.VirtualService.openAPIV3Schema.properties!.spec!.properties!.http!.items!;
    expect(http.properties!.corsPolicy).toMatchObject({ type: 'object', not: {} });
    expect(http.properties!.corsPolicy!.description).toBe('Not supported by Skein. Setting it is an error.');
    expect(openApiErrors(http as never, { route: [{ destination: { host: 'a' } }], corsPolicy: {} })).toEqual(['.corsPolicy: not']);
  });
});

describe('crdManifests', () => {
  it('are valid apiextensions.k8s.io/v1 CustomResourceDefinitions (Kubernetes OpenAPI, via kubernetes-models)', () => {
    for (const crd of crdManifests()) expect(() => new CustomResourceDefinition(crd as never).validate()).not.toThrow();
  });

  it('renders apiextensions.k8s.io/v1 CRDs with the status subresource and printer columns', () => {
    const crds = crdManifests({ 'app.kubernetes.io/part-of': 'skein' });
    expect(crds.map((c) => (c.metadata as { name: string }).name)).toEqual([
      'virtualservices.networking.skein.dev',
      'destinationrules.networking.skein.dev',
      'peerauthentications.security.skein.dev',
      'authorizationpolicies.security.skein.dev',
    ]);
    const version = (crds[0]!.spec as { versions: Record<string, unknown>[] }).versions[0]!;
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    expect((version.additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual(['Hosts', 'Accepted', 'Age']);
  });
});

function specSchema(kind: SkeinKind): Record<string, unknown> {
  return schemas[kind].openAPIV3Schema as unknown as Record<string, unknown>;
}

describe('the API server and the validator agree', () => {
  it.each(Object.entries(istioSamples))('accepts the valid sample %s', (_name, text) => {
    const resource = fromIstio(text) as { kind: SkeinKind };
    expect(validateResource(resource).ok).toBe(true);
    expect(openApiErrors(specSchema(resource.kind), resource)).toEqual([]);
  });

  /**
   * What only the validator can check (cross-field rules, regex/duration semantics, map keys,
   * formats without an RE2 pattern): the control plane reports these in the Accepted condition.
   */
  const validatorOnly = new Set([
    'weights not adding up to 100',
    'tcp weights not adding up',
    'timeout with redirect',
    'a redirect code that is not a redirect',
    'an empty redirect',
    'a rewrite uri without /',
    'a regex lookahead',
    'a regex backreference',
    'a regex that does not compile',
    'an upper-case header name',
    'a pseudo-header match',
    'a zero timeout',
    'a sub-millisecond timeout',
    'an unknown retry condition',
    'an empty fault',
    'mirrorPercentage without mirror',
    'a header value with a newline',
    'setting a pseudo-header',
    'removing Host',
    'an empty method prefix',
    'an empty header prefix',
    'regex "*" for presence',
    'perTryTimeout without attempts',
    'retryOn with spaces',
    'no routes at all',
    'exportTo mixing * and names',
    'a bad destination subnet',
    'useSourceIp false',
    'an empty traffic policy',
    'an empty connection pool',
    'a keepalive in milliseconds',
    'duplicate subsets',
    'a duplicate port-level setting',
    'portLevelMtls without selector',
    'a port key that is not a number',
    'a port key out of range',
    'an empty source',
    'an empty operation',
    'a spiffe:// principal',
    'a wildcard in the middle',
    'a bad CIDR',
    'a path template',
    'a lower-case method',
  ]);

  const rows: Row[] = [...virtualService, ...destinationRule, ...peerAuthentication, ...authorizationPolicy];
  it.each(rows)('%s', (name, resource) => {
    const kind = (resource as { kind: SkeinKind }).kind;
    const apiServerRefuses = openApiErrors(specSchema(kind), resource).length > 0;
    expect(validateResource(resource).ok).toBe(false);
    expect({ name, apiServerRefuses }).toEqual({ name, apiServerRefuses: !validatorOnly.has(name) });
  });
});
