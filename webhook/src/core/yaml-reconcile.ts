/**
 * Brings a YAML node in line with a new value while keeping every part that did not change as the
 * author wrote it (comments, quoting, flow style). Lists of named items (containers, volumes) are
 * matched by name, so inserting the proxy first keeps the app container's node and comments.
 */
import { compare } from 'fast-json-patch';
import { type Document, isMap, isSeq } from 'yaml';
import { isObject } from './types';

function names(list: unknown[]): string[] | undefined {
  const out = list.map((v) => (isObject(v) && typeof v.name === 'string' ? v.name : undefined));
  if (out.some((n) => n === undefined) || new Set(out).size !== out.length) return undefined;
  return out as string[];
}

function same(a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b)) return compare(a, b).length === 0;
  if (Array.isArray(a) && Array.isArray(b)) return compare(a, b).length === 0;
  return a === b;
}

export function reconcile(doc: Document, node: unknown, before: unknown, after: unknown): unknown {
  if (same(before, after)) return node;
  if (isMap(node) && isObject(before) && isObject(after)) {
    for (const key of Object.keys(before)) if (!(key in after)) node.delete(key);
    for (const [key, value] of Object.entries(after)) {
      node.set(key, key in before ? reconcile(doc, node.get(key, true), before[key], value) : doc.createNode(value));
    }
    return node;
  }
  if (isSeq(node) && Array.isArray(before) && Array.isArray(after) && node.items.length === before.length) {
    const beforeNames = names(before);
    const afterNames = names(after);
    node.items = after.map((value: unknown, i) => {
      const j = beforeNames && afterNames ? beforeNames.indexOf(afterNames[i]!) : i < before.length ? i : -1;
      return j >= 0 ? reconcile(doc, node.items[j], before[j], value) : doc.createNode(value);
    }) as typeof node.items;
    return node;
  }
  return doc.createNode(after);
}

/** Updates the value at `path` of the document from `before` to `after`. */
export function reconcileAt(doc: Document, path: (string | number)[], before: unknown, after: unknown): void {
  const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  const updated = reconcile(doc, node, before, after);
  if (path.length === 0) doc.contents = updated as typeof doc.contents;
  else if (updated !== node) doc.setIn(path, updated);
}
