// scripts/gen-protos.js end to end: real buf + protoc-gen-es on a small target set, in temp dirs.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyValidatePatch, generate, lockPath, staleness, type GenerateOptions, type GenerateResult } from './gen-protos';

const SCRIPT = path.join(__dirname, 'gen-protos.js');
// Each generation spawns buf and a node plugin: ~2 s idle, much more on a loaded 2-core CI box.
const GEN_TIMEOUT_MS = 180_000;
const TARGETS = ['envoy/extensions/filters/listener/tls_inspector/v3'];
const CA_PROTO = `syntax = "proto3";
package skein.ca.v1;
import "google/protobuf/duration.proto";
message SignRequest { string csr_pem = 1; google.protobuf.Duration validity = 2; }
message SignResponse { repeated string cert_chain_pem = 1; }
service CertificateAuthority { rpc Sign(SignRequest) returns (SignResponse); }
`;

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-gen-test-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Options for a small, fast generation into tmp; Skein protos from tmp/proto. */
function options(extra: Partial<GenerateOptions> = {}): GenerateOptions {
  return { outDir: path.join(tmp, 'gen'), skeinProtoDir: path.join(tmp, 'proto'), envoyTargets: TARGETS, ...extra };
}

/** sha256 of every file under dir, by relative path. */
function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(dir, rel);
    if (fs.statSync(file).isFile()) out[rel] = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return out;
}

