// `skein ca init | issue | token` end to end on a temporary directory, checked with openssl.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCommands } from '../../api/src/dispatch';
import { verifyJoinToken } from './core/join-token';
import { makeIntermediate, makeRootCa } from './testing/fixtures';
import { CaClient } from './client/ca-client';
import { createCsr, generateWorkloadKey } from './client/csr';
import { caCommands, serveCa } from './cli';
import { loadCaDir } from './store/ca-dir';

/** Runs `skein <argv>` through the CLI's own dispatcher. */
function skein(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCommands(caCommands, argv);
}

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('skein ca CLI', () => {
  let tmp: string;
  beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-ca-cli-'))));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it.each(['ec', 'rsa'])('init (%s root) + issue: openssl verifies the leaf for sslclient and sslserver', async (keyType) => {
    const dir = path.join(tmp, `ca-${keyType}`);
    const out = path.join(tmp, `leaf-${keyType}`);
    const init = await skein('ca', 'init', '--dir', dir, '--trust-domain', 'example.org', '--key-type', keyType);
    expect(init).toMatchObject({ code: 0, err: '' });
    expect(init.out).toMatch(/self-signed root/);
    expect(mode(path.join(dir, 'ca-key.pem'))).toBe(0o600);
    expect(mode(path.join(dir, 'join-token-key.pem'))).toBe(0o600);
    const rootText = openssl('x509', '-in', path.join(dir, 'root-cert.pem'), '-noout', '-text', '-enddate');
    expect(rootText).toMatch(/CA:TRUE/);
    const years = (new Date(/notAfter=(.*)/.exec(rootText)![1]!).getTime() - Date.now()) / (365 * 86_400_000);
    expect(Math.round(years)).toBe(10);

    const id = 'spiffe://example.org/ns/shop/sa/cart';
    const issue = await skein('ca', 'issue', '--dir', dir, '--spiffe-id', id, '--out', out, '--ttl', '2h', '--key-type', keyType);
    expect(issue.code).toBe(0);
    expect(mode(path.join(out, 'key.pem'))).toBe(0o600);
    for (const purpose of ['sslclient', 'sslserver']) {
      expect(openssl('verify', '-purpose', purpose, '-CAfile', path.join(out, 'root.pem'), path.join(out, 'cert.pem')).trim()).toMatch(/: OK$/);
    }
    const text = openssl('x509', '-in', path.join(out, 'cert.pem'), '-noout', '-text');
    expect(text).toMatch(new RegExp(`URI:${id}`));
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    // the key written is the certificate's key
    const certPub = openssl('x509', '-in', path.join(out, 'cert.pem'), '-noout', '-pubkey');
    const keyPub = openssl('pkey', '-in', path.join(out, 'key.pem'), '-pubout');
    expect(certPub).toBe(keyPub);
  });

  it('plugs in an intermediate; issued leaves verify against the organisation root', async () => {
    const org = await makeRootCa('ec', 'cluster.local');
    const inter = await makeIntermediate(org);
    const files = Object.fromEntries(Object.entries(inter).map(([k, pem]) => {
      const file = path.join(tmp, `${k}.pem`);
      fs.writeFileSync(file, pem);
      return [k, file];
    }));
    const dir = path.join(tmp, 'ca-inter');
    const init = await skein('ca', 'init', '--dir', dir, '--ca-cert', files.caCertPem!, '--ca-key', files.caKeyPem!, '--cert-chain', files.certChainPem!, '--root-cert', files.rootCertPem!);
    expect(init).toMatchObject({ code: 0 });
    expect(init.out).toMatch(/plugged-in intermediate/);
    const out = path.join(tmp, 'leaf-inter');
    expect((await skein('ca', 'issue', '--dir', dir, '--spiffe-id', 'spiffe://cluster.local/ns/a/sa/b', '--out', out)).code).toBe(0);
    const certs = fs.readFileSync(path.join(out, 'cert.pem'), 'utf8').match(/BEGIN CERTIFICATE/g);
    expect(certs).toHaveLength(2); // leaf + intermediate
    expect(openssl('verify', '-purpose', 'sslserver', '-CAfile', files.rootCertPem!, '-untrusted', path.join(out, 'cert.pem'), path.join(out, 'cert.pem')).trim()).toMatch(/OK$/);
  });

  it('refuses to overwrite a CA without --force, and replaces it with --force', async () => {
    const dir = path.join(tmp, 'ca-force');
    expect((await skein('ca', 'init', '--dir', dir)).code).toBe(0);
    const before = fs.readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8');
    const again = await skein('ca', 'init', '--dir', dir);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already holds a CA.*--force/);
    expect(fs.readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8')).toBe(before);
    expect((await skein('ca', 'init', '--dir', dir, '--force')).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'ca-cert.pem'), 'utf8')).not.toBe(before);
  });

  it('token prints a join token the CA accepts for that workload', async () => {
    const dir = path.join(tmp, 'ca-token');
    await skein('ca', 'init', '--dir', dir);
    const r = await skein('ca', 'token', '--dir', dir, '--namespace', 'shop', '--service-account', 'cart', '--ttl', '10m');
    expect(r.code).toBe(0);
    const ca = await loadCaDir(dir);
    const claims = await verifyJoinToken(r.out.trim(), ca.joinTokenKey!.verifyKey, new Date());
    expect(claims).toMatchObject({ ns: 'shop', sa: 'cart', aud: 'skein-ca' });
    expect(claims.exp - claims.iat).toBe(600);
  });

  it.each([
    [['ca'], /a ca command is required/],
    [['ca', 'bogus'], /unknown ca command "bogus"/],
    [['ca', 'init'], /--dir is required/],
    [['ca', 'init', '--dir', 'x', '--key-type', 'dsa'], /--key-type: invalid key type "dsa"/],
    [['ca', 'init', '--dir', 'x', '--ca-cert', 'a.pem'], /needs all of .*missing: --ca-key, --cert-chain, --root-cert/],
    [['ca', 'init', '--dir', 'x', '--bogus'], /Unknown option '--bogus'/],
    [['ca', 'issue', '--dir', 'x', '--out', 'y'], /--spiffe-id is required/],
    [['ca', 'issue', '--dir', 'x', '--out', 'y', '--spiffe-id', 'http://nope'], /--spiffe-id: invalid SPIFFE id/],
    [['ca', 'issue', '--dir', 'x', '--out', 'y', '--spiffe-id', 'spiffe://cluster.local/ns/a/sa/b', '--ttl', 'soon'], /--ttl: invalid duration/],
    [['ca', 'token', '--dir', 'x', '--namespace', 'a'], /--service-account is required/],
    [['ca', 'serve', '--dir', 'x', '--port', 'http'], /--port: "http" is not a port number/],
  ])('usage error (exit 2) for %j', async (argv, message) => {
    const r = await skein(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it.each([
    ['a CA dir that does not exist', (d: string) => ['ca', 'token', '--dir', path.join(d, 'missing'), '--namespace', 'a', '--service-account', 'b'], /not found; run 'skein ca init/],
    ['an identity of another trust domain', (d: string) => ['ca', 'issue', '--dir', path.join(d, 'ca-force'), '--spiffe-id', 'spiffe://other.org/ns/a/sa/b', '--out', path.join(d, 'x')], /trust domain other.org, but this CA serves cluster.local/],
    ['a token TTL over a year', (d: string) => ['ca', 'token', '--dir', path.join(d, 'ca-force'), '--namespace', 'a', '--service-account', 'b', '--ttl', '400d'], /between 1s and 365d/],
    ['an invalid service account', (d: string) => ['ca', 'token', '--dir', path.join(d, 'ca-force'), '--namespace', 'a', '--service-account', 'B!'], /invalid service account/],
  ])('clear error for %s', async (_n, argv, message) => {
    const r = await skein(...argv(tmp));
    expect(r.code).toBeGreaterThan(0);
    expect(r.err).toMatch(message);
  });

  it('issue refuses to overwrite existing files without --force', async () => {
    const dir = path.join(tmp, 'ca-force');
    const out = path.join(tmp, 'leaf-twice');
    const args = ['ca', 'issue', '--dir', dir, '--spiffe-id', 'spiffe://cluster.local/ns/a/sa/b', '--out', out];
    expect((await skein(...args)).code).toBe(0);
    const key = fs.readFileSync(path.join(out, 'key.pem'), 'utf8');
    const again = await skein(...args);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exist; pass --force/);
    expect(fs.readFileSync(path.join(out, 'key.pem'), 'utf8')).toBe(key);
  });

  it('loading refuses a CA directory whose key was swapped', async () => {
    const a = path.join(tmp, 'swap-a');
    const b = path.join(tmp, 'swap-b');
    await skein('ca', 'init', '--dir', a);
    await skein('ca', 'init', '--dir', b);
    fs.copyFileSync(path.join(b, 'ca-key.pem'), path.join(a, 'ca-key.pem'));
    const r = await skein('ca', 'token', '--dir', a, '--namespace', 'x', '--service-account', 'y');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/invalid CA in .*ca-key does not match ca-cert/);
  });

  it('local mode end to end: init, token, serve; a workload gets its certificate; stops on request', async () => {
    const dir = path.join(tmp, 'ca-serve');
    await skein('ca', 'init', '--dir', dir, '--trust-domain', 'local.test');
    const token = (await skein('ca', 'token', '--dir', dir, '--namespace', 'web', '--service-account', 'frontend')).out.trim();
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (d: Buffer) => (stdout += d.toString()));
    err.on('data', (d: Buffer) => (stderr += d.toString()));
    let stop!: (reason: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const serving = serveCa(['--dir', dir, '--port', '0', '--max-ttl', '48h'], { stdout: out, stderr: err, stdin: new PassThrough() }, () => stopped);
    try {
      for (let i = 0; i < 200 && !/listening on/.test(stdout); i++) await new Promise((r) => setTimeout(r, 25));
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(stdout)![1]!;
      const client = new CaClient({ address: `127.0.0.1:${port}`, serverName: 'localhost', trustBundlePem: fs.readFileSync(path.join(dir, 'root-cert.pem'), 'utf8'), credential: () => token });
      try {
        const chain = await client.createCertificate(await createCsr(await generateWorkloadKey(), 'spiffe://local.test/ns/web/sa/frontend'), 24 * 3600);
        expect(chain).toHaveLength(2);
        await expect(client.createCertificate(await createCsr(await generateWorkloadKey(), 'spiffe://local.test/ns/web/sa/frontend'), 72 * 3600)).rejects.toThrow(/INVALID_ARGUMENT.*exceeds the maximum 2d/);
      } finally {
        client.close();
      }
    } finally {
      stop('test');
      expect(await serving).toBe(0);
    }
    expect(stderr).toMatch(/issued spiffe:\/\/local.test\/ns\/web\/sa\/frontend serial [0-9a-f]+ until/);
    expect(stderr).toMatch(/refused \(code 3\)/);
    expect(stderr).not.toContain(token);
    expect(stderr).toMatch(/test: shutting down/);
  });

  describe('root rotation: bundle --add, switch, bundle --remove (each step validated, the outage step refused)', () => {
    let dir: string;
    let next: string;
    const read = (d: string, f: string) => fs.readFileSync(path.join(d, f), 'utf8');
    const roots = (d: string) => read(d, 'root-cert.pem').match(/BEGIN CERTIFICATE/g)!.length;

    beforeAll(async () => {
      dir = path.join(tmp, 'rotate');
      next = path.join(tmp, 'rotate-next');
      await skein('ca', 'init', '--dir', dir);
      await skein('ca', 'init', '--dir', next);
    });

    it('refuses to sign under a root the bundle does not have yet, and leaves the CA unchanged', async () => {
      const before = read(dir, 'ca-cert.pem');
      const r = await skein('ca', 'switch', '--dir', dir, '--from', next);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/refused, .* is unchanged: the root of .*rotate-next .* is not in .*root-cert.pem yet; add it first \(skein ca bundle --dir .* --add .*\)/);
      expect(read(dir, 'ca-cert.pem')).toBe(before);
    });

    it('adds the new root (idempotently), refuses a non-root, switches, then retires the old root', async () => {
      const oldRoot = path.join(tmp, 'rotate-old-root.pem');
      fs.copyFileSync(path.join(dir, 'root-cert.pem'), oldRoot);
      const tokenKey = read(dir, 'join-token-key.pem');
      expect(await skein('ca', 'bundle', '--dir', dir, '--add', path.join(next, 'root-cert.pem'))).toMatchObject({ code: 0, out: expect.stringMatching(/added 1 root: the trust bundle in .* holds 2 roots/) });
      expect(await skein('ca', 'bundle', '--dir', dir, '--add', path.join(next, 'root-cert.pem'))).toMatchObject({ code: 0, out: expect.stringMatching(/nothing to do: .* holds 2 roots/) });
      const leaf = path.join(tmp, 'rotate-leaf');
      await skein('ca', 'issue', '--dir', dir, '--spiffe-id', 'spiffe://cluster.local/ns/a/sa/b', '--out', leaf);
      const notARoot = await skein('ca', 'bundle', '--dir', dir, '--add', path.join(leaf, 'cert.pem'));
      expect(notARoot).toMatchObject({ code: 1, err: expect.stringMatching(/is not a self-signed root certificate/) });
      // The signer's own root cannot go while it signs.
      const early = await skein('ca', 'bundle', '--dir', dir, '--remove', oldRoot);
      expect(early).toMatchObject({ code: 1, err: expect.stringMatching(/the CA still signs under a root being removed; switch the signer first/) });
      expect(roots(dir)).toBe(2);

      expect(await skein('ca', 'switch', '--dir', dir, '--from', next)).toMatchObject({ code: 0, out: expect.stringMatching(/now signs with .* the trust bundle holds 2 roots/) });
      expect(read(dir, 'ca-cert.pem')).toBe(read(next, 'ca-cert.pem'));
      expect(read(dir, 'join-token-key.pem')).toBe(tokenKey); // join tokens handed out stay valid
      expect(fs.statSync(path.join(dir, 'ca-key.pem')).mode & 0o777).toBe(0o600);
      expect(await skein('ca', 'bundle', '--dir', dir, '--remove', oldRoot)).toMatchObject({ code: 0, out: expect.stringMatching(/removed 1 root: .* holds 1 root$/m) });
      expect(read(dir, 'root-cert.pem').trim()).toBe(read(next, 'root-cert.pem').trim());
      const ca = await loadCaDir(dir);
      expect(ca.authority.roots).toHaveLength(1);
    });

    it.each([
      [['ca', 'bundle', '--dir', 'x'], /give exactly one of --add FILE or --remove FILE/],
      [['ca', 'bundle', '--dir', 'x', '--add', 'a', '--remove', 'b'], /give exactly one of/],
      [['ca', 'switch', '--dir', 'x'], /--from is required/],
    ])('usage error (exit 2) for %j', async (argv, message) => {
      expect(await skein(...argv)).toMatchObject({ code: 2, err: expect.stringMatching(message) });
    });

    it('refuses a signer of another trust domain', async () => {
      const foreign = path.join(tmp, 'rotate-foreign');
      await skein('ca', 'init', '--dir', foreign, '--trust-domain', 'other.org');
      expect(await skein('ca', 'switch', '--dir', dir, '--from', foreign)).toMatchObject({ code: 1, err: expect.stringMatching(/is for trust domain other.org, .* for cluster.local/) });
    });
  });
});
