import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCommands } from '../../api/src/dispatch';
import { operatorCommands } from './cli';

const testdata = path.join(__dirname, 'core/translate/testdata');

/** Runs `skein <argv>` through the CLI's own dispatcher (proxy-config's tests are in cli/src/verbs.int.test.ts). */
function skein(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCommands(operatorCommands, argv);
}

describe('skein analyze / controlplane (CLI)', () => {
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
      expect.stringMatching(/^bad.yaml:19 document 3 ConfigMap\/default\/x: kind: unknown kind "ConfigMap"/),
      'base.yaml:10 document 1 Service/default/reviews: metadata.name: duplicate: also defined in bad.yaml document 4',
      expect.stringMatching(/^broken.yaml:2 document 0: invalid YAML: /),
      'bad.yaml:6 document 0 VirtualService/default/rv: spec.http[0].route[0].destination: subset "v9" of reviews.default.svc.cluster.local is not defined by any DestinationRule',
      'bad.yaml:11 document 1 DestinationRule/default/ghost: spec.host: host "ghost" (ghost.default.svc.cluster.local) is not a known service',
    ]));
    expect(lines[lines.length - 1]).toMatch(/^6 problem\(s\) found in \d+ objects$/);
  });

  it('analyze: one pass — a schema-invalid VirtualService still gets its cross-reference checks, a schema-invalid DestinationRule still defines its subsets', async () => {
    fs.writeFileSync(path.join(dir, 'policy.yaml'), [
      // weight "lots" is a schema error; subset v9 is undefined: both are reported in the same run.
      'apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: { name: rv, namespace: default }\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: { host: reviews, subset: v9 }\n      weight: lots',
      // trafficPolicy is wrong, but subset v1 exists: a route to v1 must not be reported as dangling.
      'apiVersion: networking.skein.dev/v1alpha1\nkind: DestinationRule\nmetadata: { name: reviews, namespace: default }\nspec:\n  host: reviews\n  trafficPolicy: { loadBalancer: { simple: SIDEWAYS } }\n  subsets: [{ name: v1, labels: { version: v1 } }]',
      'apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: { name: to-v1, namespace: default }\nspec: { hosts: [ratings], http: [{ route: [{ destination: { host: reviews, subset: v1 } }] }] }',
    ].join('\n---\n'));
    const r = await skein('analyze', path.join(dir, 'policy.yaml'), path.join(dir, 'base.yaml'));
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n').filter(Boolean);
    const file = path.join(dir, 'policy.yaml');
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(new RegExp(`^${file}:9 document 0 VirtualService/default/rv: spec.http\\[0\\].route\\[0\\].weight: `)),
      `${file}:8 document 0 VirtualService/default/rv: spec.http[0].route[0].destination: subset "v9" of reviews.default.svc.cluster.local is not defined by any DestinationRule`,
      expect.stringMatching(new RegExp(`^${file}:\\d+ document 1 DestinationRule/default/reviews: spec.trafficPolicy.loadBalancer.simple: `)),
    ]));
    expect(r.out).not.toMatch(/subset "v1"/);
    expect(lines[lines.length - 1]).toMatch(/^3 problem\(s\) found/);
  });

  it('analyze: a path that does not exist, and no kubeconfig for the live cluster, are clear errors (exit 1)', async () => {
    expect(await skein('analyze', path.join(dir, 'missing'))).toMatchObject({ code: 1, err: expect.stringMatching(/missing: no such file or directory/) });
    const env = { ...process.env };
    try {
      process.env.KUBECONFIG = path.join(dir, 'no-kubeconfig');
      process.env.HOME = dir;
      delete process.env.KUBERNETES_SERVICE_HOST;
      expect(await skein('analyze')).toMatchObject({ code: 1, err: expect.stringMatching(/skein analyze: no kubeconfig: pass --kubeconfig FILE/) });
    } finally {
      process.env = env;
    }
  });

  it('analyze: usage errors', async () => {
    expect((await skein('analyze', dir, '--nope')).err).toMatch(/Unknown option '--nope'/);
    expect(await skein('analyze', dir, '--trust-domain', 'Bad_TD')).toMatchObject({ code: 2, err: expect.stringMatching(/invalid trust domain/) });
  });

  it.each([
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
