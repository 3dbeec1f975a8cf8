/**
 * The kubelet's AtomicWriter for API-data volumes: files go into a fresh timestamped directory
 * (`..2026_01_01_10_00_00.xxxxxx`), `..data` is switched to it with one rename, and each top-level
 * entry is a symlink through `..data` (`token -> ..data/token`) — so a reader sees the old set or
 * the new set, never a mix, and a file watcher sees the same events as on a real node. Nothing is
 * written when content and modes are unchanged. With an fsGroup, files and directories get the
 * group and group read (directories also setgid), as SetVolumeOwnership does.
 */
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type FileProjection } from './core/volumes';

const DataDir = '..data';

function timestampDirPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

function unchanged(dataDir: string, files: readonly FileProjection[]): boolean {
  const current = listFiles(dataDir);
  if (current.length !== files.length) return false;
  return files.every((f) => {
    const path = join(dataDir, f.path);
    if (!existsSync(path)) return false;
    const st = statSync(path);
    return (st.mode & 0o7777) === f.mode && (f.uid === undefined || st.uid === f.uid) && readFileSync(path).equals(f.data);
  });
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

/** Writes the volume's files into `dir` atomically; returns true when something changed. */
export function writeAtomically(dir: string, files: readonly FileProjection[], now: Date, fsGroup?: number): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o777 });
  chmodSync(dir, 0o777);
  const dataLink = join(dir, DataDir);
  const oldTarget = existsSync(dataLink) ? readlinkSync(dataLink) : undefined;
  if (oldTarget && unchanged(join(dir, oldTarget), files)) return false;

  const tsDir = mkdtempSync(join(dir, timestampDirPrefix(now)));
  chmodSync(tsDir, 0o755);
  for (const f of files) {
    const path = join(tsDir, f.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, f.data);
    chmodSync(path, f.mode);
    if (f.uid !== undefined) chownSync(path, f.uid, -1);
  }
  if (fsGroup !== undefined) applyFsGroup(tsDir, fsGroup, true);

  const tmpLink = join(dir, `${DataDir}_tmp`);
  rmSync(tmpLink, { force: true });
  symlinkSync(tsDir.slice(dir.length + 1), tmpLink);
  renameSync(tmpLink, dataLink);

  const wanted = new Set(files.map((f) => f.path.split('/')[0]!));
  for (const name of wanted) {
    const link = join(dir, name);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join(DataDir, name), link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..') || wanted.has(name)) continue;
    if (isSymlink(join(dir, name))) unlinkSync(join(dir, name));
  }
  if (oldTarget) rmSync(join(dir, oldTarget), { recursive: true, force: true });
  return true;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** SetVolumeOwnership: group `fsGroup`, group read (and write unless read-only), setgid directories. */
export function applyFsGroup(path: string, fsGroup: number, readOnly: boolean): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  lchownSync(path, -1, fsGroup);
  const mask = readOnly ? 0o440 : 0o660;
  if (st.isDirectory()) {
    chmodSync(path, (st.mode & 0o7777) | mask | 0o110 | 0o2000);
    for (const e of readdirSync(path)) applyFsGroup(join(path, e), fsGroup, readOnly);
  } else {
    chmodSync(path, (st.mode & 0o7777) | mask);
  }
}
