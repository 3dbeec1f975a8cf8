/** Reading configuration from disk for the local-mode verbs (`analyze`, offline `proxy-config`). */
import fs from 'node:fs';
import path from 'node:path';
import { analyzeModel, type SourceFile } from '../core/analyze';
import { type ConfigError } from '../core/config-error';
import { objectKey } from '../core/kube';
import { MeshIndex, type MeshSettings } from '../core/mesh-index';
import { parseConfigFile } from '../core/yaml-docs';

const configFile = (name: string) => /\.(ya?ml|json)$/i.test(name) && !name.startsWith('.');

/** Every config file under a directory (recursively, sorted), relative to it. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile() && configFile(e.name))
    .map((e) => path.join(e.parentPath, e.name)).sort();
}

/**
 * The files the user named: a directory contributes its config files (named relative to it), a
 * file itself. A path that does not exist is an error naming it.
 */
export function readSources(paths: readonly string[]): SourceFile[] {
  const out: SourceFile[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p)) throw new Error(`${p}: no such file or directory`);
    if (fs.statSync(p).isDirectory()) {
      for (const file of filesUnder(p)) out.push({ name: paths.length === 1 ? path.relative(p, file) : path.join(p, path.relative(p, file)), text: fs.readFileSync(file, 'utf8') });
    } else out.push({ name: p, text: fs.readFileSync(p, 'utf8') });
  }
  return out;
}

/** Reads every config file of a directory (recursively) into an index of the valid objects; returns the problems found. */
export function loadDirectory(dir: string, meshSettings: MeshSettings): { index: MeshIndex; errors: ConfigError[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
  const index = new MeshIndex(meshSettings);
  const errors: ConfigError[] = [];
  const owners = new Map<string, string>();
  for (const file of filesUnder(dir)) {
    const rel = path.relative(dir, file);
    const parsed = parseConfigFile(rel, fs.readFileSync(file, 'utf8'));
    errors.push(...parsed.errors);
    for (const obj of parsed.objects) {
      const key = objectKey(obj);
      const owner = owners.get(key);
      if (owner) {
        errors.push({ file: rel, object: key, path: 'metadata.name', message: `duplicate: also defined in ${owner}` });
        continue;
      }
      owners.set(key, rel);
      index.apply(obj);
    }
  }
  // Cross-resource problems name the object; add its file.
  for (const e of analyzeModel(index.model())) errors.push({ ...e, file: e.object ? owners.get(e.object) : undefined });
  return { index, errors };
}
