#!/usr/bin/env node
// Builds the SO_ORIGINAL_DST addon (proxy/native) with node-gyp into
// proxy/native/build/Release/skein_orig_dst.node, where proxy/src/original-dst.ts finds it from
// both the TypeScript sources and dist/. Skips the build when the .node is newer than every source.
// Usage: node scripts/build-addon.js [--force]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const addonDir = path.join(root, 'proxy', 'native');
const output = path.join(addonDir, 'build', 'Release', 'skein_orig_dst.node');
const sources = ['binding.gyp', ...fs.readdirSync(path.join(addonDir, 'src')).map((f) => path.join('src', f))].map((f) => path.join(addonDir, f));

function upToDate() {
  if (!fs.existsSync(output)) return false;
  const built = fs.statSync(output).mtimeMs;
  return sources.every((file) => fs.statSync(file).mtimeMs <= built);
}

/** Node's own headers (e.g. /usr/include/node for a distribution's node) so that nothing is downloaded. */
function nodedirArgs() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

// One build at a time (test files running in parallel may all ask for the addon): a lock
// directory, created atomically; a lock older than lockStaleMs belongs to a crashed build.
const lock = path.join(addonDir, '.build-lock');
const lockStaleMs = 5 * 60_000;
const lockWaitMs = 3 * 60_000;

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function acquireLock() {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > lockStaleMs) fs.rmSync(lock, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    if (Date.now() > deadline) throw new Error(`build-addon: ${lock} is held by another build for too long; remove it if no build runs`);
    sleep(200);
  }
}

function build() {
  const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
  const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--loglevel=warn', ...nodedirArgs()], { cwd: addonDir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build-addon: node-gyp failed (${result.error ? result.error.message : `exit ${result.status}`}); a C compiler, make and python3 are needed`);
    process.exitCode = 1;
    return;
  }
  console.log(`build-addon: built ${path.relative(root, output)}`);
}

if (process.platform !== 'linux') {
  console.log('build-addon: SO_ORIGINAL_DST exists only on Linux; skipping the native addon');
} else {
  acquireLock();
  try {
    if (!process.argv.includes('--force') && upToDate()) console.log(`build-addon: ${path.relative(root, output)} is up to date`);
    else build();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
