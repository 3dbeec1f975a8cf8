/**
 * The target of the control-plane attacks: the real `skein controlplane` (built CLI, local mode,
 * TLS on 127.0.0.1 with free ports) over a CA made by `skein ca init`, and a small mesh in its
 * config dir. Attackers are real gRPC clients (operator/src/testing/mtls-ads.ts): anonymous, with
 * a certificate of another CA, or with certificates this CA issued for the identities they hold.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type WorkloadCertificate } from '../../api/src/identity';
import { type LoadedCa, loadCaDir } from '../../ca/src/store/ca-dir';
import { workloadCertificate, type Workload } from '../../operator/src/testing/mtls-ads';
import { waitUntil } from '../harness/wait';
import { BuiltCli } from '../install/manifest-deployment';

/** reviews-v1 serves reviews:9080 (the victim); productpage and mallory are other workloads. */
export const meshYaml = `apiVersion: v1
kind: Namespace
metadata: { name: default, labels: { skein.dev/inject: enabled } }
---
apiVersion: v1
kind: Service
metadata: { name: reviews, namespace: default }
spec: { clusterIP: 10.96.0.10, selector: { app: reviews }, ports: [{ name: http, port: 9080, targetPort: 9080 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: reviews-v1, namespace: default, labels: { app: reviews } }
spec: { serviceAccountName: reviews }
status: { podIP: 10.0.0.1 }
---
apiVersion: v1
kind: Pod
metadata: { name: productpage-1, namespace: default, labels: { app: productpage } }
spec: { serviceAccountName: productpage }
status: { podIP: 10.0.2.1 }
---
apiVersion: v1
kind: Pod
metadata: { name: mallory-1, namespace: default, labels: { app: mallory } }
spec: { serviceAccountName: mallory }
status: { podIP: 10.0.9.9 }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: reviews-abc, namespace: default, labels: { kubernetes.io/service-name: reviews } }
addressType: IPv4
ports: [{ name: http, port: 9080 }]
endpoints:
  - { addresses: [10.0.0.1], targetRef: { kind: Pod, name: reviews-v1 } }
`;

export const nodeIds = {
  reviews: 'sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local',
  productpage: 'sidecar~10.0.2.1~productpage-1.default~default.svc.cluster.local',
  mallory: 'sidecar~10.0.9.9~mallory-1.default~default.svc.cluster.local',
};

export function skeinCli(...args: string[]): string {
  return execFileSync(process.execPath, [BuiltCli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class ControlPlaneUnderAttack {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-xds-attack-'));
  readonly caDir = path.join(this.dir, 'ca');
  readonly configDir = path.join(this.dir, 'config');
  output = '';
  private child: ChildProcess | undefined;
  private exit: number | null | undefined;
  xdsPort = 0;
  monitorPort = 0;
  ca!: LoadedCa;

  get address(): string {
    return `127.0.0.1:${this.xdsPort}`;
  }

  /** PEM of every root the control plane's CA trusts now. */
  trustBundle(): string {
    return fs.readFileSync(path.join(this.caDir, 'root-cert.pem'), 'utf8');
  }

  /** `skein ca init`, the config dir (`mesh`), then `skein controlplane` with `extraArgs`; resolves when ready. */
  async start(extraArgs: string[] = [], mesh = meshYaml): Promise<void> {
    skeinCli('ca', 'init', '--dir', this.caDir);
    this.ca = await loadCaDir(this.caDir);
    fs.mkdirSync(this.configDir);
    fs.writeFileSync(path.join(this.configDir, 'mesh.yaml'), mesh);
    const argv = [BuiltCli, 'controlplane', '--config-dir', this.configDir, '--ca-dir', this.caDir, '--xds-host', '127.0.0.1', '--xds-port', '0', '--monitor-port', '0', '--poll-interval', '200', ...extraArgs];
    this.child = spawn(process.execPath, argv, { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout!, this.child.stderr!]) stream.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.on('exit', (code) => (this.exit = code));
    await waitUntil(() => /monitoring on [\d.]+:\d+/.test(this.output), { timeoutMs: 20_000, what: 'the control plane to start', giveUp: () => (this.exit !== undefined ? `exited ${this.exit}: ${this.output}` : undefined) });
    this.xdsPort = Number(/ADS\+CA \(TLS\) on [\d.]+:(\d+)/.exec(this.output)![1]);
    this.monitorPort = Number(/monitoring on [\d.]+:(\d+)/.exec(this.output)![1]);
  }

  /** A certificate this CA issues for `workload` (first issue: a join token, as `skein ca token` mints). */
  certificate(workload: Workload, validitySeconds = 3600): Promise<WorkloadCertificate> {
    return workloadCertificate(this.address, this.ca, workload, validitySeconds);
  }

  async syncz(): Promise<Record<string, { stream: string; identity?: string; translationWarnings: string[] }>> {
    return (await fetch(`http://127.0.0.1:${this.monitorPort}/debug/syncz`)).json() as never;
  }

  /** Lines of the control plane's log matching `pattern`. */
  logLines(pattern: RegExp): string[] {
    return this.output.split('\n').filter((l) => pattern.test(l));
  }

  async stop(): Promise<void> {
    if (this.child && this.exit === undefined) {
      this.child.kill('SIGTERM');
      await waitUntil(() => this.exit !== undefined, { timeoutMs: 15_000, what: 'the control plane to exit' }).catch(() => this.child?.kill('SIGKILL'));
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
