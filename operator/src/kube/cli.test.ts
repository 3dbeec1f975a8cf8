// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through (lead: add it); SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { UsageError } from '../../../api/src/command';
import { kubeControlPlaneCommand } from './cli';

const command = kubeControlPlaneCommand(() => () => undefined);
const io = () => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() });

describe('skein controlplane kube: bad usage is refused before anything starts', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-kube-cli-'));
    fs.writeFileSync(path.join(dir, 'list.yaml'), '- a\n- b\n');
    fs.writeFileSync(path.join(dir, 'broken.yaml'), 'image: [unclosed\n');
    fs.writeFileSync(path.join(dir, 'other-td.yaml'), 'trustDomain: example.org\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /positional/],
    [['--xds-port', '70000'], /--xds-port must be a port number/],
    [['--monitor-port', 'http'], /--monitor-port must be a port number/],
    [['--webhook-port', '1.5'], /--webhook-port must be a port number/],
    [['--trust-domain', 'Not_Valid'], /invalid trust domain/],
    [['--injection-config', '/nonexistent/injection.yaml'], /--injection-config .*ENOENT/],
    [['--injection-config', 'list.yaml'], /expected a mapping of fields/],
    [['--injection-config', 'broken.yaml'], /--injection-config .*broken\.yaml/],
    [['--injection-config', 'other-td.yaml'], /trustDomain "example.org" differs from the control plane's "cluster.local"/],
    [['--capture-mode', 'ebpf'], /--capture-mode must be init or cni, got "ebpf"/],
  ])('%j → %s', async (args, message) => {
    const resolved = args.map((a) => (a.endsWith('.yaml') && !a.startsWith('/') ? path.join(dir, a) : a));
    const err = await command.run(resolved, io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });

  it('names the kubeconfig it cannot read (not a usage error: the flags were fine)', async () => {
    await expect(command.run(['--kubeconfig', path.join(dir, 'missing-kubeconfig')], io())).rejects.toThrow(/missing-kubeconfig/);
  });
});
