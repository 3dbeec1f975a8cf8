import { parseDocument } from 'yaml';
import { reconcileAt } from './yaml-reconcile';

/** Edits a copy of the document's value and reconciles the YAML node at `path` with it. */
function change(source: string, path: (string | number)[], edit: (value: Record<string, unknown>) => void): string {
  const doc = parseDocument(source);
  const at = (value: unknown) => path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
  const before = doc.toJS() as unknown;
  const after = structuredClone(before);
  edit(at(after) as Record<string, unknown>);
  reconcileAt(doc, path, at(before), at(after));
  return doc.toString();
}

describe('reconcileAt', () => {
  it('keeps comments and style of untouched parts; inserts named items by name', () => {
    const src = 'spec:\n  containers:\n    - name: app # main\n      image: "a:1"\n  dns: {a: 1}  # flow\n';
    const out = change(src, ['spec'], (spec) => {
      (spec.containers as unknown[]).unshift({ name: 'proxy', image: 'p' });
    });
    expect(out).toBe('spec:\n  containers:\n    - name: proxy\n      image: p\n    - name: app # main\n      image: "a:1"\n  dns: { a: 1 } # flow\n');
  });

  it('replaces changed scalars, removes deleted keys, handles unnamed lists by position', () => {
    const src = 'a: 1 # one\nb: 2\nlist: [x, y]\n';
    const out = change(src, [], (v) => {
      v.a = 3;
      delete v.b;
      v.list = ['x', 'z', 'w'];
    });
    expect(out).toBe('a: 3\nlist: [ x, z, w ]\n');
  });

  it('leaves an unchanged document as it was', () => {
    const src = 'a:   1   # spaced\n';
    expect(change(src, [], () => undefined)).toBe(parseDocument(src).toString());
  });
});
