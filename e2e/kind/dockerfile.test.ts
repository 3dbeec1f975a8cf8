import fs from 'node:fs';
import path from 'node:path';
import { ProxyUid } from '../../api/src/names';
import { parseDockerfile } from './dockerfile';

const root = path.join(__dirname, '..', '..');
const { stages } = parseDockerfile(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const build = stages[0]!;
const all = (stage: typeof runtime, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  it('is multi-stage on a Node LTS slim base (22 or 24)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(/^node:(22|24)[.\d]*-(bookworm|trixie)-slim$/);
  });

  it('builds the native addon in the build stage with its toolchain, after installing dev dependencies', () => {
    const runs = all(build, 'RUN').join('\n');
    for (const pkg of ['python3', 'make', 'g++']) expect(runs).toContain(pkg);
    expect(runs).toMatch(/npm ci(?! --omit=dev)/);
    expect(runs).toContain('node scripts/build-addon.js');
    expect(runs.indexOf('npm run build')).toBeLessThan(runs.indexOf('npm prune --omit=dev'));
  });

  it('ships iptables and iproute2 for skein init-network, and the built addon', () => {
    const runs = all(runtime, 'RUN').join('\n');
    expect(runs).toMatch(/apt-get install[^\n]*\biptables\b/);
    expect(runs).toMatch(/apt-get install[^\n]*\biproute2\b/);
    expect(all(runtime, 'COPY').some((c) => c.includes('skein_orig_dst.node'))).toBe(true);
    expect(all(runtime, 'COPY').some((c) => c.endsWith('./cni/native/build/skein-cni'))).toBe(true); // the plugin the CNI agent installs
    expect(runs).not.toMatch(/\b(g\+\+|make|python3)\b/); // no compiler in the runtime image
  });

  it('runs as the non-root proxy UID by default', () => {
    const users = all(runtime, 'USER');
    expect(users.at(-1)).toBe(`${ProxyUid}:${ProxyUid}`);
    expect(all(runtime, 'RUN').join('\n')).toContain(`--uid ${ProxyUid}`);
  });

  it('has the skein CLI as its entrypoint (exec form)', () => {
    const entry = JSON.parse(all(runtime, 'ENTRYPOINT').at(-1)!) as string[];
    expect(entry).toEqual(['node', '/opt/skein/dist/cli/src/main.js']);
  });
});

describe('parseDockerfile', () => {
  it('joins continuations, resolves ARGs in FROM and names stages', () => {
    const parsed = parseDockerfile('ARG V=22\nFROM node:${V}-bookworm-slim AS b\n# c\nRUN a \\\n  && b\nFROM scratch\nUSER 1:1\n');
    expect(parsed.stages).toEqual([
      { from: 'node:22-bookworm-slim', name: 'b', instructions: [{ keyword: 'RUN', args: 'a && b', line: 4 }] },
      { from: 'scratch', instructions: [{ keyword: 'USER', args: '1:1', line: 7 }] },
    ]);
  });

  it.each([
    ['RUN x\n', /RUN before FROM/],
    ['FROM\n', /cannot parse/],
    ['FROM a b c\n', /bad FROM/],
  ])('rejects %j', (text, message) => {
    expect(() => parseDockerfile(text)).toThrow(message);
  });
});
