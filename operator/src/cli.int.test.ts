import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommands } from '../../api/src/dispatch';
import { operatorCommands } from './cli';

const testdata = path.join(__dirname, 'core/translate/testdata');

/** Runs `skein <argv>` through the CLI's own dispatcher. */
function skein(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCommands(operatorCommands, argv);
}

describe('skein analyze / proxy-config / controlplane (CLI)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-cli-'));
    fs.copyFileSync(path.join(testdata, 'base.yaml'), path.join(dir, 'base.yaml'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('analyze: a clean directory exits 0', async () => {
    fs.copyFileSync(path.join(testdata, 'split.yaml'), path.join(dir, 'split.yaml'));
    const r = await skein('analyze', dir);
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/no problems found \(\d+ objects\)/) });
  });

  it('analyze: prints every problem with file:line, document and field path, and exits 1', async () => {
    fs.writeFileSync(path.join(dir, 'bad.yaml'), [
      'apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: { name: rv, namespace: default }\nspec:\n  hosts: [reviews]\n  http: [{ route: [{ destination: { host: reviews, subset: v9 } }] }]',
      'apiVersion: networking.skein.dev/v1alpha1\nkind: DestinationRule\nmetadata: { name: ghost, namespace: default }\nspec: { host: ghost }',
      'apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: { name: cors, namespace: default }\nspec: { hosts: [ratings], http: [{ route: [{ destination: { host: ratings } }], corsPolicy: {} }] }',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }',
      'apiVersion: v1\nkind: Service\nmetadata: { name: reviews, namespace: default }\nspec: { ports: [{ name: http, port: 1 }] }',
    ].join('\n---\n'));
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'kind: [\n');
    const r = await skein('analyze', dir);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^bad.yaml:16 document 2 VirtualService\/default\/cors: spec.http\[0\].corsPolicy: /),
      expect.stringMatching(/^bad.yaml:19 document 3 ConfigMap\/\/x: kind: unknown kind "ConfigMap"/),
      'base.yaml Service/default/reviews: metadata.name: duplicate: also defined in bad.yaml',
      expect.stringMatching(/^broken.yaml:2 document 0: invalid YAML: /),
      'bad.yaml VirtualService/default/rv: spec.http[0].route[0].destination: subset "v9" of reviews.default.svc.cluster.local is not defined by any DestinationRule',
      'bad.yaml DestinationRule/default/ghost: spec.host: host "ghost" (ghost.default.svc.cluster.local) is not a known service',
    ]));
    expect(lines[lines.length - 1]).toMatch(/^\d+ problem\(s\) found$/);
  });

  it('analyze: usage errors', async () => {
    expect((await skein('analyze')).code).toBe(2);
    expect((await skein('analyze', dir, '--nope')).err).toMatch(/Unknown option '--nope'/);
    expect(await skein('analyze', path.join(dir, 'missing'))).toMatchObject({ code: 1, err: expect.stringMatching(/is not a directory/) });
  });

  it('proxy-config prints the resources a node gets, filtered by type', async () => {
    const r = await skein('proxy-config', '--config-dir', dir, '--node', 'sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local', '--type', 'listeners');
    expect(r.code).toBe(0);
    const dump = JSON.parse(r.out) as { configs: { type_url: string; resources: { name: string }[] }[] };
    expect(dump.configs).toHaveLength(1);
    expect(dump.configs[0]!.resources.map((l) => l.name)).toEqual(['virtualOutbound', 'virtualInbound']);
  });

  it.each([
    [['proxy-config', '--config-dir', '.'], /--node is required/],
    [['proxy-config', '--config-dir', '.', '--node', 'bogus'], /invalid node id "bogus"/],
    [['proxy-config', '--config-dir', '.', '--node', 'sidecar~10.0.0.1~a.b~b.svc.cluster.local', '--metadata', '[1]'], /--metadata must be a JSON object/],
    [['proxy-config', '--config-dir', '.', '--node', 'sidecar~10.0.0.1~a.b~b.svc.cluster.local', '--type', 'secrets'], /--type must be one of/],
    [['controlplane'], /--config-dir is required/],
    [['controlplane', '--config-dir', '.'], /--ca-dir is required/],
    [['controlplane', '--config-dir', '.', '--plaintext-xds-port', '99999'], /must be a port number/],
    [['controlplane', '--config-dir', '.', '--plaintext-xds-port', '0', '--trust-domain', 'Bad_TD'], /invalid trust domain/],
  ])('usage error: %j', async (argv, message) => {
    const r = await skein(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});
