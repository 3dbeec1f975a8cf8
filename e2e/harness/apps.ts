/**
 * The test apps (e2e/apps/*.ts) compiled to CommonJS in e2e/apps/build/ with swc, on demand and
 * only when a source is newer than its output. The build dir sits inside the repo so the apps
 * resolve `ws` and `@grpc/grpc-js` from its node_modules, and is ignored by git, tsc and eslint.
 * Output is written to a temp file and renamed, so parallel jest workers never see half a file.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformFileSync } from '@swc/core';

export const AppsSourceDir = join(__dirname, '..', 'apps');
export const AppsBuildDir = join(AppsSourceDir, 'build');

export type AppName = 'echo' | 'client';

let built = false;

/** Compiles every app source that changed; returns the build dir. Idempotent and cheap when fresh. */
export function buildApps(): string {
  if (built) return AppsBuildDir;
  compileDir(AppsSourceDir, AppsBuildDir);
  built = true;
  return AppsBuildDir;
}

/**
 * Compiles the TypeScript programs of `sourceDir` (not tests, not .d.ts) to CommonJS in
 * `buildDir`, each only when its source is newer than its output (written to a temp file and
 * renamed, so parallel jest workers never see half a file). Used for the apps and for helper
 * programs that run inside network namespaces.
 */
export function compileDir(sourceDir: string, buildDir: string): void {
  mkdirSync(buildDir, { recursive: true, mode: 0o755 });
  for (const file of readdirSync(sourceDir)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file.endsWith('.d.ts')) continue;
    const source = join(sourceDir, file);
    const output = join(buildDir, file.replace(/\.ts$/, '.js'));
    if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) continue;
    const { code } = transformFileSync(source, {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    });
    const partial = `${output}.${process.pid}.partial`;
    writeFileSync(partial, code, { mode: 0o644 });
    renameSync(partial, output);
  }
}

/** Absolute path of a compiled app, building first if needed. */
export function appPath(app: AppName): string {
  return join(buildApps(), `${app}.js`);
}
