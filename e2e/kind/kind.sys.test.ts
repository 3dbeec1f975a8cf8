/**
 * The user journeys on a real cluster (kind): install, inject, mTLS with SPIFFE identities, STRICT
 * refusing plaintext, a 90/10 split, a Job that completes, and traffic surviving the loss of a
 * control-plane pod. Needs a Docker engine, kind and kubectl (see gate.ts and docs/kubernetes.md);
 * skipped with "skipped: no docker/kind" elsewhere. Every wait is bounded; the cluster is deleted at
 * the end, also on failure (SKEIN_KIND_KEEP=1 keeps it for debugging).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { installYaml } from '../../manifests/src/install';
import { resolveValues } from '../../manifests/src/values';
import { describeKind } from './gate';

const root = path.join(__dirname, '..', '..');
const cluster = `skein-e2e-${randomBytes(3).toString('hex')}`;
const image = `skein:e2e-${cluster}`;
const context = `kind-${cluster}`;

function run(command: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): string {
  return execFileSync(command, args, { cwd: root, input: options.input, timeout: options.timeoutMs ?? 120_000, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}
const kubectl = (args: string[], options?: { input?: string; timeoutMs?: number }) => run('kubectl', ['--context', context, ...args], options);
const apply = (yaml: string) => kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: yaml });

/** A tiny HTTP app run by node from the Skein image (as UID 1000: UID 1337 is the proxy's and is never captured). */
const echoServer = `require('http').createServer((q, s) => s.end(JSON.stringify({ version: process.env.VERSION, headers: q.headers }))).listen(8080)`;
const fetchOnce = (url: string) => `fetch(${JSON.stringify(url)}).then(async (r) => { console.log(r.status, await r.text()); }, (e) => { console.log('ERR', e.cause?.code ?? e.message); process.exitCode = 1; })`;

function echo(version: string): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: { name: echo-${version}, namespace: demo }
spec:
  replicas: 1
  selector: { matchLabels: { app: echo, version: ${version} } }
  template:
    metadata: { labels: { app: echo, version: ${version} } }
    spec:
      serviceAccountName: echo
      securityContext: { runAsUser: 1000, runAsGroup: 1000 }
      containers:
        - name: app
          image: ${image}
          imagePullPolicy: Never
          command: [node, -e, ${JSON.stringify(echoServer)}]
          env: [{ name: VERSION, value: ${version} }]
          ports: [{ containerPort: 8080 }]`;
}

const sleeper = (namespace: string) => `
apiVersion: v1
kind: Pod
metadata: { name: sleep, namespace: ${namespace}, labels: { app: sleep } }
spec:
  serviceAccountName: ${namespace === 'demo' ? 'sleep' : 'default'}
  securityContext: { runAsUser: 1000, runAsGroup: 1000 }
  containers:
    - name: app
      image: ${image}
      imagePullPolicy: Never
      command: [sleep, infinity]`;

const apps = `
apiVersion: v1
kind: Namespace
metadata: { name: demo, labels: { skein.dev/inject: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: nomesh }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: echo, namespace: demo }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: sleep, namespace: demo }
---
apiVersion: v1
kind: Service
metadata: { name: echo, namespace: demo }
spec:
  selector: { app: echo }
  ports: [{ name: http, port: 8080, targetPort: 8080 }]
