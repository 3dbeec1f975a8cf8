/**
 * Chaining Skein's plugin into the node's CNI configuration, as data: which file the runtime uses,
 * that file with Skein's entry appended (a single-plugin `.conf` becomes a `.conflist`), and the
 * same file without it. Idempotent: chaining a chained file changes nothing, so the agent can
 * re-check whenever the directory changes and repair what another component rewrote.
 */
import { PluginType } from '../names';

/** Skein's entry in a conflist's `plugins`. */
export interface PluginEntry {
  type: typeof PluginType;
  agentSocket: string;
  capabilities: Record<string, boolean>;
}

/** A configuration file as the agent read or will write it. */
export interface ConfFile {
  name: string;
  text: string;
}

export interface Chained {
  /** The file to write (a `.conf` is written as `<base>.conflist`). */
  file: ConfFile;
  /** False when the input was already chained exactly like this: write nothing. */
  changed: boolean;
  /** The `.conf` to delete once the `.conflist` replacing it is written. */
  replaces?: string;
}

export class ConfListError extends Error {
  override name = 'ConfListError';
}

const extensions = ['.conf', '.conflist', '.json'];

/** The file the runtime loads: the first `.conf`, `.conflist` or `.json` in name order (libcni's rule). */
export function activeConfFile(names: readonly string[]): string | undefined {
  return names.filter((n) => extensions.some((ext) => n.endsWith(ext)) && !n.startsWith('.')).sort()[0];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isOurs = (plugin: unknown) => isObject(plugin) && plugin.type === PluginType;
const render = (value: Json) => `${JSON.stringify(value, null, 2)}\n`;

/** A file's content as a conflist (a single plugin config is wrapped); throws ConfListError when it is neither. */
function asList(file: ConfFile): { list: Json; converted: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(file.text);
  } catch (err) {
    throw new ConfListError(`${file.name} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new ConfListError(`${file.name}: expected a JSON object`);
  if (value.plugins !== undefined) {
    if (!Array.isArray(value.plugins) || !value.plugins.every(isObject)) throw new ConfListError(`${file.name}: plugins must be a list of objects`);
    if (typeof value.name !== 'string' || typeof value.cniVersion !== 'string') throw new ConfListError(`${file.name}: a conflist needs name and cniVersion`);
    return { list: value, converted: false };
  }
  if (typeof value.type !== 'string') throw new ConfListError(`${file.name}: neither a conflist (plugins) nor a plugin config (type)`);
  if (typeof value.name !== 'string' || typeof value.cniVersion !== 'string') throw new ConfListError(`${file.name}: a network config needs name and cniVersion`);
  const { cniVersion, name, ...plugin } = value;
  return { list: { cniVersion, name, plugins: [plugin] }, converted: true };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The file with `entry` as its last plugin (other Skein entries removed); every other field kept. */
export function chainInto(file: ConfFile, entry: PluginEntry): Chained {
  const { list, converted } = asList(file);
  const plugins = list.plugins as unknown[];
  const ours = plugins.filter(isOurs);
  if (!converted && ours.length === 1 && sameJson(ours[0], entry)) return { file, changed: false };
  const chained = render({ ...list, plugins: [...plugins.filter((p) => !isOurs(p)), entry] });
  if (!converted) return { file: { name: file.name, text: chained }, changed: true };
  const base = file.name.replace(/\.(conf|json)$/, '');
  return { file: { name: `${base}.conflist`, text: chained }, changed: true, replaces: file.name };
}

/** The file without Skein's entries; unchanged (and never rewritten) when it has none or is not a conflist. */
export function removeFrom(file: ConfFile): { file: ConfFile; changed: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(file.text);
  } catch {
    return { file, changed: false };
  }
  if (!isObject(value) || !Array.isArray(value.plugins) || !value.plugins.some(isOurs)) return { file, changed: false };
  return { file: { name: file.name, text: render({ ...value, plugins: value.plugins.filter((p) => !isOurs(p)) }) }, changed: true };
}

/** Whether the file already carries exactly this entry (what the agent reports as "chained"). */
export function isChained(file: ConfFile, entry: PluginEntry): boolean {
  try {
    return !chainInto(file, entry).changed;
  } catch {
    return false;
  }
}
