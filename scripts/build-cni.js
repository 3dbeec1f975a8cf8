#!/usr/bin/env node
// Builds the CNI plugin shim (cni/native/skein-cni.c) into cni/native/build/skein-cni: one static
// executable with no runtime dependency, because the Skein CNI agent copies it onto nodes that have
// neither Node.js nor a known libc. Skips the build when the binary is newer than its source.
// Compiles to a temporary file and renames it, so builds running at once never expose half a file.
// Usage: node scripts/build-cni.js [--force]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'cni', 'native', 'skein-cni.c');
const output = path.join(root, 'cni', 'native', 'build', 'skein-cni');

function upToDate() {
  return fs.existsSync(output) && fs.statSync(source).mtimeMs <= fs.statSync(output).mtimeMs;
}

function build() {
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const partial = `${output}.${process.pid}.partial`;
  const compiler = process.env.CC || 'cc';
  const args = ['-std=c11', '-Wall', '-Wextra', '-Werror', '-O2', '-static', '-s', '-o', partial, source];
  const result = spawnSync(compiler, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    fs.rmSync(partial, { force: true });
    console.error(`build-cni: ${compiler} failed (${result.error ? result.error.message : `exit ${result.status}`}); a C compiler and the static C library (Debian: gcc, libc6-dev) are needed`);
    process.exitCode = 1;
    return;
  }
  fs.chmodSync(partial, 0o755);
  fs.renameSync(partial, output);
  console.log(`build-cni: built ${path.relative(root, output)}`);
}

if (process.platform !== 'linux') console.log('build-cni: CNI plugins run on Linux nodes only; skipping the shim');
else if (!process.argv.includes('--force') && upToDate()) console.log(`build-cni: ${path.relative(root, output)} is up to date`);
else build();
