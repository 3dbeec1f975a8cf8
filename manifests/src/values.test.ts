import { parseAllDocuments } from 'yaml';
import { installObjects, installYaml } from './install';
import { fileLayer, resolveValues, setLayer, type ValueField, ValuesError, valuesHelp } from './values';

describe('install values', () => {
  it('defaults render exactly what manifests/install.yaml holds (npm run manifests)', () => {
    expect(installYaml(resolveValues([]))).toBe(installYaml());
  });

  it.each<[string, string[], string, Record<string, unknown>]>([
    ['--set replicas', ['replicas=3'], '', { replicas: 3 }],
    ['--set after -f', ['replicas=4'], 'replicas: 3\n', { replicas: 4 }],
    ['-f nested keys', [], 'resources:\n  limits: { cpu: 500m, memory: 2Gi }\n', { 'resources.limits.cpu': '500m', 'resources.limits.memory': '2Gi' }],
    ['-f dotted keys', [], '"resources.requests.cpu": "1"\n', { 'resources.requests.cpu': '1' }],
    ['an enum', ['imagePullPolicy=Always'], '', { imagePullPolicy: 'Always' }],
    ['the value after the first =', ['image=registry.local/skein:dev=x'], '', { image: 'registry.local/skein:dev=x' }],
    ['an empty file', [], '', {}],
  ])('%s', (_name, sets, file, expected) => {
    const values = resolveValues([...(file ? [fileLayer('values.yaml', file)] : []), ...sets.map(setLayer)]);
    expect(values).toMatchObject(expected);
  });

  it.each<[string, () => unknown, RegExp]>([
    ['unknown key', () => resolveValues([setLayer('replica=2')]), /^--set replica=2: unknown value "replica" \(known: image, imagePullPolicy, replicas, trustDomain/],
    ['not an integer', () => resolveValues([setLayer('replicas=two')]), /^--set replicas=two: replicas: expected an integer 1\.\.100, got "two"$/],
    ['out of range', () => resolveValues([setLayer('replicas=0')]), /expected an integer 1\.\.100, got "0"/],
    ['a YAML number where a string is wanted', () => resolveValues([fileLayer('v.yaml', 'image: 3\n')]), /^v\.yaml: image: expected a string, got 3$/],
    ['a bad enum', () => resolveValues([setLayer('imagePullPolicy=Sometimes')]), /expected one of Always, IfNotPresent, Never, got "Sometimes"/],
    ['a bad trust domain', () => resolveValues([setLayer('trustDomain=Bad_TD')]), /trustDomain: invalid trust domain "Bad_TD"/],
    ['a bad quantity', () => resolveValues([setLayer('resources.limits.memory=1GB')]), /"1GB" is not a memory quantity in Mi or Gi/],
    ['no =', () => setLayer('replicas'), /^--set replicas: expected key=value$/],
    ['a file that is not a mapping', () => fileLayer('v.yaml', '- replicas\n'), /^v\.yaml: expected a mapping of values/],
    ['a file that is not YAML', () => fileLayer('v.yaml', 'a: [\n'), /^v\.yaml: invalid YAML: /],
  ])('%s is a ValuesError naming where it came from', (_name, fn, message) => {
    expect(fn).toThrow(ValuesError);
    expect(fn).toThrow(message);
  });

  it('rendered: replicas, pull policy, resources, trust domain reach the Deployment', () => {
    const { objects } = installObjects(resolveValues([setLayer('replicas=3'), setLayer('imagePullPolicy=Always'), setLayer('resources.limits.memory=2Gi'), setLayer('trustDomain=example.org'), setLayer('image=registry.local/skein:dev')]));
    const d = objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { replicas: number; template: { spec: { containers: Record<string, unknown>[] } } } };
    expect(d.spec.replicas).toBe(3);
    const c = d.spec.template.spec.containers[0]!;
    expect(c).toMatchObject({ image: 'registry.local/skein:dev', imagePullPolicy: 'Always', resources: { limits: { memory: '2048Mi' } } });
    expect(c.args).toEqual(expect.arrayContaining(['--trust-domain', 'example.org', '--proxy-image', 'registry.local/skein:dev']));
  });

  it('installObjects are the YAML, parsed (one source for apply and --dry-run)', () => {
    const { yaml, objects } = installObjects();
    expect(objects).toEqual(parseAllDocuments(yaml).map((d) => d.toJS()));
  });

  it('extends by a row: a boolean value (e.g. cni.enabled) parses from --set and from YAML', () => {
    const fields: Record<string, ValueField> = { 'cni.enabled': { type: { kind: 'boolean' }, default: false, help: 'chained CNI plugin instead of init containers' } };
    expect(resolveValues([], fields)).toEqual({ 'cni.enabled': false });
    expect(resolveValues([setLayer('cni.enabled=true')], fields)).toEqual({ 'cni.enabled': true });
    expect(resolveValues([fileLayer('v.yaml', 'cni: { enabled: true }\n')], fields)).toEqual({ 'cni.enabled': true });
    expect(() => resolveValues([setLayer('cni.enabled=yes')], fields)).toThrow(/cni\.enabled: expected true or false, got "yes"/);
    expect(valuesHelp(fields)).toBe('  cni.enabled  chained CNI plugin instead of init containers (default false)');
  });

  it('help lists every key with its default', () => {
    expect(valuesHelp()).toMatch(/^ {2}image {2,}the one Skein image .*\(default ghcr\.io\/skein-mesh\/skein:/m);
    expect(valuesHelp()).toMatch(/^ {2}imagePullPolicy .*\(default IfNotPresent; Always \| IfNotPresent \| Never\)$/m);
  });
});
