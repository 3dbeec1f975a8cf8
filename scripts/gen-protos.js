#!/usr/bin/env node
'use strict';
/**
 * `npm run gen`: Envoy v3 protos (shipped by @grpc/grpc-js-xds in node_modules) and Skein's own
 * protos (api/proto/, if present) → protobuf-es v2 TypeScript in api/gen/ (git-ignored).
 *
 * - Inputs are copied to a temporary tree (never edited in node_modules); the bundled
 *   protoc-gen-validate validate.proto is patched there (see VALIDATE_PATCH and docs/adr/0003).
 * - `buf generate` (from npm) runs protoc-gen-es once over the selected files plus their imports.
 * - api/gen/files.ts lists every generated file descriptor (for the Any registry).
 * - api/gen/.gen-stamp holds a hash of all inputs; when it matches, nothing runs (fast no-op).
 * Output is deterministic: same inputs → byte-identical files.
 *
 * Usage: node scripts/gen-protos.js [--force] [--check]
 *   --force  regenerate even when up to date
 *   --check  exit 1 (and say why) when api/gen is missing or stale; generate nothing
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const REPO_ROOT = path.resolve(__dirname, '..');

/** Where each top-level proto folder of the temporary tree comes from (relative to the deps dir). */
const DEP_ROOTS = [
  { from: 'envoy-api/envoy', to: 'envoy' },
  { from: 'xds/xds', to: 'xds' },
  { from: 'xds/udpa', to: 'udpa' },
  { from: 'googleapis/google', to: 'google' },
  { from: 'protoc-gen-validate/validate', to: 'validate' },
];

/**
 * What the mesh needs (folders take every .proto in them). Imports are generated too.
 * Keep sorted; add here, never hand-write generated code.
 */
const ENVOY_TARGETS = [
  'envoy/admin/v3/config_dump.proto',
  'envoy/admin/v3/config_dump_shared.proto',
  'envoy/config/cluster/v3',
  'envoy/config/core/v3',
  'envoy/config/endpoint/v3',
  'envoy/config/listener/v3',
  'envoy/config/rbac/v3',
  'envoy/config/route/v3',
  'envoy/extensions/access_loggers/file/v3',
  'envoy/extensions/access_loggers/stream/v3',
  'envoy/extensions/filters/http/fault/v3',
  'envoy/extensions/filters/http/local_ratelimit/v3',
  'envoy/extensions/filters/http/rbac/v3',
  'envoy/extensions/filters/http/router/v3',
  'envoy/extensions/filters/listener/http_inspector/v3',
  'envoy/extensions/filters/listener/original_dst/v3',
  'envoy/extensions/filters/listener/tls_inspector/v3',
  'envoy/extensions/filters/network/http_connection_manager/v3',
  'envoy/extensions/filters/network/rbac/v3',
  'envoy/extensions/filters/network/tcp_proxy/v3',
  'envoy/extensions/transport_sockets/raw_buffer/v3',
  'envoy/extensions/transport_sockets/tls/v3',
  'envoy/extensions/upstreams/http/v3',
  'envoy/service/discovery/v3',
  'envoy/service/status/v3',
  'envoy/type/matcher/v3',
];

/**
 * The bundled protoc-gen-validate lags the Envoy protos next to it: Envoy uses
 * `(validate.rules).string = {… ignore_empty: true}` but StringRules has no `ignore_empty`, so
 * option resolution fails. Upstream PGV defines it as field 26; we add exactly that.
 */
const VALIDATE_PATCH = {
  file: 'validate/validate.proto',
  present: /optional bool ignore_empty = 26;/,
  // The last field of StringRules; the file ships with CRLF line ends, keep whichever it has.
  anchor: /^ {2}optional bool strict = 25 \[default = true\];(\r?\n)/m,
  insert: (eol) => `${eol}  // Added by scripts/gen-protos.js (upstream PGV field 26, used by the Envoy protos).${eol}  optional bool ignore_empty = 26;${eol}`,
};

const PLUGIN_OPTIONS = ['target=ts', 'import_extension=none'];
/** How long a run waits for another run generating into the same folder. */
const LOCK_WAIT_MS = 300_000;
const STAMP_FILE = '.gen-stamp';
const INDEX_FILE = 'files.ts';

function defaultOptions() {
  return {
    repoRoot: REPO_ROOT,
    depsDir: path.join(REPO_ROOT, 'node_modules/@grpc/grpc-js-xds/deps'),
    skeinProtoDir: path.join(REPO_ROOT, 'api/proto'),
    outDir: path.join(REPO_ROOT, 'api/gen'),
    envoyTargets: ENVOY_TARGETS,
    force: false,
    lockWaitMs: LOCK_WAIT_MS,
  };
}

/** Every file under dir (relative, '/'-separated, sorted) whose name ends with ext. */
function listFiles(dir, ext) {
  const out = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && entry.name.endsWith(ext)) out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/** The proto sources: [{ root, rel, dest }] where dest is the path inside the temporary tree. */
