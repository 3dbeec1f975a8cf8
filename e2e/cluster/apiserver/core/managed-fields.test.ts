import { apply, conflictMessage, fromFieldsV1, leafPaths, pathText, recordUpdate, toFieldsV1 } from './managed-fields';
import { type KubeObject } from './json';
import { builtinShape } from './shapes';

const deployShape = builtinShape('apps', 'Deployment');
const now = '2026-01-01T00:00:00Z';
const scope = () => true;

describe('field paths', () => {
  it('walks maps, keyed lists (with their . marker) and atomic lists', () => {
    const paths = leafPaths({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', labels: { a: '1' } }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'app', image: 'i', args: ['a', 'b'] }] } } } }, deployShape);
    expect(paths.map(pathText)).toEqual(['.metadata.labels.a', '.spec.replicas', '.spec.template.spec.containers[name="app"]', '.spec.template.spec.containers[name="app"].name', '.spec.template.spec.containers[name="app"].image', '.spec.template.spec.containers[name="app"].args']);
    expect(fromFieldsV1(toFieldsV1(paths)).map(pathText).sort()).toEqual(paths.map(pathText).sort());
    expect(toFieldsV1(paths)).toMatchObject({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {} } } } } } });
  });

  it('words conflicts of several managers as the API server does', () => {
    const { message, causes } = conflictMessage([
      { manager: { manager: 'b', operation: 'Update', apiVersion: 'apps/v1' }, path: ['f:spec', 'f:replicas'] },
      { manager: { manager: 'a', operation: 'Apply', apiVersion: 'apps/v1' }, path: ['f:metadata', 'f:labels', 'f:x'] },
      { manager: { manager: 'a', operation: 'Apply', apiVersion: 'apps/v1' }, path: ['f:metadata', 'f:labels', 'f:y'] },
    ]);
    expect(message).toBe('Apply failed with 3 conflicts: conflicts with "a":\n- .metadata.labels.x\n- .metadata.labels.y\nconflicts with "b" using apps/v1:\n- .spec.replicas');
    expect(causes[0]).toEqual({ reason: 'FieldManagerConflict', message: 'conflict with "b" using apps/v1', field: '.spec.replicas' });
  });
});

describe('apply', () => {
  const base = (spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec });
  const a = { manager: 'a', operation: 'Apply' as const, apiVersion: 'apps/v1' };
  const b = { manager: 'b', operation: 'Apply' as const, apiVersion: 'apps/v1' };

  it('removes a keyed list item only when no other manager owns fields in it', () => {
    let r = apply({ live: undefined, config: base({ template: { spec: { containers: [{ name: 'app', image: '1' }, { name: 'side', image: 's' }] } } }), shape: deployShape, id: a, force: false, now, scope });
    if (!r.ok) throw new Error('conflict');
    r = apply({ live: r.object, config: base({ template: { spec: { containers: [{ name: 'side', image: 's', args: ['x'] }] } } }), shape: deployShape, id: b, force: false, now, scope });
    if (!r.ok) throw new Error('conflict');
    r = apply({ live: r.object, config: base({ template: { spec: { containers: [{ name: 'app', image: '1' }] } } }), shape: deployShape, id: a, force: false, now, scope });
    if (!r.ok) throw new Error('conflict');
    expect((r.object.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers).toEqual([{ name: 'app', image: '1' }, { name: 'side', image: 's', args: ['x'] }]);
    r = apply({ live: r.object, config: base({}), shape: deployShape, id: a, force: false, now, scope });
    if (!r.ok) throw new Error('conflict');
    expect((r.object.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers).toEqual([{ name: 'side', image: 's', args: ['x'] }]);
  });

  it('an Update of a field moves it to the updater, who then conflicts with the applier', () => {
    const r = apply({ live: undefined, config: base({ replicas: 1 }), shape: deployShape, id: a, force: false, now, scope });
    if (!r.ok) throw new Error('conflict');
    const scaled = { ...r.object, spec: { replicas: 3 } };
    scaled.metadata = { ...scaled.metadata, managedFields: recordUpdate(r.object, scaled, deployShape, { manager: 'hpa', operation: 'Update', apiVersion: 'autoscaling/v1' }, now) };
    expect(scaled.metadata.managedFields!.map((m) => m.manager)).toEqual(['hpa']);
    const again = apply({ live: scaled, config: base({ replicas: 1 }), shape: deployShape, id: a, force: false, now, scope });
    expect(again.ok).toBe(false);
  });

  it('an Update inside a keyed list item takes its field, not the item: applying the same configuration again changes nothing', () => {
    const config = base({ template: { spec: { containers: [{ name: 'app', image: '1' }] } } });
    const r = apply({ live: undefined, config, shape: deployShape, id: a, force: false, now, scope });
    if (!r.ok) throw new Error('conflict');
    const patched = { ...r.object, spec: { template: { spec: { containers: [{ name: 'app', image: '1', args: ['x'] }] } } } };
    patched.metadata = { ...patched.metadata, managedFields: recordUpdate(r.object, patched, deployShape, { manager: 'cp', operation: 'Update', apiVersion: 'apps/v1' }, now) };
    const owned = Object.fromEntries(patched.metadata.managedFields!.map((m) => [m.manager, fromFieldsV1(m.fieldsV1).map(pathText)]));
    expect(owned.cp).toEqual(['.spec.template.spec.containers[name="app"].args']);
    const again = apply({ live: patched, config, shape: deployShape, id: a, force: false, now: '2026-01-02T00:00:00Z', scope });
    if (!again.ok) throw new Error('conflict');
    expect(again.object).toEqual(patched);
  });
});