---${echo('v1')}
---${echo('v2')}
---${sleeper('demo')}
---${sleeper('nomesh')}`;

function fetchFrom(namespace: string, url: string): string {
  try {
    return kubectl(['exec', '-n', namespace, 'sleep', '-c', 'app', '--', 'node', '-e', fetchOnce(url)], { timeoutMs: 30_000 });
  } catch (err) {
    return `ERR ${(err as { stdout?: string }).stdout ?? (err as Error).message}`;
  }
}

async function eventually(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

describeKind('Skein on kind', () => {
  jest.setTimeout(900_000);

  beforeAll(() => {
    run('kind', ['create', 'cluster', '--name', cluster, '--wait', '180s'], { timeoutMs: 400_000 });
    run('docker', ['build', '-t', image, '.'], { timeoutMs: 900_000 });
    run('kind', ['load', 'docker-image', image, '--name', cluster], { timeoutMs: 300_000 });
    apply(installYaml(resolveValues([{ source: 'kind', values: { image } }])));
    kubectl(['rollout', 'status', '-n', 'skein-system', 'deployment/skein-controlplane', '--timeout=300s'], { timeoutMs: 320_000 });
    apply(apps);
    kubectl(['wait', '-n', 'demo', '--for=condition=Ready', 'pod', '--all', '--timeout=300s'], { timeoutMs: 320_000 });
    kubectl(['wait', '-n', 'nomesh', '--for=condition=Ready', 'pod/sleep', '--timeout=120s'], { timeoutMs: 140_000 });
  });

  afterAll(() => {
    if (process.env.SKEIN_KIND_KEEP === '1') return void console.warn(`kept kind cluster ${cluster}`);
    try {
      run('kind', ['delete', 'cluster', '--name', cluster], { timeoutMs: 180_000 });
    } catch (err) {
      console.warn(`could not delete kind cluster ${cluster}: ${(err as Error).message}`);
    }
  });

  it('injects the proxy into pods of the labelled namespace only', () => {
    const names = (ns: string, pod: string) => kubectl(['get', 'pod', '-n', ns, pod, '-o', 'jsonpath={.spec.initContainers[*].name} {.spec.containers[*].name}']);
    expect(names('demo', 'sleep')).toContain('skein-proxy');
    expect(names('nomesh', 'sleep')).not.toContain('skein-proxy');
  });

  it('A → B works over mTLS and B sees A\'s SPIFFE id', async () => {
    let out = '';
    await eventually('a 200 from echo', () => (out = fetchFrom('demo', 'http://echo.demo:8080/')).startsWith('200'));
    const body = JSON.parse(out.slice(out.indexOf(' ') + 1)) as { headers: Record<string, string> };
    expect(body.headers['x-forwarded-client-cert']).toContain('URI=spiffe://cluster.local/ns/demo/sa/sleep');
  });

  it('STRICT PeerAuthentication refuses the non-mesh client and keeps serving the mesh client', async () => {
    apply('apiVersion: security.skein.dev/v1alpha1\nkind: PeerAuthentication\nmetadata: { name: default, namespace: demo }\nspec: { mtls: { mode: STRICT } }\n');
    await eventually('plaintext refused', () => !fetchFrom('nomesh', 'http://echo.demo:8080/').startsWith('200'));
    expect(fetchFrom('demo', 'http://echo.demo:8080/')).toMatch(/^200/);
    const status = kubectl(['get', 'peerauthentication', '-n', 'demo', 'default', '-o', 'jsonpath={.status.conditions[0].status}']);
    expect(status).toBe('True');
  });

  it('splits 90/10 between subsets with a VirtualService', async () => {
    apply(`apiVersion: networking.skein.dev/v1alpha1
kind: DestinationRule
metadata: { name: echo, namespace: demo }
spec: { host: echo, subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }] }
---
apiVersion: networking.skein.dev/v1alpha1
kind: VirtualService
metadata: { name: echo, namespace: demo }
spec:
  hosts: [echo]
  http: [{ route: [{ destination: { host: echo, subset: v1 }, weight: 90 }, { destination: { host: echo, subset: v2 }, weight: 10 }] }]
`);
    const script = `(async () => { const c = {}; for (let i = 0; i < 200; i++) { const r = await fetch('http://echo.demo:8080/'); const v = (await r.json()).version; c[v] = (c[v] ?? 0) + 1; } console.log(JSON.stringify(c)); })()`;
    let counts: Record<string, number> = {};
    await eventually('the split to take effect', () => {
      counts = JSON.parse(kubectl(['exec', '-n', 'demo', 'sleep', '-c', 'app', '--', 'node', '-e', script], { timeoutMs: 60_000 })) as Record<string, number>;
      return (counts.v2 ?? 0) > 0 && (counts.v1 ?? 0) > 0;
    });
    // 200 draws at p=0.1: v2 in [5, 40] with overwhelming probability.
    expect(counts.v2).toBeGreaterThanOrEqual(5);
    expect(counts.v2).toBeLessThanOrEqual(40);
  });

  it('a meshed Job completes (the sidecar does not keep it running)', () => {
    apply(`apiVersion: batch/v1
kind: Job
metadata: { name: once, namespace: demo }
spec:
  backoffLimit: 2
  template:
    spec:
      serviceAccountName: sleep
      restartPolicy: Never
      securityContext: { runAsUser: 1000, runAsGroup: 1000 }
      containers:
        - name: app
          image: ${image}
          imagePullPolicy: Never
          command: [node, -e, ${JSON.stringify(fetchOnce('http://echo.demo:8080/'))}]
`);
    kubectl(['wait', '-n', 'demo', '--for=condition=complete', 'job/once', '--timeout=180s'], { timeoutMs: 200_000 });
  });

  it('existing traffic keeps working while control-plane pods are deleted', () => {
    kubectl(['delete', 'pod', '-n', 'skein-system', '-l', 'app=skein-controlplane', '--wait=false']);
    const script = `(async () => { let ok = 0; for (let i = 0; i < 50; i++) { try { const r = await fetch('http://echo.demo:8080/'); if (r.status === 200) ok++; } catch {} await new Promise((r) => setTimeout(r, 100)); } console.log(ok); })()`;
    const ok = Number(kubectl(['exec', '-n', 'demo', 'sleep', '-c', 'app', '--', 'node', '-e', script], { timeoutMs: 60_000 }).trim());
    expect(ok).toBe(50);
    kubectl(['rollout', 'status', '-n', 'skein-system', 'deployment/skein-controlplane', '--timeout=300s'], { timeoutMs: 320_000 });
  });
});