function collectSources(opts) {
  if (!fs.existsSync(opts.depsDir)) {
    throw new Error(`proto sources not found at ${opts.depsDir}: is @grpc/grpc-js-xds installed (npm ci)?`);
  }
  const sources = [];
  for (const { from, to } of DEP_ROOTS) {
    const root = path.join(opts.depsDir, from);
    if (!fs.existsSync(root)) throw new Error(`proto folder missing: ${root} (did @grpc/grpc-js-xds change its layout?)`);
    for (const rel of listFiles(root, '.proto')) sources.push({ file: path.join(root, rel), dest: `${to}/${rel}` });
  }
  const skein = skeinProtoFiles(opts);
  for (const rel of skein) sources.push({ file: path.join(opts.skeinProtoDir, rel), dest: rel });
  return { sources, skein };
}

/** Skein's own protos (api/proto/**), or none when the folder does not exist yet. */
function skeinProtoFiles(opts) {
  if (!fs.existsSync(opts.skeinProtoDir)) return [];
  const files = listFiles(opts.skeinProtoDir, '.proto');
  const clash = files.find((rel) => DEP_ROOTS.some(({ to }) => rel.startsWith(`${to}/`)));
  if (clash) throw new Error(`${path.join(opts.skeinProtoDir, clash)}: Skein protos must not live under a third-party package folder (${clash.split('/')[0]}/)`);
  return files;
}

