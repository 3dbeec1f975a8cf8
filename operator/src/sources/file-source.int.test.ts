import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConfigError } from '../core/config-error';
import { FileSource } from './file-source';
import { type SourceEvent } from './source';

const service = (name: string, port = 80) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default }
spec: { clusterIP: 10.96.0.1, ports: [{ name: http, port: ${port} }] }
`;

describe('FileSource', () => {
  let dir: string;
  let source: FileSource | undefined;
  let events: SourceEvent[];
  let errors: ConfigError[];
  let synced: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-files-'));
    events = [];
    errors = [];
    synced = 0;
  });

  afterEach(async () => {
    await source?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function start(): Promise<void> {
    source = new FileSource({
      dir, pollIntervalMs: 60_000,
      listener: { onEvents: (e) => events.push(...e), onErrors: (e) => (errors = e), onSynced: () => synced++ },
    });
    return source.start();
  }

  const keys = () => events.map((e) => `${e.type} ${e.key}`);

  it('loads multi-document files recursively, then applies changes and deletions', async () => {
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'a.yaml'), `${service('a')}---\n${service('b')}---\n`);
    fs.writeFileSync(path.join(dir, 'sub', 'c.yml'), service('c'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
    await start();
    expect(synced).toBe(1);
    expect(keys().sort()).toEqual(['apply Service/default/a', 'apply Service/default/b', 'apply Service/default/c']);
    expect(errors).toEqual([]);

    events = [];
    fs.writeFileSync(path.join(dir, 'a.yaml'), service('a', 8080)); // b removed, a changed
    fs.rmSync(path.join(dir, 'sub', 'c.yml'));
    await source!.requestRescan();
    expect(keys().sort()).toEqual(['apply Service/default/a', 'delete Service/default/b', 'delete Service/default/c']);
  });

  it('keeps the last good version of a file that turns bad, and reports file, document and field', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), `${service('a')}---\n${service('b')}`);
    await start();
    events = [];
    fs.writeFileSync(path.join(dir, 'a.yaml'), `${service('a', 70000)}---\n${service('z')}`);
    await source!.requestRescan();
    expect(events).toEqual([]); // nothing of the bad version applied, nothing of the good one removed
    expect(errors).toEqual([expect.objectContaining({ file: 'a.yaml', document: 0, object: 'Service/default/a', path: 'spec.ports[0].port' })]);

    fs.writeFileSync(path.join(dir, 'a.yaml'), service('a'));
    await source!.requestRescan();
    expect(keys()).toEqual(['delete Service/default/b']);
    expect(errors).toEqual([]);
  });

  it.each([
    ['invalid YAML', 'kind: [\n', /invalid YAML at line/],
    ['an unknown kind', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n', /unknown kind "ConfigMap"/],
    ['an Istio apiVersion', 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: x }\nspec: { hosts: [a] }\n', /apiVersion/],
    ['an unsupported field', 'apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: { name: x }\nspec: { hosts: [a], http: [{ route: [{ destination: { host: a } }], corsPolicy: {} }] }\n', /corsPolicy|not supported/],
    ['a missing name', 'apiVersion: v1\nkind: Service\nmetadata: {}\nspec: {}\n', /metadata.name/],
  ])('reports %s and keeps serving the other files', async (_what, text, message) => {
    fs.writeFileSync(path.join(dir, 'good.yaml'), service('good'));
    fs.writeFileSync(path.join(dir, 'bad.yaml'), text);
    await start();
    expect(keys()).toEqual(['apply Service/default/good']);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.file).toBe('bad.yaml');
    expect(`${errors[0]!.path}: ${errors[0]!.message}`).toMatch(message);
  });

  it('an object defined in two files is an error in the later file; the first keeps serving', async () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), service('same'));
    fs.writeFileSync(path.join(dir, 'b.yaml'), service('same', 81));
    await start();
    expect(keys()).toEqual(['apply Service/default/same']);
    expect(errors).toEqual([expect.objectContaining({ file: 'b.yaml', message: 'duplicate: also defined in a.yaml' })]);
  });

  it('notices changes through fs.watch or the poll fallback without an explicit rescan', async () => {
    source = new FileSource({ dir, pollIntervalMs: 100, listener: { onEvents: (e) => events.push(...e), onErrors: () => undefined, onSynced: () => undefined } });
    await source.start();
    fs.writeFileSync(path.join(dir, 'late.yaml'), service('late'));
    for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(keys()).toEqual(['apply Service/default/late']);
  });

  it('refuses a directory that does not exist', async () => {
    source = new FileSource({ dir: path.join(dir, 'nope'), listener: { onEvents: () => undefined, onErrors: () => undefined, onSynced: () => undefined } });
    await expect(source.start()).rejects.toThrow(/is not a directory/);
  });
});
