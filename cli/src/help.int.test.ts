/**
 * `skein help`, `skein help CMD`, `skein CMD --help` as a user runs them, and why they are quick:
 * listing the commands loads no implementation (no Kubernetes client, gRPC, cdk8s, express,
 * protobuf). The time itself is measured, not asserted (README / the report quote hyperfine).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { skein, skeinMain } from './testing/cluster-sim';

jest.setTimeout(60_000);

describe('help', () => {
  it('skein help lists every verb (exit 0); skein alone prints it and exits 2', async () => {
    const r = await skein(['help']);
    expect(r.code).toBe(0);
    for (const verb of ['install', 'uninstall', 'check', 'proxy-status', 'proxy-config', 'analyze', 'version', 'inject']) expect(r.out).toMatch(new RegExp(`\\n {2}skein ${verb} +\\S`));
    expect(r.out).toMatch(/Run 'skein help <command>' or 'skein <command> --help'/);
    expect((await skein([])).code).toBe(2);
  });

  it.each([['install'], ['proxy-config'], ['check'], ['controlplane', 'kube'], ['ca', 'init'], ['proxy', 'xds-check']].map((w) => [w.join(' '), w] as const))('skein help %s is its --help, starting with Usage:', async (_name, words) => {
    const help = await skein(['help', ...words]);
    const flag = await skein([...words, '--help']);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toBe(flag.out);
    expect(help.out.startsWith(`Usage: skein ${words.join(' ')}`)).toBe(true);
  });

  it('install --help lists the values with their defaults', async () => {
    const r = await skein(['install', '--help']);
    expect(r.out).toMatch(/\nValues \(--set KEY=VALUE, or the same keys in a -f file, nested or dotted\):\n {2}image +the one Skein image/);
    expect(r.out).toMatch(/\n {2}replicas +control plane replicas .*\(default 2\)/);
  });

  it('skein help of an unknown command: exit 2 with the list', async () => {
    const r = await skein(['help', 'instal']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^skein help: unknown command "instal"\n\nSkein: a service mesh for Kubernetes\./);
  });

  it('listing every command loads no implementation', () => {
    const script = `
      const { commandsFor } = require(${JSON.stringify(path.join(path.dirname(skeinMain), 'commands.js'))});
      const { helpText } = require(${JSON.stringify(path.join(path.dirname(skeinMain), '..', '..', 'api', 'src', 'dispatch.js'))});
      const commands = commandsFor([]);
      helpText(commands);
      for (const c of commands) void c.summary;
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
    const heavy = ['@kubernetes/client-node', '@grpc/grpc-js', 'cdk8s', 'express', '@bufbuild/protobuf', 'prom-client', '@peculiar/x509', 'yaml'];
    for (const name of heavy) expect(loaded.filter((f) => f.includes(`/node_modules/${name}/`))).toEqual([]);
    expect(loaded.filter((f) => /\/dist\/operator\/src\/(controlplane|run|kube\/(rest|start))\.js$/.test(f))).toEqual([]);
  });
});