describe('gen-protos', () => {
  it('generates the targets, their imports and the Skein protos, then skips when nothing changed', () => {
    writeFile(path.join(tmp, 'proto/skein/ca/v1/ca.proto'), CA_PROTO);
    const first = generate(options());
    expect(first.generated).toBe(true);
    expect(first.files).toEqual(expect.arrayContaining([
      'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.ts',
      'udpa/annotations/status_pb.ts', // an import, generated too
      'skein/ca/v1/ca_pb.ts',
      'files.ts',
    ]));
    expect(first.files.some((f) => f.startsWith('google/protobuf/'))).toBe(false); // WKTs come from @bufbuild/protobuf/wkt
    const index = fs.readFileSync(path.join(tmp, 'gen/files.ts'), 'utf8');
    expect(index).toContain("import { file_skein_ca_v1_ca } from './skein/ca/v1/ca_pb';");
    expect(fs.readFileSync(path.join(tmp, 'gen/skein/ca/v1/ca_pb.ts'), 'utf8')).toMatch(/export const CertificateAuthority: GenService</);

    const second = generate(options());
    expect(second).toMatchObject({ generated: false, hash: first.hash, files: first.files });
    expect(staleness(options())).toBeUndefined();
  }, GEN_TIMEOUT_MS);

  it('is deterministic: two generations are byte-identical', () => {
    generate(options());
    generate(options({ outDir: path.join(tmp, 'gen2'), force: true }));
    expect(treeHashes(path.join(tmp, 'gen2'))).toEqual(treeHashes(path.join(tmp, 'gen')));
  }, GEN_TIMEOUT_MS);

  it('regenerates when a Skein proto changes or an output file is missing', () => {
    const ca = path.join(tmp, 'proto/skein/ca/v1/ca.proto');
    writeFile(ca, CA_PROTO);
    const first = generate(options());
    writeFile(ca, CA_PROTO.replace('repeated string cert_chain_pem = 1;', 'repeated string cert_chain_pem = 1; string trust_bundle_pem = 2;'));
    expect(staleness(options())).toMatch(/missing or stale: run npm run gen/);
    const second = generate(options());
    expect(second.generated).toBe(true);
    expect(second.hash).not.toBe(first.hash);
    expect(fs.readFileSync(path.join(tmp, 'gen/skein/ca/v1/ca_pb.ts'), 'utf8')).toContain('trustBundlePem: string;');

    fs.rmSync(path.join(tmp, 'gen/skein/ca/v1/ca_pb.ts'));
    expect(generate(options()).generated).toBe(true);
    expect(fs.existsSync(path.join(tmp, 'gen/skein/ca/v1/ca_pb.ts'))).toBe(true);
  }, GEN_TIMEOUT_MS);

  it('works without a Skein proto folder', () => {
    const result = generate(options({ skeinProtoDir: path.join(tmp, 'absent') }));
    expect(result.generated).toBe(true);
    expect(result.files.some((f) => f.startsWith('skein/'))).toBe(false);
  }, GEN_TIMEOUT_MS);

  it('reports a broken proto with buf\'s message and keeps the previous output', () => {
    const ca = path.join(tmp, 'proto/skein/ca/v1/ca.proto');
    writeFile(ca, CA_PROTO);
    generate(options());
    const before = treeHashes(path.join(tmp, 'gen'));
    writeFile(ca, CA_PROTO.replace('message SignResponse {', 'message SignResponse { oops'));
    expect(() => generate(options())).toThrow(/buf generate failed:[\s\S]*skein\/ca\/v1\/ca\.proto/);
    expect(treeHashes(path.join(tmp, 'gen'))).toEqual(before);
  }, GEN_TIMEOUT_MS);

  it.each([
    ['a Skein proto inside a third-party package folder', () => {
      writeFile(path.join(tmp, 'proto/envoy/x.proto'), 'syntax = "proto3";\n');
      return {};
    }, /must not live under a third-party package folder \(envoy\/\)/],
    ['a missing deps folder', () => ({ depsDir: path.join(tmp, 'no-deps') }), /proto sources not found at .*no-deps: is @grpc\/grpc-js-xds installed/],
    ['a target that does not exist', () => ({ envoyTargets: ['envoy/nope/v3'] }), /proto targets not found in .*: envoy\/nope\/v3/],
  ] as Array<[string, () => Partial<GenerateOptions>, RegExp]>)('refuses %s with a clear error', (_what, setup, message) => {
    const extra = setup();
    expect(() => generate(options(extra))).toThrow(message);
    expect(fs.existsSync(path.join(tmp, 'gen'))).toBe(false);
  }, GEN_TIMEOUT_MS);

  it('lets only one of two concurrent runs generate; the other waits and finds it up to date', async () => {
    const run = () => new Promise<GenerateResult>((resolve, reject) => {
      const code = `process.stdout.write(JSON.stringify(require(${JSON.stringify(SCRIPT)}).generate(${JSON.stringify(options())})))`;
      const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (status) => (status === 0 ? resolve(JSON.parse(out) as GenerateResult) : reject(new Error(`exit ${status}: ${err}`))));
    });
    const results = await Promise.all([run(), run()]);
    expect(results.map((r) => r.generated).sort()).toEqual([false, true]);
    expect(results[0]!.files).toEqual(results[1]!.files);
    expect(fs.existsSync(lockPath(path.join(tmp, 'gen')))).toBe(false);
  }, GEN_TIMEOUT_MS);

  it('takes over a lock left by a process that is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const lock = lockPath(path.join(tmp, 'gen'));
    fs.writeFileSync(lock, String(gone));
    expect(generate(options()).generated).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);
  }, GEN_TIMEOUT_MS);

  it('gives up with a clear error when a live process holds the lock too long', () => {
    const lock = lockPath(path.join(tmp, 'gen'));
    fs.writeFileSync(lock, String(process.pid));
    try {
      expect(() => generate(options({ lockWaitMs: 300 }))).toThrow(new RegExp(`another gen-protos run \\(pid ${process.pid}\\) has held .* for more than 300 ms`));
      expect(fs.existsSync(path.join(tmp, 'gen'))).toBe(false);
    } finally {
      fs.rmSync(lock, { force: true });
    }
  });

  it('refuses unknown flags on the command line', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, [SCRIPT, '--bogus'], { stdio: 'pipe', encoding: 'utf8' });
    } catch (err) {
      failure = err as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(1);
    expect(failure?.stderr).toMatch(/gen-protos: Unknown option '--bogus'/);
  });
});

describe('validate.proto patch', () => {
  const stringRules = (eol: string) =>
    ['message StringRules {', '  optional string const = 1;', '  optional bool strict = 25 [default = true];', '}', ''].join(eol);

  it.each([['CRLF', '\r\n'], ['LF', '\n']])('adds StringRules.ignore_empty = 26 once, keeping %s line ends', (_name, eol) => {
    const file = path.join(tmp, 'validate/validate.proto');
    writeFile(file, stringRules(eol));
    expect(applyValidatePatch(tmp)).toBe(true);
    const patched = fs.readFileSync(file, 'utf8');
    expect(patched).toContain(`  optional bool strict = 25 [default = true];${eol}${eol}`);
    expect(patched).toContain(`  optional bool ignore_empty = 26;${eol}}`);
    expect(applyValidatePatch(tmp)).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe(patched);
  });

  it('fails loudly when the file no longer looks as expected', () => {
    writeFile(path.join(tmp, 'validate/validate.proto'), 'message StringRules {}\n');
    expect(() => applyValidatePatch(tmp)).toThrow(/cannot patch validate\/validate.proto: StringRules field "strict = 25" not found/);
  });
});
