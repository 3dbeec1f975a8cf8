/**
 * Reloads a CA directory while a server runs (root rotation in local mode: `skein ca bundle --add`,
 * `skein ca switch`, `skein ca bundle --remove` rewrite it). Polls the files' contents; a changed
 * set is loaded and validated like at start (ca/src/store/ca-dir.ts) and handed to the live CA. A
 * set that does not load — half-written, a key that does not match — is refused with the reason
 * and the current CA keeps signing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type LiveCa } from '../service/live-ca';
import { CaFiles, loadCaDir } from './ca-dir';

export interface CaDirWatch {
  /** Looks once now (tests; the timer calls it too). Resolves when a change was handled. */
  check(): Promise<void>;
  stop(): void;
}

function fingerprint(dir: string): string {
  const hash = createHash('sha256');
  for (const name of Object.values(CaFiles)) {
    hash.update(name);
    try {
      hash.update(fs.readFileSync(path.join(dir, name)));
    } catch {
      hash.update('\0missing');
    }
  }
  return hash.digest('hex');
}

export function watchCaDir(dir: string, live: LiveCa, options: { intervalMs?: number; log?: (line: string) => void } = {}): CaDirWatch {
  let seen = fingerprint(dir);
  let running: Promise<void> | undefined;
  const check = (): Promise<void> => {
    running ??= (async () => {
      const now = fingerprint(dir);
      if (now === seen) return;
      seen = now;
      try {
        const change = live.replace(await loadCaDir(dir, live.now()));
        const roots = live.ca.authority.roots.length;
        options.log?.(`ca: reloaded ${dir}: ${change.signer ? 'signing with a new CA certificate' : 'same signer'}, trust bundle ${roots} root${roots === 1 ? '' : 's'}${change.bundle ? ' (changed)' : ''}`);
      } catch (err) {
        options.log?.(`ca: not reloading ${dir}, the current CA keeps signing: ${(err as Error).message}`);
      }
    })().finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => void check(), options.intervalMs ?? 2000);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