function toolVersions(opts) {
  const version = (pkg) => JSON.parse(fs.readFileSync(path.join(opts.repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  return { buf: version('@bufbuild/buf'), protocGenEs: version('@bufbuild/protoc-gen-es'), protobuf: version('@bufbuild/protobuf') };
}

/** Hash of everything that decides the output: this script, tool versions, targets, every proto. */
function inputsHash(opts, sources) {
  const hash = crypto.createHash('sha256');
  hash.update(fs.readFileSync(__filename));
  hash.update(JSON.stringify({ tools: toolVersions(opts), targets: opts.envoyTargets, plugin: PLUGIN_OPTIONS }));
  for (const { file, dest } of sources) {
    hash.update(`\0${dest}\0`);
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex');
}

function readStamp(outDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(outDir, STAMP_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Up to date when the stamp matches and every file it lists is still there. */
function upToDate(outDir, hash) {
  const stamp = readStamp(outDir);
  if (!stamp || stamp.inputsHash !== hash || !Array.isArray(stamp.files)) return false;
  return stamp.files.every((rel) => fs.existsSync(path.join(outDir, rel)));
}

function applyValidatePatch(treeDir) {
  const file = path.join(treeDir, VALIDATE_PATCH.file);
  const text = fs.readFileSync(file, 'utf8');
  if (VALIDATE_PATCH.present.test(text)) return false;
  const match = VALIDATE_PATCH.anchor.exec(text);
  if (!match) {
    throw new Error(`cannot patch ${VALIDATE_PATCH.file}: StringRules field "strict = 25" not found; update VALIDATE_PATCH in scripts/gen-protos.js`);
  }
  const end = match.index + match[0].length;
  fs.writeFileSync(file, text.slice(0, end) + VALIDATE_PATCH.insert(match[1]) + text.slice(end));
  return true;
}

function writeTree(treeDir, sources) {
  for (const { file, dest } of sources) {
    const target = path.join(treeDir, 'proto', dest);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  }
}

function bufConfigs(opts, genDir) {
  const plugin = path.join(opts.repoRoot, 'node_modules/@bufbuild/protoc-gen-es/bin/protoc-gen-es');
  const bufYaml = 'version: v2\nmodules:\n  - path: proto\n';
  const genYaml = [
    'version: v2',
    'plugins:',
    `  - local: [${JSON.stringify(process.execPath)}, ${JSON.stringify(plugin)}]`,
    `    out: ${JSON.stringify(genDir)}`,
    '    include_imports: true',
    // One plugin process for all files: ~8x faster than the default per-directory strategy.
    '    strategy: all',
    `    opt: [${PLUGIN_OPTIONS.join(', ')}]`,
    '',
  ].join('\n');
  return { bufYaml, genYaml };
}

function runBuf(opts, workDir, targets) {
  const buf = path.join(opts.repoRoot, 'node_modules/@bufbuild/buf/bin/buf');
  const args = [buf, 'generate', ...targets.flatMap((t) => ['--path', `proto/${t}`])];
  try {
    execFileSync(process.execPath, args, {
      cwd: workDir,
      env: { ...process.env, BUF_CACHE_DIR: path.join(workDir, '.buf-cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    const detail = [err.stdout, err.stderr].filter(Boolean).map(String).join('').trim();
    throw new Error(`buf generate failed:\n${detail || err.message}`);
  }
}

/** api/gen/files.ts: every generated file descriptor, for createRegistry. */
function indexSource(genDir, files) {
  const imports = [];
  const names = [];
  for (const rel of files) {
    const text = fs.readFileSync(path.join(genDir, rel), 'utf8');
    const match = /^export const (file_\w+): GenFile/m.exec(text);
    if (!match) throw new Error(`generated ${rel} exports no file descriptor`);
    imports.push(`import { ${match[1]} } from './${rel.replace(/\.ts$/, '')}';`);
    names.push(match[1]);
  }
  return [
    '// @generated by scripts/gen-protos.js: do not edit.',
    '/* eslint-disable */',
    "import type { DescFile } from '@bufbuild/protobuf';",
    ...imports,
    '',
    '/** Every generated file descriptor (Envoy, xds, udpa, validate, google, Skein). */',
    'export const generatedFiles: readonly DescFile[] = [',
    ...names.map((n) => `  ${n},`),
    '];',
    '',
  ].join('\n');
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** The lock file of an output folder (in the temp dir, so a crash never leaves a file in the repo). */
function lockPath(outDir) {
  const id = crypto.createHash('sha256').update(path.resolve(outDir)).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `skein-gen-protos-${id}.lock`);
}

/**
 * Runs fn while holding the output folder's lock, so that two runs (say build and typecheck
 * started together) never write the same tree at once. A lock left by a dead process is taken over.
 */
function withLock(outDir, waitMs, fn) {
  const lock = lockPath(outDir);
  const deadline = Date.now() + waitMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
    if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(`another gen-protos run (pid ${Number.isNaN(holder) ? '?' : holder}) has held ${lock} for more than ${waitMs} ms; remove the file if that process is gone`);
    }
    Atomics.wait(pause, 0, 0, 100);
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Replaces outDir with the freshly generated tree; the stamp is written last. */
function install(genDir, outDir, stamp) {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  fs.cpSync(genDir, outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
}

/** The --path arguments: the Envoy targets (each must exist) and every Skein proto. */
function targetPaths(opts, sources, skein) {
  const missing = opts.envoyTargets.filter((t) => !sources.some(({ dest }) => dest === t || dest.startsWith(`${t}/`)));
  if (missing.length > 0) throw new Error(`proto targets not found in ${opts.depsDir}: ${missing.join(', ')}`);
  return [...opts.envoyTargets, ...skein];
}

/**
 * Generates api/gen unless it is up to date. Returns { generated, hash, files, ms }.
 * Throws with a readable message on any failure; the previous output is kept in that case.
 */
function generate(options = {}) {
  const opts = { ...defaultOptions(), ...options };
  const started = Date.now();
  const { sources, skein } = collectSources(opts);
  const targets = targetPaths(opts, sources, skein);
  const hash = inputsHash(opts, sources);
  const skip = () => !opts.force && upToDate(opts.outDir, hash);
  const unchanged = () => ({ generated: false, hash, files: readStamp(opts.outDir).files, ms: Date.now() - started });
  if (skip()) return unchanged();
  return withLock(opts.outDir, opts.lockWaitMs, () => {
    // Another run may have generated the same inputs while this one waited.
    if (skip()) return unchanged();
    return generateInto(opts, sources, skein, targets, hash, started);
  });
}

function generateInto(opts, sources, skein, targets, hash, started) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-gen-protos-'));
  try {
    writeTree(workDir, sources);
    applyValidatePatch(path.join(workDir, 'proto'));
    const genDir = path.join(workDir, 'out');
    const { bufYaml, genYaml } = bufConfigs(opts, genDir);
    fs.writeFileSync(path.join(workDir, 'buf.yaml'), bufYaml);
    fs.writeFileSync(path.join(workDir, 'buf.gen.yaml'), genYaml);
    runBuf(opts, workDir, targets);
    const generated = listFiles(genDir, '.ts');
    fs.writeFileSync(path.join(genDir, INDEX_FILE), indexSource(genDir, generated));
    const files = [...generated, INDEX_FILE].sort();
    install(genDir, opts.outDir, { inputsHash: hash, tools: toolVersions(opts), skeinProtos: skein, files });
    return { generated: true, hash, files, ms: Date.now() - started };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** For --check: the reason api/gen is stale, or undefined when it is up to date. */
function staleness(options = {}) {
  const opts = { ...defaultOptions(), ...options };
  const { sources } = collectSources(opts);
  return upToDate(opts.outDir, inputsHash(opts, sources)) ? undefined : `${path.relative(opts.repoRoot, opts.outDir)} is missing or stale: run npm run gen`;
}

function main(argv) {
  const { parseArgs } = require('node:util');
  const { values } = parseArgs({ args: argv, options: { force: { type: 'boolean' }, check: { type: 'boolean' } }, strict: true });
  if (values.check) {
    const reason = staleness();
    if (reason) {
      process.stderr.write(`${reason}\n`);
      return 1;
    }
    return 0;
  }
  const result = generate({ force: Boolean(values.force) });
  const rel = path.relative(REPO_ROOT, defaultOptions().outDir);
  if (result.generated) process.stdout.write(`gen-protos: generated ${result.files.length} files in ${rel} (${result.ms} ms)\n`);
  else process.stdout.write(`gen-protos: ${rel} up to date (${result.ms} ms)\n`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`gen-protos: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

module.exports = { generate, staleness, applyValidatePatch, lockPath, ENVOY_TARGETS };
