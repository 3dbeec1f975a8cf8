// Three layers (docs/testing.md): unit (pure cores, fake time), integration (real sockets on
// loopback), system (network namespaces, root). `npm test` runs all three.
const transform = { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] };
// ESM-only packages (e.g. @kubernetes/client-node 2.x and its deps) must be transformed too.
const transformIgnorePatterns = ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose|@peculiar|uuid|socks-proxy-agent|agent-base)/)'];
const common = { transform, transformIgnorePatterns, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };
const fs = require('node:fs');
const path = require('node:path');
const roots = ['scripts', 'api', 'ca', 'capture', 'cni', 'cli', 'operator', 'webhook', 'proxy', 'manifests', 'dashboard', 'e2e', 'bench']
  .filter((dir) => fs.existsSync(path.join(__dirname, dir)))
  .map((dir) => `<rootDir>/${dir}`);

module.exports = {
  reporters: ['default', '<rootDir>/scripts/summary-reporter.js'],
  projects: [
    { ...common, displayName: 'unit', roots, testMatch: ['**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '\\.sys\\.test\\.ts$', '/node_modules/', '/dist/'] },
    { ...common, displayName: 'integration', roots, testMatch: ['**/*.int.test.ts'], testPathIgnorePatterns: ['/node_modules/', '/dist/'] },
    { ...common, displayName: 'system', roots, testMatch: ['**/*.sys.test.ts'], testPathIgnorePatterns: ['/node_modules/', '/dist/'] },
  ],
};
