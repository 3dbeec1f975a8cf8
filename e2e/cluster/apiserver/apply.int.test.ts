import { type SimulatedApiServer, startSimulatedApiServer } from './index';
import { raw } from './testing';

jest.setTimeout(60_000);

const cmPath = '/api/v1/namespaces/default/configmaps';
const apply = (api: SimulatedApiServer, path: string, body: unknown, query: string) => raw(api, 'PATCH', `${path}?${query}`, typeof body === 'string' ? body : JSON.stringify(body), { contentType: 'application/apply-patch+yaml' });
const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data });
const managers = (obj: { metadata: { managedFields?: { manager: string; operation: string; fieldsV1: unknown }[] } }) =>
  Object.fromEntries((obj.metadata.managedFields ?? []).map((m) => [`${m.manager}/${m.operation}`, m.fieldsV1]));

describe('server-side apply and the patch formats', () => {
  let api: SimulatedApiServer;
  beforeAll(async () => {
    api = await startSimulatedApiServer({ controllers: false });
  });
  afterAll(() => api.stop());

  it('creates with apply, records the manager, and treats the same apply again as no change', async () => {
    const created = await apply(api, `${cmPath}/settings`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n  b: "2"\n', 'fieldManager=first');
    expect(created.status).toBe(201);
    expect(managers(created.json)).toEqual({ 'first/Apply': { 'f:data': { 'f:a': {}, 'f:b': {} } } });
    const again = await apply(api, `${cmPath}/settings`, cm({ a: '1', b: '2' }), 'fieldManager=first');
    expect(again.status).toBe(200);
    expect(again.json.metadata.resourceVersion).toBe(created.json.metadata.resourceVersion);
  });

  it('refuses to overwrite another manager\'s field with 409 Conflict, takes it over with force, and shares equal values', async () => {
    const clash = await apply(api, `${cmPath}/settings`, cm({ a: 'other' }), 'fieldManager=second');
    expect(clash.status).toBe(409);
    expect(clash.json).toMatchObject({
      reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "first": .data.a',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "first"', field: '.data.a' }] },
    });
    const shared = await apply(api, `${cmPath}/settings`, cm({ b: '2' }), 'fieldManager=second');
    expect(shared.status).toBe(200);
    expect(managers(shared.json)['second/Apply']).toEqual({ 'f:data': { 'f:b': {} } });
    const forced = await apply(api, `${cmPath}/settings`, cm({ a: 'other', b: '2' }), 'fieldManager=second&force=true');
    expect(forced.status).toBe(200);
    expect(forced.json.data).toEqual({ a: 'other', b: '2' });
    expect(managers(forced.json)).toEqual({ 'first/Apply': { 'f:data': { 'f:b': {} } }, 'second/Apply': { 'f:data': { 'f:a': {}, 'f:b': {} } } });
  });

  it('removes a field its manager stops applying when nobody else owns it, keeps shared ones', async () => {
    const dropped = await apply(api, `${cmPath}/settings`, cm({ c: '3' }), 'fieldManager=first');
    expect(dropped.json.data).toEqual({ a: 'other', b: '2', c: '3' }); // b is still second's
    const second = await apply(api, `${cmPath}/settings`, cm({}), 'fieldManager=second');
    expect(second.json.data).toEqual({ c: '3' });
  });

  it('gives PUT and PATCH changes to an Update manager, whose fields then conflict with appliers', async () => {
    const current = (await raw(api, 'GET', `${cmPath}/settings`)).json;
    const put = await raw(api, 'PUT', `${cmPath}/settings?fieldManager=kubectl-edit`, { ...current, data: { ...current.data, c: 'edited' } });
    expect(put.status).toBe(200);
    expect(managers(put.json)['kubectl-edit/Update']).toEqual({ 'f:data': { 'f:c': {} } });
    const clash = await apply(api, `${cmPath}/settings`, cm({ c: '3' }), 'fieldManager=first');
    expect(clash.json.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.c');
  });

  it('merges keyed lists of different managers (containers by name) and keeps the server\'s defaults', async () => {
    const deploy = (containers: unknown[]) => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } },
    });
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    expect((await apply(api, path, deploy([{ name: 'app', image: 'web:1' }]), 'fieldManager=team')).status).toBe(201);
    const both = await apply(api, path, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'helper', image: 'helper:1' }] } } } }, 'fieldManager=ops');
    expect(both.status).toBe(200);
    const containers = both.json.spec.template.spec.containers as { name: string; image: string; imagePullPolicy: string; terminationMessagePath: string }[];
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=web:1', 'helper=helper:1']);
    expect(containers[0]).toMatchObject({ imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' });
    expect(both.json.spec).toMatchObject({ replicas: 1, revisionHistoryLimit: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } });
    const teamFields = managers(both.json)['team/Apply'] as Record<string, Record<string, Record<string, Record<string, Record<string, unknown>>>>>;
    expect(Object.keys(teamFields['f:spec']!['f:template']!['f:spec']!['f:containers']!)).toEqual(['k:{"name":"app"}']);
  });

  it('applies strategic merge patches by merge key with $patch directives, and JSON patches with test', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const smp = await raw(api, 'PATCH', path, { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }, { name: 'helper', $patch: 'delete' }] } } } }, { contentType: 'application/strategic-merge-patch+json' });
    expect(smp.status).toBe(200);
    expect((smp.json.spec.template.spec.containers as { name: string; image: string }[]).map((c) => `${c.name}=${c.image}`)).toEqual(['app=web:2']);
    expect(smp.json.metadata.generation).toBe(3);
    const failedTest = await raw(api, 'PATCH', path, [{ op: 'test', path: '/spec/replicas', value: 5 }, { op: 'replace', path: '/spec/replicas', value: 6 }], { contentType: 'application/json-patch+json' });
    expect(failedTest.status).toBe(422);
    expect(failedTest.json).toMatchObject({ reason: 'Invalid', code: 422 });
    const json = await raw(api, 'PATCH', path, [{ op: 'test', path: '/spec/replicas', value: 1 }, { op: 'replace', path: '/spec/replicas', value: 2 }], { contentType: 'application/json-patch+json' });
    expect(json.json.spec.replicas).toBe(2);
    const stale = await raw(api, 'PATCH', path, { metadata: { resourceVersion: '1' }, spec: { replicas: 3 } }, { contentType: 'application/merge-patch+json' });
    expect(stale.status).toBe(409);
    expect(stale.json.message).toBe('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
  });

  it('answers bad requests with the real Status errors', async () => {
    const noManager = await apply(api, `${cmPath}/x`, cm({}), 'force=true');
    expect(noManager.status).toBe(422);
    expect(noManager.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const forceOnMerge = await raw(api, 'PATCH', `${cmPath}/settings?force=true`, { data: {} }, { contentType: 'application/merge-patch+json' });
    expect(forceOnMerge.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const badYaml = await apply(api, `${cmPath}/settings`, 'kind: ConfigMap\n  bad: [', 'fieldManager=first');
    expect(badYaml.status).toBe(400);
    expect(badYaml.json.reason).toBe('BadRequest');
    const notJson = await raw(api, 'POST', cmPath, '{"kind": "ConfigMap", nope');
    expect(notJson.status).toBe(400);
    expect(notJson.json.message).toMatch(/^the object provided is unrecognized \(must be of type ConfigMap\): couldn't get version\/kind; json parse error: /);
    const wrongKind = await raw(api, 'POST', cmPath, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
    expect(wrongKind.status).toBe(400);
    const unknownType = await raw(api, 'GET', '/apis/example.com/v1/widgets');
    expect(unknownType).toMatchObject({ status: 404, json: { kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource', details: {} } });
    const noName = await raw(api, 'POST', cmPath, { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} });
    expect(noName.json.message).toBe('ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
    const badName = await raw(api, 'POST', cmPath, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } });
    expect(badName.json.details.causes[0]).toMatchObject({ reason: 'FieldValueInvalid', field: 'metadata.name' });
    const wrongNs = await raw(api, 'POST', cmPath, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'other' } });
    expect(wrongNs.json.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
    const noNs = await raw(api, 'POST', '/api/v1/namespaces/nowhere/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    expect(noNs).toMatchObject({ status: 404, json: { message: 'namespaces "nowhere" not found' } });
    const exists = await raw(api, 'POST', cmPath, cm({}));
    expect(exists).toMatchObject({ status: 409, json: { reason: 'AlreadyExists', message: 'configmaps "settings" already exists' } });
    const unauthenticated = await raw(api, 'GET', cmPath, undefined, { token: 'wrong' });
    expect(unauthenticated).toMatchObject({ status: 401, json: { reason: 'Unauthorized', message: 'Unauthorized' } });
  });
});
