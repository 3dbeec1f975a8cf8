// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through; SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import * as k8s from '@kubernetes/client-node';
import { type SimulatedApiServer, startSimulatedApiServer } from './index';
import { installManifests, raw } from './testing';

jest.setTimeout(60_000);

const vsPath = '/apis/networking.skein.dev/v1alpha1/namespaces/shop/virtualservices';
const vs = (name: string, spec: unknown) => ({ apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name, namespace: 'shop' }, spec });

describe('CRDs from manifests/install.yaml on the simulated API server', () => {
  let api: SimulatedApiServer;
  let objects: k8s.KubernetesObjectApi;

  beforeAll(async () => {
    api = await startSimulatedApiServer();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const obj of installManifests()) await objects.patch(obj as k8s.KubernetesObject, undefined, undefined, 'skein-install', true, k8s.PatchStrategy.ServerSideApply);
    await raw(api, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  });
  afterAll(() => api.stop());

  it('serves each CRD once applied: Established and NamesAccepted, in discovery with its status subresource', async () => {
    const crd = await raw(api, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/virtualservices.networking.skein.dev');
    const conditions = Object.fromEntries((crd.json.status.conditions as { type: string; status: string; reason: string }[]).map((c) => [c.type, `${c.status}/${c.reason}`]));
    expect(conditions).toEqual({ Established: 'True/InitialNamesAccepted', NamesAccepted: 'True/NoConflicts' });
    expect(crd.json.status.acceptedNames).toMatchObject({ kind: 'VirtualService', plural: 'virtualservices', shortNames: ['vs'] });
    expect(crd.json.status.storedVersions).toEqual(['v1alpha1']);

    const groups = await raw(api, 'GET', '/apis');
    expect((groups.json.groups as { name: string }[]).map((g) => g.name)).toEqual(expect.arrayContaining(['networking.skein.dev', 'security.skein.dev']));
    const resources = await raw(api, 'GET', '/apis/security.skein.dev/v1alpha1');
    expect((resources.json.resources as { name: string }[]).map((r) => r.name).sort()).toEqual(['authorizationpolicies', 'authorizationpolicies/status', 'peerauthentications', 'peerauthentications/status']);

    const list = await objects.list('networking.skein.dev/v1alpha1', 'VirtualService', 'shop');
    expect(list.items).toEqual([]);
  });

  it('refuses a VirtualService that breaks the schema with 422 Invalid naming each field', async () => {
    const wrongType = await raw(api, 'POST', vsPath, vs('bad-type', { hosts: 'reviews' }));
    expect(wrongType.status).toBe(422);
    expect(wrongType.json).toMatchObject({
      kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422,
      message: 'VirtualService.networking.skein.dev "bad-type" is invalid: spec.hosts: Invalid value: "string": spec.hosts in body must be of type array: "string"',
      details: { name: 'bad-type', group: 'networking.skein.dev', kind: 'VirtualService', causes: [{ reason: 'FieldValueTypeInvalid', field: 'spec.hosts', message: 'Invalid value: "string": spec.hosts in body must be of type array: "string"' }] },
    });

    const several = await raw(api, 'POST', vsPath, vs('bad-many', { hosts: ['Reviews!'], http: [{ route: [{ destination: { host: 'reviews' }, weight: 101 }], fault: { abort: { httpStatus: 700 } } }] }));
    expect(several.status).toBe(422);
    const fields = (several.json.details.causes as { field: string }[]).map((c) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.hosts[0]', 'spec.http[0].fault.abort.httpStatus']));
    expect(several.json.message).toContain('spec.hosts[0]: Invalid value: "Reviews!": spec.hosts[0] in body should match');
    expect(several.json.message).toContain('spec.http[0].fault.abort.httpStatus: Invalid value: 700: spec.http[0].fault.abort.httpStatus in body should be less than or equal to 599');

    const missing = await raw(api, 'POST', vsPath, { apiVersion: 'networking.skein.dev/v1alpha1', kind: 'VirtualService', metadata: { name: 'no-spec' } });
    expect(missing.json.message).toBe('VirtualService.networking.skein.dev "no-spec" is invalid: spec: Required value');

    const oneOf = await raw(api, 'POST', vsPath, vs('no-route', { hosts: ['reviews'], http: [{ timeout: '1s' }] }));
    expect(oneOf.status).toBe(422);
    expect(oneOf.json.message).toContain('<nil>: Invalid value: "": "spec.http[0]" must validate one and only one schema (oneOf). Found none valid');

    const unsupported = await raw(api, 'POST', vsPath, vs('cors', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }], corsPolicy: {} }] }));
    expect(unsupported.json.message).toContain('"spec.http[0].corsPolicy" must not validate the schema (not)');
    expect((await raw(api, 'GET', `${vsPath}/bad-type`)).status).toBe(404); // nothing refused was stored
  });

  it('stores a valid VirtualService with unknown fields pruned, says which in a Warning, and refuses them with fieldValidation=Strict', async () => {
    const body = vs('reviews', { hosts: ['reviews'], colour: 'blue', http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 100, extra: true }] }] });
    const created = await raw(api, 'POST', vsPath, body);
    expect(created.status).toBe(201);
    expect(created.json.spec).toEqual({ hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' }, weight: 100 }] }] });
    expect(created.json.metadata).toMatchObject({ generation: 1, uid: expect.any(String), creationTimestamp: expect.stringMatching(/Z$/) });
    expect(created.headers.warning).toBe('299 - "unknown field \\"spec.colour\\"", 299 - "unknown field \\"spec.http[0].route[0].extra\\""');
    const strict = await raw(api, 'POST', `${vsPath}?fieldValidation=Strict`, vs('strict', { hosts: ['reviews'], colour: 'blue' }));
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe('strict decoding error: unknown field "spec.colour"');
  });

  it('honours subresources.status: the main resource ignores status, /status changes only status, generation follows spec', async () => {
    const path = `${vsPath}/reviews`;
    const current = (await raw(api, 'GET', path)).json;
    const withStatus = await raw(api, 'PUT', path, { ...current, status: { conditions: [{ type: 'Accepted', status: 'True' }] } });
    expect(withStatus.json.status).toBeUndefined();
    expect(withStatus.json.metadata.generation).toBe(1);
    const status = await raw(api, 'PATCH', `${path}/status`, { status: { observedGeneration: 1, conditions: [{ type: 'Accepted', status: 'True' }] }, spec: { hosts: ['ignored'] } }, { contentType: 'application/merge-patch+json' });
    expect(status.json.status.observedGeneration).toBe(1);
    expect(status.json.spec.hosts).toEqual(['reviews']);
    const specChange = await raw(api, 'PATCH', path, { spec: { hosts: ['reviews', 'ratings'] } }, { contentType: 'application/merge-patch+json' });
    expect(specChange.json.metadata.generation).toBe(2);
    expect(specChange.json.status.observedGeneration).toBe(1);
    const labelsOnly = await raw(api, 'PATCH', path, { metadata: { labels: { team: 'a' } } }, { contentType: 'application/merge-patch+json' });
    expect(labelsOnly.json.metadata.generation).toBe(2);
    const strategic = await raw(api, 'PATCH', path, { spec: { hosts: ['x'] } }, { contentType: 'application/strategic-merge-patch+json' });
    expect(strategic.status).toBe(415);
    expect(strategic.json.message).toBe('the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
  });

  it('stops serving a CRD deleted, and its custom resources go with it', async () => {
    await raw(api, 'POST', '/apis/security.skein.dev/v1alpha1/namespaces/shop/peerauthentications', { apiVersion: 'security.skein.dev/v1alpha1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'shop' }, spec: { mtls: { mode: 'STRICT' } } });
    expect(api.store.list('security.skein.dev/peerauthentications')).toHaveLength(1);
    const deleted = await raw(api, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/peerauthentications.security.skein.dev');
    expect(deleted.status).toBe(200);
    expect(api.store.list('security.skein.dev/peerauthentications')).toHaveLength(0);
    const gone = await raw(api, 'GET', '/apis/security.skein.dev/v1alpha1/namespaces/shop/peerauthentications');
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource' });
    const again = installManifests().find((o) => o.metadata.name === 'peerauthentications.security.skein.dev')!;
    await objects.patch(again as k8s.KubernetesObject, undefined, undefined, 'skein-install', true, k8s.PatchStrategy.ServerSideApply);
    expect((await raw(api, 'GET', '/apis/security.skein.dev/v1alpha1/namespaces/shop/peerauthentications')).status).toBe(200);
  });
});
