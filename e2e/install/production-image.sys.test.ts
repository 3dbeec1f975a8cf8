// socks-proxy-agent ships ESM that is not transformed here; SOCKS proxies are unused.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
/**
 * The production image, built the way the Dockerfile builds it (its COPY/RUN steps, `npm ci`,
 * `npm run build`, `npm prune --omit=dev`, the runtime stage's files, ENV, USER and ENTRYPOINT —
 * image-build.ts), starts every entrypoint that the install manifests and the injection template
 * use, with their exact args, as the image's user, in a network namespace of its own (so the
 * default ports are free, as in a pod): nothing a production install runs may need a dev
 * dependency or a test module.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { ControlPlanePorts, ProxyPorts } from '../../api/src/names';
import { defaultInjectionConfig } from '../../webhook/src/core/config';
import { injectPod } from '../../webhook/src/core/inject';
import { type Container } from '../../webhook/src/core/types';
import { HarnessPrefix } from '../harness/names';
import { waitUntil } from '../harness/wait';
import { describeSystem } from '../support/system';
import { type BuiltImage, buildImage } from './image-build';
import { manifestContainer, RepoRoot } from './manifest-deployment';

jest.setTimeout(120_000);

/** A process started from the image in its own network namespace, as the image's USER. */
class ImageProcess {
  output = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly child: ChildProcess;

  constructor(readonly netns: string, image: BuiltImage, argv: string[], env: Record<string, string> = {}) {
    const runAs = ['setpriv', `--reuid=${image.user.uid}`, `--regid=${image.user.gid}`, '--clear-groups', '--'];
    this.child = spawn('ip', ['netns', 'exec', netns, ...runAs, ...argv], { env: { ...image.env, ...env }, cwd: image.root, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [this.child.stdout!, this.child.stderr!]) s.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.on('exit', (code, signal) => (this.exit = { code, signal }));
  }

  async done(timeoutMs = 30_000): Promise<number | null> {
    await waitUntil(() => this.exit !== undefined, { timeoutMs, what: 'the process to exit' });
    return this.exit!.code;
  }

  async stop(): Promise<number | null> {
    if (this.exit === undefined) this.child.kill('SIGTERM');
    return this.done(20_000);
  }
}

/** GET over plain HTTP from inside the namespace (bash /dev/tcp: no curl needed): the status line and body. */
function httpGet(netns: string, port: number, pathname: string): string {
  const script = 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET %s HTTP/1.0\\r\\n\\r\\n" "$2" >&3 && cat <&3';
  const r = spawnSync('ip', ['netns', 'exec', netns, 'timeout', '3', 'bash', '-c', script, 'get', String(port), pathname], { encoding: 'utf8' });
  return r.stdout;
}

/** The injected pod's containers for a plain app pod, as the webhook renders them with the shipped defaults. */
function injectedContainers(): { init: Container; proxy: Container } {
  const pod = injectPod({ metadata: { name: 'app', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } }, defaultInjectionConfig('0.0.0'));
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const find = (name: string) => all.find((c) => c.name === name) ?? (() => { throw new Error(`no ${name} container`); })();
  return { init: find('skein-init'), proxy: find('skein-proxy') };
}

/** A container's env with the downward-API fields of a pod filled in, and files the kubelet would mount replaced. */
function containerEnv(c: Container, files: Record<string, string>): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': 'app', 'metadata.namespace': 'shop', 'status.podIP': '10.1.0.5', 'spec.serviceAccountName': 'default' };
  const env: Record<string, string> = {};
  for (const v of (c.env ?? []) as { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]) {
    const value = v.valueFrom?.fieldRef ? fields[v.valueFrom.fieldRef.fieldPath] : v.value;
    if (value !== undefined) env[v.name] = files[v.name] ?? value;
  }
  return env;
}

