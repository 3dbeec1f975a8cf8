/**
 * Reading policy files: multi-document YAML to plain objects for `validateResource`, keeping where
 * each document and field is, so that `skein analyze` and the file source can say
 * `reviews.yaml:14: spec.http[0].route[1].weight: must be an integer 0..100`.
 */
import { LineCounter, type Node, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';

export interface YamlDocument {
  /** Position in the file, from 0. */
  index: number;
  /** Line (from 1) where the document's content starts. */
  line: number;
  /** The document as plain data (what `validateResource` takes); null for an empty document. */
  value: unknown;
  /** YAML syntax errors; when there are any, `value` must not be used. */
  syntaxErrors: { line: number; message: string }[];
  /**
   * The line of a field path as `validateResource` reports it (`spec.http[0].route[1].weight`):
   * the line of that field, or of its nearest parent present in the file.
   */
  lineOf(path: string): number;
}

/** Parses every document of a YAML file; empty documents (a trailing `---`) are left out. */
export function parseYamlDocuments(text: string): YamlDocument[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const lineAt = (offset: number): number => lines.linePos(offset).line;
  const out: YamlDocument[] = [];
  // parseAllDocuments returns an EmptyStream (no documents) for empty text.
  for (const doc of Array.isArray(docs) ? docs : []) {
    const syntaxErrors = doc.errors.map((e) => ({ line: e.linePos?.[0].line ?? lineAt(e.pos[0]), message: e.message.split('\n')[0]! }));
    const value: unknown = syntaxErrors.length === 0 ? doc.toJS() : null;
    if (value == null && syntaxErrors.length === 0) continue; // empty document
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    out.push({
      index: out.length,
      line: lineAt(start),
      value,
      syntaxErrors,
      lineOf: (path) => lineAt(locate(doc.contents, splitPath(path)) ?? start),
    });
  }
  return out;
}

/** `spec.http[0].headers[x-user]` → `['spec', 'http', '0', 'headers', 'x-user']`. */
export function splitPath(path: string): string[] {
  return [...path.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)].map((m) => m[1] ?? m[2]!);
}

/** Offset of the deepest node along `segments` (a map entry points at its key). */
function locate(root: unknown, segments: readonly string[]): number | undefined {
  let node = root as Node | null | undefined;
  let found = node?.range?.[0];
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      found = (pair.key as Node | null)?.range?.[0] ?? found;
      node = pair.value as Node | null;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!/^\d+$/.test(seg) || !item) break;
      found = item.range?.[0] ?? found;
      node = item;
    } else {
      break;
    }
  }
  return found;
}
