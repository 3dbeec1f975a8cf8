/** Test helpers of cni/ (not used at run time). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PluginType } from '../names';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** Builds the plugin shim if its source changed (scripts/build-cni.js) and returns its path. */
export function buildPlugin(): string {
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-cni.js')], { stdio: 'ignore', timeout: 120_000 });
  return path.join(repoRoot, 'cni', 'native', 'build', PluginType);
}

/** Polls until `condition` holds, at most `timeoutMs`; throws naming `what` otherwise. */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