describeSystem('the production image (built as the Dockerfile builds it)', () => {
  let work: string;
  let image: BuiltImage;
  const namespaces: string[] = [];
  const processes: ImageProcess[] = [];

  function netns(): string {
    // Named like the harness's namespaces, so its sweeper removes them if this run dies.
    const name = `${HarnessPrefix}${process.pid}x${randomInt(100_000, 999_999)}-img`;
    spawnSync('ip', ['netns', 'add', name]);
    spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    namespaces.push(name);
    return name;
  }

  function start(argv: string[], env?: Record<string, string>): ImageProcess {
    const p = new ImageProcess(netns(), image, [...image.entrypoint, ...argv], env);
    processes.push(p);
    return p;
  }

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-image-'));
    fs.chmodSync(work, 0o755); // the image's user (1337) must reach its files
    // The warm npm cache stands in for the registry (same locked versions; `npm ci` still verifies them).
    image = buildImage({ context: RepoRoot, workDir: work, runEnv: { npm_config_prefer_offline: 'true', npm_config_fund: 'false', npm_config_audit: 'false' } });
  }, 600_000);

  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop().catch(() => undefined);
    for (const n of namespaces.splice(0)) spawnSync('ip', ['netns', 'del', n]);
  });

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('holds no test scaffolding and no dev dependency; only OS steps were left to the machine', () => {
    const testing = spawnSync('find', [path.join(image.root, 'dist'), '-path', '*testing*'], { encoding: 'utf8' }).stdout.trim();
    expect(testing).toBe('');
    expect(fs.existsSync(path.join(image.root, 'node_modules', '@grpc', 'grpc-js-xds'))).toBe(false);
    expect(fs.existsSync(path.join(image.root, 'node_modules', '@grpc', 'grpc-js'))).toBe(true);
    expect(image.skipped.every((step) => /apt-get|groupadd/.test(step))).toBe(true);
    expect(image.user).toEqual({ uid: 1337, gid: 1337 });
  });

  it('controlplane kube (the Deployment\'s args and env) stays up without an API server: /healthz 200, /readyz 503; SIGTERM exits 0', async () => {
    const kubeconfig = path.join(work, 'kubeconfig');
    fs.writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.96.0.1:443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n', { mode: 0o644 });
    const { args, env } = manifestContainer('skein-controlplane', { name: 'skein-controlplane-0', namespace: 'skein-system' });
    const cp = start([...args, '--kubeconfig', kubeconfig], env);
    await waitUntil(() => httpGet(cp.netns, ControlPlanePorts.monitoring, '/healthz').startsWith('HTTP/1.1 200') || cp.exit !== undefined, { timeoutMs: 30_000, what: '/healthz' });
    expect(cp.exit).toBeUndefined();
    const readyz = httpGet(cp.netns, ControlPlanePorts.monitoring, '/readyz');
    expect(readyz).toMatch(/^HTTP\/1\.1 503/);
    expect(readyz).toMatch(/informer Namespace: .*10\.96\.0\.1/);
    expect(await cp.stop()).toBe(0);
    expect(cp.output).not.toMatch(/Cannot find module|MODULE_NOT_FOUND/);
  });

  it('proxy (the injected container\'s args and env) starts and keeps asking the CA for its certificate', async () => {
    const { proxy } = injectedContainers();
    const dir = fs.mkdtempSync(path.join(work, 'pod-'));
    fs.chmodSync(dir, 0o755);
    // What the kubelet mounts (projected token, skein-root-cert ConfigMap), here as plain files.
    const root = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=root', '-keyout', '/dev/null'], { encoding: 'utf8' }).stdout;
    fs.writeFileSync(path.join(dir, 'root-cert.pem'), root, { mode: 0o644 });
    fs.writeFileSync(path.join(dir, 'token'), 'not-a-real-token', { mode: 0o644 });
    fs.writeFileSync(path.join(dir, 'labels'), 'app="app"\nversion="v1"\n', { mode: 0o644 });
    const env = containerEnv(proxy, { SKEIN_ROOT_CERT_PATH: path.join(dir, 'root-cert.pem'), SKEIN_TOKEN_PATH: path.join(dir, 'token'), SKEIN_POD_LABELS_FILE: path.join(dir, 'labels') });
    const p = start(proxy.args as string[], env);
    await waitUntil(() => (p.output.match(/certificate request failed/g) ?? []).length >= 2 || p.exit !== undefined, { timeoutMs: 30_000, what: 'two certificate attempts' });
    expect({ exit: p.exit, output: p.output }).toEqual({ exit: undefined, output: expect.stringMatching(/certificate request failed.*(retrying|refused)/) });
    expect(p.output).not.toMatch(/Cannot find module|MODULE_NOT_FOUND/);
  });

  it('wait-ready (the classic sidecar\'s postStart command, as `skein` on the image\'s PATH) reports a proxy that is not ready', async () => {
    const { proxy } = injectedContainers();
    const command = (proxy.lifecycle as { postStart: { exec: { command: string[] } } }).postStart.exec.command;
    expect(command.slice(0, 2)).toEqual(['skein', 'wait-ready']);
    const argv = [...command];
    argv[argv.indexOf('--timeout') + 1] = '1s'; // 60 s in the template
    const p = new ImageProcess(netns(), image, argv);
    processes.push(p);
    expect(await p.done()).toBe(1);
    expect(p.output).toMatch(new RegExp(`proxy not ready on 127\\.0\\.0\\.1:${ProxyPorts.health}`));
  });

  it('init-network --dry-run (the init container\'s args) prints the capture rules', async () => {
    const { init } = injectedContainers();
    const p = start([...(init.args as string[]), '--dry-run']);
    expect(await p.done()).toBe(0);
    expect(p.output).toMatch(/^\*nat$/m);
    expect(p.output).toMatch(/-j SKEIN_OUTPUT/);
  });

  it('webhook serves HTTPS with its certificate files', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'webhook-'));
    fs.chmodSync(dir, 0o755);
    spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=webhook',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'tls.key'), '-out', path.join(dir, 'tls.crt')]);
    fs.chmodSync(path.join(dir, 'tls.key'), 0o644);
    const p = start(['webhook', '--tls-cert', path.join(dir, 'tls.crt'), '--tls-key', path.join(dir, 'tls.key')]);
    const probe = `require('https').get({host:'127.0.0.1',port:${ControlPlanePorts.webhook},path:'/healthz',ca:require('fs').readFileSync(${JSON.stringify(path.join(dir, 'tls.crt'))})},(r)=>{console.log(r.statusCode);process.exit(0)}).on('error',()=>process.exit(1))`;
    await waitUntil(() => spawnSync('ip', ['netns', 'exec', p.netns, process.execPath, '-e', probe], { encoding: 'utf8' }).stdout.trim() === '200' || p.exit !== undefined, { timeoutMs: 30_000, what: 'the webhook /healthz over TLS' });
    expect(p.exit).toBeUndefined();
    expect(p.output).not.toMatch(/Cannot find module|MODULE_NOT_FOUND/);
  });
});
