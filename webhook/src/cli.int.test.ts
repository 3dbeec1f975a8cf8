/** The webhook's CLI commands end to end: stdin/files, flags, usage errors, wait-ready on a socket. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo } from 'node:net';
import { runCommands } from '../../api/src/dispatch';
import { webhookCommands } from './cli';

/** Runs `skein <args>` through the CLI's own dispatcher. */
function run(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  return runCommands(webhookCommands(), args, stdin);
}

const dir = mkdtempSync(join(tmpdir(), 'skein-inject-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: cart}
spec:
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers: [{name: cart, image: cart:1}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {a: "1"}
`;

describe('skein inject', () => {
  it('reads stdin, writes stdout; the image flag and native sidecars apply', async () => {
    const r = await run(['inject', '-f', '-', '--image', 'registry.local/skein:dev', '--cluster-version', '1.30'], deployment);
    expect(r.code).toBe(0);
    expect(r.out).toContain('image: registry.local/skein:dev');
    expect(r.out).toContain('restartPolicy: Always');
    expect(r.out.endsWith('---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: "1"}\n')).toBe(true);
  });

  it('reads a file, writes -o, and a second run over its output changes nothing', async () => {
    const input = join(dir, 'in.yaml');
    const output = join(dir, 'out.yaml');
    writeFileSync(input, deployment);
    expect((await run(['inject', '-f', input, '-o', output, '--native-sidecars', 'off'])).code).toBe(0);
    const once = readFileSync(output, 'utf8');
    expect(once).toContain('wait-ready');
    const again = await run(['inject', '-f', output]);
    expect(again.out).toBe(once);
  });

  it('reports templates it did not inject on stderr', async () => {
    const optOut = deployment.replace('labels: {app: cart}', 'labels: {app: cart, skein.dev/inject: "false"}');
    const r = await run(['inject', '-f', '-'], optOut);
    expect(r.code).toBe(0);
    expect(r.out).toBe(optOut);
    expect(r.err).toMatch(/not injected: Deployment cart \(document 1\): pod label skein.dev\/inject=false/);
  });

  it('takes a config file', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'image: from-config:1\ntrustDomain: example.org\nnativeSidecars: "on"\n');
    const r = await run(['inject', '-f', '-', '--config', config], deployment);
    expect(r.out).toContain('image: from-config:1');
    expect(r.out).toContain('value: example.org');
  });

  it.each([
    [['inject'], /-f FILE \(or - for stdin\) is required/],
    [['inject', '-f', '-', '--native-sidecars', 'maybe'], /--native-sidecars: expected one of auto, on, off, got "maybe"/],
    [['inject', '-f', '-', '--cluster-version', 'new'], /--cluster-version: "new" is not a Kubernetes version/],
    [['inject', '-f', '-', '--bogus'], /Unknown option '--bogus'/],
  ])('%j → usage error (exit 2)', async (args, message) => {
    const r = await run(args, deployment);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  it('a bad config file field → usage error naming the file and field', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'imag: typo\n');
    const r = await run(['inject', '-f', '-', '--config', config], deployment);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${config}: imag: unknown field`);
    writeFileSync(config, 'image: [\n');
    const broken = await run(['inject', '-f', '-', '--config', config], deployment);
    expect(broken.code).toBe(2);
    expect(broken.err).toContain(`${config}: `);
  });

  it('a missing input file → exit 1 with the path', async () => {
    const r = await run(['inject', '-f', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nope.yaml/);
  });
});

describe('skein webhook', () => {
  it('requires the serving certificate files', async () => {
    const r = await run(['webhook', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--tls-cert and --tls-key are required/);
  });

  it.each([
    ['not Namespaces', 'kind: ConfigMap\nmetadata: {name: x}\n', /expected Namespace objects with metadata.name/],
    ['invalid YAML', 'kind: [\n', /invalid YAML/],
  ])('rejects a --namespaces file with %s', async (_name, text, message) => {
    const file = join(dir, 'namespaces.yaml');
    writeFileSync(file, text);
    const r = await run(['webhook', '--tls-cert', 'a', '--tls-key', 'b', '--namespaces', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('rejects a bad port', async () => {
    const r = await run(['webhook', '--tls-cert', 'a', '--tls-key', 'b', '--port', 'http']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--port: "http" is not a port/);
  });
});

describe('skein wait-ready', () => {
  let server: Server;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      res.statusCode = req.url === '/healthz/ready' && hits >= 3 ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('waits until the proxy answers 200', async () => {
    const port = String((server.address() as AddressInfo).port);
    const r = await run(['wait-ready', '--port', port, '--timeout', '10s', '--interval', '10ms']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/proxy ready after 3 attempt\(s\)/);
  });

  it('fails after the timeout with the last status', async () => {
    const port = String((server.address() as AddressInfo).port);
    const r = await run(['wait-ready', '--port', port, '--path', '/never', '--timeout', '200ms', '--interval', '20ms']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/proxy not ready on 127.0.0.1:\d+\/never after 200 ms \(last: 503\)/);
  });

  it('reports a closed port as the last error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = String((closed.address() as AddressInfo).port);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await run(['wait-ready', '--port', port, '--timeout', '100ms']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/last: ECONNREFUSED/);
  });

  it.each([
    [['wait-ready', '--timeout', 'soon'], /--timeout: invalid duration "soon"/],
    [['wait-ready', '--port', '70000'], /--port: "70000" is not a port/],
    [['wait-ready', '--path', 'healthz'], /--path: "healthz" must start with \//],
  ])('%j → usage error', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});
