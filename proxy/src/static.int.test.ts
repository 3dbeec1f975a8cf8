/** Standalone mode: config and identity from files, reloaded on change; bad files are rejected. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { UsageError } from '../../api/src/command';
import { proxyCommand } from './cli';
import { FileIdentity, loadIdentity } from './file-identity';
import { loadStaticConfig, startStaticProxy } from './static';
import { request, startHttpEcho } from './testing/apps';
import { useFixture } from './testing/fixture';
import { waitFor } from './testing/wait';
import { clientId, inboundConfig, testProxyOptions } from './testing/mesh';

jest.setTimeout(30_000);
const fx = useFixture();

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-static-'));
  fx.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeIdentity(dir: string, id = clientId): { certChain: string; privateKey: string; trustBundle: string } {
  const c = fx.ca.issue(id);
  const files = { certChain: path.join(dir, 'cert.pem'), privateKey: path.join(dir, 'key.pem'), trustBundle: path.join(dir, 'ca.pem') };
  fs.writeFileSync(files.certChain, c.certChainPem);
  fs.writeFileSync(files.privateKey, c.privateKeyPem);
  fs.writeFileSync(files.trustBundle, c.trustBundlePem);
  return files;
}

describe('static config files', () => {
  it('starts from a file, applies a changed file, ignores a broken one', async () => {
    const dir = tempDir();
    const app = await startHttpEcho('app');
    fx.defer(() => app.close());
    const file = path.join(dir, 'proxy.json');
    const cfg = inboundConfig({ appPort: app.port, mode: 'PERMISSIVE' });
    fs.writeFileSync(file, JSON.stringify(cfg));
    const reloads: (Error | undefined)[] = [];
    const identity = new FileIdentity(writeIdentity(dir));
    const running = await startStaticProxy(file, identity, { ...testProxyOptions, onReload: (e) => reloads.push(e) });
    fx.defer(() => running.close());
    const port = running.proxy.listenerPort('virtualInbound');
    expect((await request(port)).status).toBe(200);

    fs.writeFileSync(file, '{ not json');
    await waitFor('the broken file to be reported', () => reloads.length >= 1);
    expect(String(reloads[0])).toMatch(/not valid JSON/);
    expect((await request(port)).status).toBe(200);

    fs.writeFileSync(file, JSON.stringify({ ...cfg, version: 'v2' }));
    await waitFor('config v2 to be applied', () => running.proxy.config.version === 'v2');
    expect((await request(port)).status).toBe(200);
  });

  it.each([
    ['a missing file', (f: string) => fs.rmSync(f), /cannot read/],
    ['bad JSON', (f: string) => fs.writeFileSync(f, '[1,'), /not valid JSON/],
    ['an invalid model', (f: string) => fs.writeFileSync(f, '{"version":"1","node":{"id":"x"},"listeners":[{}]}'), /listeners\[0\]\.kind/],
  ])('rejects %s, naming the file', (_n, breakIt, message) => {
    const file = path.join(tempDir(), 'proxy.json');
    fs.writeFileSync(file, '{}');
    breakIt(file);
    expect(() => loadStaticConfig(file)).toThrow(message);
    expect(() => loadStaticConfig(file)).toThrow(file);
  });
});

describe('identity files', () => {
  it('rejects a key that does not match, and a certificate without a SPIFFE id', () => {
    const dir = tempDir();
    const a = writeIdentity(dir);
    const other = fx.ca.issue(clientId);
    fs.writeFileSync(a.privateKey, other.privateKeyPem);
    expect(() => loadIdentity(a)).toThrow(/does not match the certificate/);
    fs.writeFileSync(a.certChain, fx.ca.certPem);
    expect(() => loadIdentity(a)).toThrow(/no spiffe:\/\/ URI SAN/);
    fs.writeFileSync(a.certChain, 'garbage');
    expect(() => loadIdentity(a)).toThrow(/not a PEM certificate/);
  });

  it('keeps the current identity when a reload finds broken files, and rotates on good ones', () => {
    const dir = tempDir();
    const files = writeIdentity(dir);
    const errors: Error[] = [];
    const identity = new FileIdentity(files, (e) => errors.push(e));
    const changes: string[] = [];
    identity.onChange((c) => changes.push(c.spiffeId));
    fs.writeFileSync(files.privateKey, 'nope');
    identity.reload();
    expect(errors).toHaveLength(1);
    expect(identity.current()?.spiffeId).toBe(clientId);
    writeIdentity(dir, 'spiffe://cluster.local/ns/shop/sa/rotated');
    identity.reload();
    expect(changes).toEqual(['spiffe://cluster.local/ns/shop/sa/rotated']);
  });
});

describe('skein proxy CLI', () => {
  const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
  it.each([
    [[], /SKEIN_XDS_ADDRESS is not set: xDS mode needs the control plane address \(or run with --static-config FILE\)/],
    [['--cert', 'c.pem'], /belong to --static-config mode/],
    [['--static-config', 'x.json'], /--cert, --key and --ca are required/],
    [['--bogus'], /Unknown option/],
    [['--static-config', 'x', '--cert', 'c', '--key', 'k', '--ca', 'a', '--drain-seconds', '-1'], /--drain-seconds/],
  ])('usage error for %j', async (args, message) => {
    await expect(proxyCommand.run(args, io)).rejects.toThrow(UsageError);
    await expect(proxyCommand.run(args, io)).rejects.toThrow(message);
  });

  it('xDS mode (loaded on demand) reports a bad trust bundle path and exits 2', async () => {
    const saved = { ...process.env };
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (d: Buffer) => (text += d.toString()));
    try {
      Object.assign(process.env, { SKEIN_XDS_ADDRESS: '127.0.0.1:1', SKEIN_ROOT_CERT_PATH: path.join(tempDir(), 'missing-root.pem') });
      await expect(proxyCommand.run(['--no-original-dst', '--admin-port', '0', '--health-port', '0', '--prometheus-port', '0'], { ...io, stderr })).resolves.toBe(2);
      expect(text).toMatch(/cannot read the trust bundle .*missing-root\.pem \(SKEIN_ROOT_CERT_PATH\)/);
    } finally {
      process.env = saved;
    }
  });
});
