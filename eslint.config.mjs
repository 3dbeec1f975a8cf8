// Lint config. Besides style, it enforces the module dependency rules of docs/architecture.md §2:
// the layering is checked here, not remembered.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const components = ['api', 'ca', 'capture', 'cni', 'cli', 'operator', 'webhook', 'proxy', 'manifests', 'dashboard', 'e2e'];
/** What each component may import of the others (besides itself). */
const allowed = {
  api: [],
  ca: ['api'],
  capture: ['api'], // the pod's capture rules: one builder for `skein init-network` and the CNI agent
  cni: ['api', 'capture'],
  proxy: ['api', 'ca'], // ca: only the client and the pure core, see caForProxy below
  webhook: ['api', 'ca'],
  operator: ['api', 'ca', 'dashboard'],
  manifests: ['api', 'webhook', 'cni'],
  // The web UI and its metrics aggregation: never the proxy (DESIGN.md §2); the control plane mounts it.
  dashboard: ['api'],
};
const kube = { name: '@kubernetes/client-node', message: '@kubernetes/client-node is used only under operator/src/kube/ and the CA TokenReview authenticator.' };
const ioModules = ['net', 'tls', 'http', 'http2', 'dgram', 'fs', 'fs/promises', 'child_process', 'cluster', 'worker_threads']
  .flatMap((m) => [m, `node:${m}`]).concat(['@grpc/grpc-js', 'express']);
const caForProxy = { regex: '(^|/)ca/src/(?!client(/|\\.|$)|core/)', message: 'proxy/ may import only the CA client (ca/src/client*) and the pure CA core (ca/src/core).' };

function importRule(component, { core = false, kubeAllowed = false, also = [] } = {}) {
  const forbidden = components.filter((c) => c !== component && !allowed[component].includes(c) && !also.includes(c));
  const patterns = forbidden.map((dir) => ({ group: [`**/${dir}/**`], message: `${component}/ may not import ${dir}/ (docs/architecture.md §2)` }));
  if (component === 'proxy') patterns.push(caForProxy);
  const paths = kubeAllowed ? [] : [kube];
  if (core) {
    paths.push(...ioModules.map((name) => ({ name, message: 'pure core: no I/O here; do it in an io module and pass the result in.' })));
    patterns.push({ group: ['**/io/**', '**/kube/**'], message: 'pure core may not import io layers.' });
  }
  return ['error', { paths, patterns }];
}

const layering = Object.keys(allowed).flatMap((c) => [
  { files: [`${c}/src/**/*.ts`], rules: { 'no-restricted-imports': importRule(c) } },
  { files: [`${c}/src/**/core/**/*.ts`], rules: { 'no-restricted-imports': importRule(c, { core: true }) } },
]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'api/gen/**', 'coverage/**', '**/build/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.js', 'scripts/*.mjs', 'bench/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  ...layering,
  { files: ['operator/src/kube/**/*.ts'], rules: { 'no-restricted-imports': importRule('operator', { kubeAllowed: true }) } },
  // The dashboard's browser tests use the system-test gate (Chromium must run in CI, never skip there).
  { files: ['dashboard/src/**/*.test.ts'], rules: { 'no-restricted-imports': importRule('dashboard', { also: ['e2e'] }) } },
  { files: ['ca/src/auth/token-review*.ts'], rules: { 'no-restricted-imports': importRule('ca', { kubeAllowed: true }) } },
  // The operator's API double re-exports the simulated cluster's API server (one implementation, e2e/cluster/apiserver).
  { files: ['operator/src/kube/testing/fake-apiserver.ts'], rules: { 'no-restricted-imports': importRule('operator', { kubeAllowed: true, also: ['e2e'] }) } },
  // The simulated API server's pure cores: no I/O.
  { files: ['e2e/cluster/**/core/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: ioModules.map((name) => ({ name, message: 'pure core: no I/O here; do it in an io module and pass the result in.' })) }] } },
  // Pure cores (any core/ folder under a component's src/): no clock, no randomness, no environment.
  {
    files: ['*/src/**/core/**/*.ts', 'e2e/cluster/**/core/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'pure core: pass the time in.' },
        { object: 'Math', property: 'random', message: 'pure core: pass randomness in.' },
        { object: 'process', property: 'env', message: 'pure core: pass configuration in.' },
        { object: 'performance', property: 'now', message: 'pure core: pass the time in.' },
      ],
      'no-restricted-globals': ['error',
        ...['setTimeout', 'setInterval', 'setImmediate'].map((name) => ({ name, message: 'pure core: no timers; pass the time in.' })),
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'pure core: pass the time in.' }],
    },
  },
  { files: ['**/*.test.ts', 'e2e/**', 'bench/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
);
