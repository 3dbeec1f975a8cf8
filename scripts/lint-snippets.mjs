// Lints code snippets as if they lived at the given paths; used by the layering test (ESLint's
// config loader needs real ESM dynamic import, which jest's VM does not give).
// stdin: [{ "file": "ca/src/x.ts", "code": "..." }] → stdout: [[message, ...], ...]
import { ESLint } from 'eslint';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const input = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (d) => (text += d)).on('end', () => resolve(text));
}));
// Snippets are not files of the TS project, so lint them without type information.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', '@typescript-eslint/await-thenable': 'off' },
  },
});
const out = [];
for (const { file, code } of input) {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  out.push(result.messages.filter((m) => m.ruleId?.startsWith('no-restricted-')).map((m) => m.message));
}
process.stdout.write(JSON.stringify(out));
