import fs from 'node:fs';
import path from 'node:path';
import { inContext, parseDockerignore } from './docker-context';

describe('.dockerignore matching (Docker rules)', () => {
  const rules = parseDockerignore(['# comment', 'node_modules', 'dist/', '*.log', '**/*.test.ts', '**/testdata', 'api/gen', '!keep.log', ''].join('\n'));

  it.each([
    ['package.json', true],
    ['node_modules/yaml/index.js', false],
    ['proxy/node_modules/x.js', true], // a pattern without ** matches at the root only
    ['dist/cli/src/main.js', false],
    ['build.log', false],
    ['proxy/build.log', true],
    ['keep.log', true], // re-included by a later `!` rule
    ['proxy/src/http/forward.ts', true],
    ['proxy/src/http/forward.test.ts', false],
    ['forward.test.ts', false], // `**/` also matches zero directories
    ['webhook/src/testdata/pods/a.yaml', false],
    ['api/gen/envoy/x.ts', false],
    ['api/general.ts', true],
  ])('%s → sent: %s', (file, sent) => {
    expect(inContext(rules, file)).toBe(sent);
  });

  it("keeps the repository's own .dockerignore excluding tests, test data and local state", () => {
    const own = parseDockerignore(fs.readFileSync(path.join(__dirname, '..', '..', '.dockerignore'), 'utf8'));
    expect(['e2e/install/docker-context.ts', 'proxy/src/core/http1.test.ts', 'node_modules/a', 'dist/a', '.git/HEAD'].map((f) => inContext(own, f))).toEqual([false, false, false, false, false]);
    expect(['package.json', 'package-lock.json', 'proxy/src/core/http1.ts', 'Dockerfile', 'scripts/build-addon.js'].map((f) => inContext(own, f))).toEqual([true, true, true, true, true]);
  });
});
