import { validateResource } from './index';
import { parseYamlDocuments, splitPath } from './yaml';

const file = `# policies for reviews
apiVersion: networking.skein.dev/v1alpha1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 60
    - destination: {host: reviews, subset: v2}
      weight: 150
    corsPolicy: {}
---
apiVersion: security.skein.dev/v1alpha1
kind: PeerAuthentication
metadata:
  name: finance
spec:
  selector:
    matchLabels: {app: finance}
  portLevelMtls:
    8080:
      mode: OFF
---
`;

describe('parseYamlDocuments', () => {
  it('returns each document with the line of every reported error', () => {
    const docs = parseYamlDocuments(file);
    expect(docs.map((d) => [d.index, d.line])).toEqual([
      [0, 2],
      [1, 16],
    ]);
    const report = docs.flatMap((doc) => {
      const result = validateResource(doc.value);
      return result.ok ? [] : result.errors.map((e) => `${doc.lineOf(e.path)}: ${e.path}: ${e.message}`);
    });
    expect(report).toEqual([
      '13: spec.http[0].route[1].weight: must be an integer 0..100',
      '14: spec.http[0].corsPolicy: not supported by Skein',
      '25: spec.portLevelMtls[8080].mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT',
    ]);
  });

  it('points a missing field at its parent, and the root at the document start', () => {
    const [doc] = parseYamlDocuments('apiVersion: v1\nmetadata:\n  labels: {}\n');
    expect(doc!.lineOf('metadata.name')).toBe(2);
    expect(doc!.lineOf('')).toBe(1);
    expect(doc!.lineOf('spec.hosts[3]')).toBe(1);
  });

  it('reports YAML syntax errors with their line and no value', () => {
    const docs = parseYamlDocuments('a: 1\n---\nb: [1,\n  c: d\n');
    expect(docs[0]!.syntaxErrors).toEqual([]);
    expect(docs[1]!.value).toBeNull();
    expect(docs[1]!.syntaxErrors.length).toBeGreaterThan(0);
    expect(docs[1]!.syntaxErrors[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('returns nothing for an empty file or only comments', () => {
    expect(parseYamlDocuments('')).toEqual([]);
    expect(parseYamlDocuments('# nothing\n---\n')).toEqual([]);
  });
});

describe('splitPath', () => {
  it.each([
    ['', []],
    ['spec', ['spec']],
    ['spec.http[0].route[1].weight', ['spec', 'http', '0', 'route', '1', 'weight']],
    ['metadata.labels[app.kubernetes.io/name]', ['metadata', 'labels', 'app.kubernetes.io/name']],
  ])('%j', (path, segments) => expect(splitPath(path)).toEqual(segments));
});
