/**
 * The agent's files on the node: the plugin binary in the CNI bin dir and Skein's entry in the
 * active conflist (core/conflist.ts decides the content). Every write goes to a temporary file in
 * the same directory, then a rename, so the runtime never reads half a file; temporary names end
 * in `.tmp`, which the runtime ignores.
 */
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { activeConfFile, chainInto, type PluginEntry, removeFrom } from '../core/conflist';
import { PluginType } from '../names';

async function writeAtomically(file: string, content: Buffer | string, mode: number): Promise<void> {
  const partial = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(partial, content, { mode });
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export const pluginPath = (binDir: string) => path.join(binDir, PluginType);

/** Copies the plugin into the bin dir unless the same bytes are there; true when it wrote. */
export async function installPlugin(source: string, binDir: string): Promise<boolean> {
  const wanted = await readFile(source);
  const current = await readIfExists(pluginPath(binDir));
  if (current?.equals(wanted)) return false;
  await writeAtomically(pluginPath(binDir), wanted, 0o755);
  return true;
}

export async function removePlugin(binDir: string): Promise<boolean> {
  const existed = (await readIfExists(pluginPath(binDir))) !== undefined;
  await rm(pluginPath(binDir), { force: true });
  return existed;
}

export type ChainState =
  | { state: 'chained'; file: string; converted?: string }
  | { state: 'unchanged'; file: string }
  | { state: 'no-config' };

/** Makes the active configuration end with Skein's entry (converting a `.conf`); idempotent. */
export async function ensureChained(confDir: string, entry: PluginEntry): Promise<ChainState> {
  const name = activeConfFile(await readdir(confDir));
  if (name === undefined) return { state: 'no-config' };
  const text = await readIfExists(path.join(confDir, name));
  if (text === undefined) return { state: 'no-config' }; // removed meanwhile: the next change re-checks
  const result = chainInto({ name, text: text.toString('utf8') }, entry);
  if (!result.changed) return { state: 'unchanged', file: name };
  await writeAtomically(path.join(confDir, result.file.name), result.file.text, 0o644);
  if (result.replaces) await rm(path.join(confDir, result.replaces), { force: true });
  return { state: 'chained', file: result.file.name, ...(result.replaces ? { converted: result.replaces } : {}) };
}

/** Removes Skein's entry from every configuration file in the dir; returns the files changed. */
export async function unchainAll(confDir: string): Promise<string[]> {
  const changed: string[] = [];
  let names: string[];
  try {
    names = await readdir(confDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  for (const name of names.filter((n) => n.endsWith('.conflist') && !n.startsWith('.'))) {
    const text = await readIfExists(path.join(confDir, name));
    if (text === undefined) continue;
    const result = removeFrom({ name, text: text.toString('utf8') });
    if (!result.changed) continue;
    await writeAtomically(path.join(confDir, name), result.file.text, 0o644);
    changed.push(name);
  }
  return changed;
}
