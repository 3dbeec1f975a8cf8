import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch';
import { builtinShape } from './shapes';

const podShape = builtinShape('', 'Pod');

describe('JSON merge patch', () => {
  it('merges, deletes with null, replaces lists, and leaves the target untouched', () => {
    const target = { metadata: { labels: { a: '1', b: '2' } }, spec: { list: [1, 2] } };
    const out = mergePatch(target, { metadata: { labels: { b: null, c: '3' } }, spec: { list: [3] } });
    expect(out).toEqual({ metadata: { labels: { a: '1', c: '3' } }, spec: { list: [3] } });
    expect(target).toEqual({ metadata: { labels: { a: '1', b: '2' } }, spec: { list: [1, 2] } });
  });
});

describe('JSON patch', () => {
  it('applies operations and says why a test fails', () => {
    expect(jsonPatch({ a: 1 }, [{ op: 'replace', path: '/a', value: 2 }])).toEqual({ a: 2 });
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 5 }])).toThrow(PatchError);
    expect(() => jsonPatch({ a: 1 }, { op: 'add' })).toThrow('cannot unmarshal object');
  });
});

describe('strategic merge patch on a pod', () => {
  const pod = {
    metadata: { labels: { app: 'web' }, finalizers: ['a'] },
    spec: {
      containers: [{ name: 'app', image: 'web:1', env: [{ name: 'A', value: '1' }] }, { name: 'helper', image: 'h:1' }],
      volumes: [{ name: 'data', emptyDir: {} }],
      tolerations: [{ key: 'x', operator: 'Exists' }],
    },
    status: { conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] },
  };

  it.each([
    ['merges containers by name, env by name', { spec: { containers: [{ name: 'app', image: 'web:2', env: [{ name: 'B', value: '2' }] }] } },
      (o: typeof pod) => o.spec.containers, [{ name: 'app', image: 'web:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }, { name: 'helper', image: 'h:1' }]],
    ['appends a new container', { spec: { containers: [{ name: 'sidecar', image: 's:1' }] } },
      (o: typeof pod) => o.spec.containers.map((c) => c.name), ['app', 'helper', 'sidecar']],
    ['deletes an item with $patch: delete', { spec: { containers: [{ name: 'helper', $patch: 'delete' }] } },
      (o: typeof pod) => o.spec.containers.map((c) => c.name), ['app']],
    ['replaces a list with a $patch: replace item', { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o:1' }] } },
      (o: typeof pod) => o.spec.containers, [{ name: 'only', image: 'o:1' }]],
    ['replaces atomic lists (tolerations)', { spec: { tolerations: [{ key: 'y', operator: 'Exists' }] } },
      (o: typeof pod) => o.spec.tolerations, [{ key: 'y', operator: 'Exists' }]],
    ['merges conditions by type and orders them by $setElementOrder', { status: { '$setElementOrder/conditions': [{ type: 'Ready' }, { type: 'PodScheduled' }], conditions: [{ type: 'Ready', status: 'True' }] } },
      (o: typeof pod) => o.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]],
    ['unions primitive merge lists (finalizers) and deletes from them', { metadata: { finalizers: ['b'], '$deleteFromPrimitiveList/finalizers': ['a'] } },
      (o: typeof pod) => o.metadata.finalizers, ['b']],
    ['replaces a map with $patch: replace', { metadata: { labels: { $patch: 'replace', other: 'x' } } },
      (o: typeof pod) => o.metadata.labels, { other: 'x' }],
    ['keeps only $retainKeys in a volume', { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'configMap'], configMap: { name: 'c' } }] } },
      (o: typeof pod) => o.spec.volumes, [{ name: 'data', configMap: { name: 'c' } }]],
  ])('%s', (_what, patch, pick, expected) => {
    expect(pick(strategicMergePatch(pod, patch, podShape) as typeof pod)).toEqual(expected);
  });

  it('refuses a merged list item without its merge key', () => {
    expect(() => strategicMergePatch(pod, { spec: { containers: [{ image: 'x' }] } }, podShape)).toThrow('does not contain declared merge key: name');
  });
});
