/**
 * `skein inject` on manifests: every workload kind gets the sidecar in its pod template, other
 * documents are byte-identical, a second run changes nothing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { injectManifests } from './core/manifests';
import { podTemplates, valueAt } from './core/workloads';
import { type Pod } from './core/types';
import { testConfig } from './testing';

const dir = join(__dirname, 'testdata', 'manifests');
const source = readFileSync(join(dir, 'workloads.yaml'), 'utf8');
const options = { config: testConfig({ clusterVersion: '1.28' }), defaultNamespace: 'default' };

function docs(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS() as unknown);
}

describe('injectManifests', () => {
  const result = injectManifests(source, options);

  it('matches the golden output', () => {
    const golden = join(dir, 'workloads.injected.yaml');
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(golden)) {
      if (process.env.CI) throw new Error(`golden file ${golden} missing`);
      writeFileSync(golden, result.output);
    }
    expect(result.output).toBe(readFileSync(golden, 'utf8'));
  });

  it('injects the pod template of every workload kind, respecting opt-outs', () => {
    const injected = docs(result.output).flatMap((doc) =>
      podTemplates(doc).map((ref) => {
        const pod = valueAt(doc, ref.path) as Pod;
        return [ref.kind, ref.name, pod.spec.containers.map((c) => c.name)[0]];
      }),
    );
    expect(injected).toEqual([
      ['Pod', 'debug', 'skein-proxy'],
      ['Deployment', 'cart', 'skein-proxy'],
      ['StatefulSet', 'db', 'skein-proxy'],
      ['DaemonSet', 'logs', 'skein-proxy'],
      ['ReplicaSet', 'rs', 'skein-proxy'],
      ['Job', 'migrate', 'skein-proxy'],
      ['CronJob', 'report', 'skein-proxy'],
      ['Deployment', 'legacy', 'legacy'],
    ]);
    expect(result.templates.filter((t) => !t.decision.inject).map((t) => [t.name, t.decision.reasons.map((r) => r.code)])).toEqual([
      ['legacy', ['PodOptOut', 'NamespaceEnabled']],
    ]);
  });

  it('keeps documents without a pod template byte for byte, comments included', () => {
    const parts = result.output.split(/^---$/m);
    const originals = source.split(/^---$/m);
    expect(parts).toHaveLength(originals.length);
    for (const i of [0, 8, 9]) expect(parts[i]).toBe(originals[i]);
    // Injected documents keep the author's comments too.
    expect(parts[1]).toContain('- name: debug # kept');
  });

  it('is idempotent: a second run gives the same bytes', () => {
    expect(injectManifests(result.output, options).output).toBe(result.output);
  });

  it('injects the items of a List and native sidecars on 1.29+', () => {
    const list = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: [{name: a, image: a}]\n';
    const out = injectManifests(list, { ...options, config: testConfig({ clusterVersion: '1.29' }) }).output;
    const pod = (docs(out)[0] as { items: Pod[] }).items[0]!;
    expect(pod.spec.initContainers!.map((c) => [c.name, c.restartPolicy])).toEqual([['skein-init', undefined], ['skein-proxy', 'Always']]);
  });

  it('leaves empty input and comment-only input alone', () => {
    expect(injectManifests('', options).output).toBe('');
    expect(injectManifests('# nothing\n', options).output).toBe('# nothing\n');
  });

  it.each([
    ['invalid YAML', 'kind: Pod\nspec: [\n', /document 1: invalid YAML/],
    ['a bad annotation', 'kind: Pod\nmetadata:\n  name: x\n  annotations: {traffic.skein.dev/excludeOutboundPorts: db}\nspec:\n  containers: [{name: a}]\n', /document 1 \(Pod x\): annotation traffic.skein.dev\/excludeOutboundPorts: "db" is not a port/],
  ])('%s: clear error, nothing written', (_name, text, message) => {
    expect(() => injectManifests(text, options)).toThrow(message);
  });
});
