/**
 * The build context `docker build .` sends: every file of the directory except what `.dockerignore`
 * excludes. Patterns follow Docker's rules for the forms this repository uses: a pattern is matched
 * against the path relative to the context root (so `node_modules` means the top-level one only),
 * `*` matches within one path segment, `**` any number of segments, a leading `!` re-includes,
 * and excluding a directory excludes everything under it.
 */
import fs from 'node:fs';
import path from 'node:path';

interface Rule {
  pattern: RegExp;
  include: boolean;
}

function toRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` anything below.
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

/** Parses `.dockerignore` text (comments and blank lines skipped, leading `/` and `./` dropped). */
export function parseDockerignore(text: string): Rule[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((line) => {
    const include = line.startsWith('!');
    const glob = path.posix.normalize((include ? line.slice(1) : line).replace(/^\.?\//, '')).replace(/\/$/, '');
    return { pattern: toRegExp(glob), include };
  });
}

/** Whether `relPath` (posix, relative to the context root) is sent: the last matching rule wins. */
export function inContext(rules: readonly Rule[], relPath: string): boolean {
  const parts = relPath.split('/');
  let sent = true;
  for (const rule of rules) {
    // A rule matches the path itself or any directory above it.
    const matches = parts.some((_, i) => rule.pattern.test(parts.slice(0, i + 1).join('/')));
    if (matches) sent = rule.include;
  }
  return sent;
}

/** Copies the context of `root` (as filtered by its .dockerignore) into `dest`. */
export function copyContext(root: string, dest: string, only?: readonly string[]): void {
  const ignoreFile = path.join(root, '.dockerignore');
  const rules = fs.existsSync(ignoreFile) ? parseDockerignore(fs.readFileSync(ignoreFile, 'utf8')) : [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (!inContext(rules, child)) continue;
      if (entry.isDirectory()) {
        walk(child);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        fs.mkdirSync(path.join(dest, rel), { recursive: true });
        fs.cpSync(path.join(root, child), path.join(dest, child), { verbatimSymlinks: true });
      }
    }
  };
  if (only) {
    for (const rel of only) {
      if (!inContext(rules, rel)) throw new Error(`${rel} is excluded by .dockerignore`);
      fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
      fs.cpSync(path.join(root, rel), path.join(dest, rel), { recursive: true });
    }
  } else {
    walk('');
  }
}
