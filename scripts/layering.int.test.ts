// The dependency rules of docs/architecture.md §2 are enforced by eslint; this proves the rule bites.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const refused: Array<[string, string, RegExp]> = [
  ['api/src/x.ts', "import { a } from '../../ca/src/a';\nexport const b = a;\n", /api\/ may not import ca\//],
  ['ca/src/x.ts', "import { a } from '../../operator/src/a';\nexport const b = a;\n", /ca\/ may not import operator\//],
  ['proxy/src/x.ts', "import { a } from '../../operator/src/a';\nexport const b = a;\n", /proxy\/ may not import operator\//],
  ['proxy/src/x.ts', "import { a } from '../../ca/src/service';\nexport const b = a;\n", /only the CA client/],
  ['webhook/src/x.ts', "import * as k from '@kubernetes/client-node';\nexport const b = k;\n", /only under operator\/src\/kube/],
  ['operator/src/core/x.ts', "import net from 'node:net';\nexport const b = net;\n", /pure core: no I\/O/],
  ['operator/src/core/x.ts', 'export const t = Date.now();\n', /pass the time in/],
  ['proxy/src/xds/core/x.ts', 'export const t = Date.now();\n', /pass the time in/],
  ['proxy/src/core/x.ts', 'export const r = Math.random();\n', /pass randomness in/],
  ['operator/src/kube/x.ts', "import { a } from '../../../e2e/cluster/apiserver/index';\nexport const b = a;\n", /operator\/ may not import e2e\//],
  ['e2e/cluster/apiserver/core/x.ts', 'export const t = Date.now();\n', /pass the time in/],
  ['e2e/cluster/apiserver/core/x.ts', "import net from 'node:net';\nexport const b = net;\n", /pure core: no I\/O/],
  ['cni/src/x.ts', "import { a } from '../../proxy/src/a';\nexport const b = a;\n", /cni\/ may not import proxy\//],
  ['cni/src/x.ts', "import { a } from '../../operator/src/kube/a';\nexport const b = a;\n", /cni\/ may not import operator\//],
  ['cni/src/x.ts', "import * as k from '@kubernetes/client-node';\nexport const b = k;\n", /only under operator\/src\/kube/],
  ['cni/src/core/x.ts', "import net from 'node:net';\nexport const b = net;\n", /pure core: no I\/O/],
  ['capture/src/x.ts', "import { a } from '../../proxy/src/a';\nexport const b = a;\n", /capture\/ may not import proxy\//],
  ['proxy/src/x.ts', "import { a } from '../../capture/src/a';\nexport const b = a;\n", /proxy\/ may not import capture\//],
  ['dashboard/src/x.ts', "import { a } from '../../proxy/src/a';\nexport const b = a;\n", /dashboard\/ may not import proxy\//],
  ['dashboard/src/core/x.ts', 'export const t = Date.now();\n', /pass the time in/],
];
const allowed: Array<[string, string]> = [
  ['proxy/src/x.ts', "import { a } from '../../ca/src/client';\nexport const b = a;\n"],
  ['proxy/src/x.ts', "import { a } from '../../api/src/names';\nexport const b = a;\n"],
  ['operator/src/kube/x.ts', "import * as k from '@kubernetes/client-node';\nexport const b = k;\n"],
  ['operator/src/x.ts', "import { a } from '../../ca/src/service';\nexport const b = a;\n"],
  ['cni/src/x.ts', "import { a } from '../../capture/src/core/capture-rules';\nexport const b = a;\n"],
  ['manifests/src/x.ts', "import { a } from '../../cni/src/names';\nexport const b = a;\n"],
  ['dashboard/src/x.ts', "import { a } from '../../api/src/spiffe';\nexport const b = a;\n"],
];

let results: string[][];
beforeAll(() => {
  const input = [...refused, ...allowed].map(([file, code]) => ({ file, code }));
  const out = execFileSync(process.execPath, [path.join(__dirname, 'lint-snippets.mjs')], { input: JSON.stringify(input), encoding: 'utf8' });
  results = JSON.parse(out) as string[][];
}, 120_000);

describe('dependency rules (eslint)', () => {
  it.each(refused.map((c, i) => [...c, i] as const))('%s: %j is refused', (_file, _code, message, i) => {
    expect(results[i]!.join('\n')).toMatch(message);
  });
  it.each(allowed.map((c, i) => [...c, refused.length + i] as const))('%s: %j is allowed', (_file, _code, i) => {
    expect(results[i]).toEqual([]);
  });
});
