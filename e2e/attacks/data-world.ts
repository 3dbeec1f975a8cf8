/**
 * The mesh the data-path attacks run against: the real `skein controlplane` (local mode) and CA,
 * real `skein proxy` sidecars in xDS mode as UID 1337 behind `skein init-network` rules, each in
 * its own network namespace, and a raw-byte app (agents/raw-app.ts) that logs every byte it gets.
 *
 *   attacker  (meshed)        its app calls the victim through its own sidecar (outbound listener)
 *   outsider  (not meshed)    calls the victim's pod directly: plaintext (PERMISSIVE chain) or
 *                             mTLS with a mesh certificate (TLS chain)
 *   victim    (meshed)        raw-byte app on :8080, service `victim` port 80, and an
 *                             AuthorizationPolicy DENY `/admin*`
 *
 * Tests drive TCP from inside a pod through a relay (agents/relay.ts) on a unix socket: a socket
 * that the test holds is, byte for byte, a connection the pod's app made.
 */
import { mkdirSync, chmodSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { testCaSignedBy, type TestCa } from '../../proxy/src/testing/certs';
import { AppUid, type ManagedProcess, type Mesh, type Pod, waitUntil } from '../harness';
import { compileDir } from '../harness/apps';
import { authorizationPolicy, yamlDocs } from '../mesh/policies';
import { addSidecar, startMeshWorld, type MeshWorld } from '../mesh/support';
import { sample, type AttackRecord, type ProcSample } from './proc-stats';

export const AppPort = 8080;
/** What the DENY policy protects; every attack tries to reach it. */
export const DeniedPrefix = '/admin';
export const DenyAdmin = authorizationPolicy('deny-admin', 'victim', 'DENY', '[{ to: [{ operation: { paths: ["/admin*"] } }] }]');

export interface AttackWorld {
  mesh: Mesh;
  world: MeshWorld;
  attacker: Pod;
  outsider: Pod;
  victim: Pod;
  victimProxy: ManagedProcess;
  attackerProxy: ManagedProcess;
  victimApp: ManagedProcess;
  /** Unix sockets of the relays in the attacker's and the outsider's pods. */
  relays: { attacker: string; outsider: string };
  /** Signs mesh certificates (the mesh's own CA), for mTLS straight to the victim. */
  meshCa: TestCa;
  /** `victim.default.svc.cluster.local`. */
  victimHost: string;
}

const agents = path.join(__dirname, 'agents');
const agentsBuild = path.join(agents, 'build');

export async function startAttackWorld(m: Mesh, extraYaml = ''): Promise<AttackWorld> {
  compileDir(agents, agentsBuild);
  const attacker = await m.addPod({ name: 'attacker', labels: { app: 'attacker' }, serviceAccount: 'attacker' });
  const victim = await m.addPod({ name: 'victim', labels: { app: 'victim' }, serviceAccount: 'victim' });
  const outsider = await m.addPod({ name: 'outsider', namespace: 'legacy', labels: { app: 'outsider' }, serviceAccount: 'outsider' });
  m.labelNamespace('default', { 'skein.dev/inject': 'enabled' });
  const service = m.addService({ name: 'victim', ports: [{ name: 'http-web', port: 80, targetPort: AppPort }], pods: [victim] });
  const world = await startMeshWorld(m, yamlDocs(DenyAdmin, extraYaml));
  const victimApp = victim.spawn([process.execPath, path.join(agentsBuild, 'raw-app.js'), '--port', String(AppPort)], { name: 'raw-app', uid: AppUid });
  await victimApp.waitForLog('"ready"');
  const relayDir = path.join(m.dir, 'relays');
  mkdirSync(relayDir, { recursive: true });
  chmodSync(relayDir, 0o777);
  const relays = { attacker: path.join(relayDir, 'attacker.sock'), outsider: path.join(relayDir, 'outsider.sock') };
  for (const [pod, socket] of [[attacker, relays.attacker], [outsider, relays.outsider]] as const) {
    const relay = pod.spawn([process.execPath, path.join(agentsBuild, 'relay.js'), '--socket', socket], { name: 'relay', uid: AppUid });
    await relay.waitForLog('relay ready');
  }
  const [victimProxy, attackerProxy] = await Promise.all([addSidecar(m, world, victim), addSidecar(m, world, attacker)]);
  const meshCa = testCaSignedBy(readFileSync(path.join(world.caDir, 'ca-cert.pem'), 'utf8'), readFileSync(path.join(world.caDir, 'ca-key.pem'), 'utf8'));
  return { mesh: m, world, attacker, outsider, victim, victimProxy: victimProxy!, attackerProxy: attackerProxy!, victimApp, relays, meshCa, victimHost: service.fqdn };
}

/**
 * A TCP connection made from inside a pod (through its relay): for the attacker's pod it goes
 * through the attacker's sidecar like any app connection; for the outsider's, straight out.
 */
export function dial(relay: string, host: string, port: number, timeoutMs = 10_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: relay, allowHalfOpen: true });
    let head = '';
    const timer = setTimeout(() => fail(new Error(`relay: no connection to ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      s.destroy();
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('latin1');
      const nl = text.indexOf('\n');
      if (nl < 0) {
        head += text;
        return;
      }
      head += text.slice(0, nl);
      s.removeListener('data', onData);
      clearTimeout(timer);
      if (head !== 'OK') {
        fail(new Error(`relay: ${head}`));
        return;
      }
      const rest = chunk.subarray(Buffer.byteLength(text.slice(0, nl + 1), 'latin1'));
      if (rest.length > 0) s.unshift(rest);
      resolve(s);
    };
    s.on('data', onData);
    s.once('error', fail);
    s.once('connect', () => s.write(`${host} ${port}\n`));
  });
}

/** One line of the raw app's log. */
export interface AppEvent {
  c?: number;
  ev?: string;
  b?: string;
  req?: string;
  h?: Record<string, string>;
}

/**
 * A window on the raw app's log: `mark()` remembers where it ends; `events()` / `requests()` /
 * `bytes()` read only what came after (each test looks at its own traffic).
 */
export class AppLog {
  private from = 0;

  constructor(private readonly app: ManagedProcess) {}

  async mark(): Promise<void> {
    this.from = (await this.app.log()).length;
  }

  async events(): Promise<AppEvent[]> {
    const text = (await this.app.log()).slice(this.from);
    return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as AppEvent);
  }

  /** Request lines the app parsed, with their headers. */
  async requests(): Promise<{ line: string; headers: Record<string, string> }[]> {
    return (await this.events()).filter((e) => e.req !== undefined).map((e) => ({ line: e.req!, headers: e.h ?? {} }));
  }

  /** Every byte the app received, all connections concatenated, as latin1 text. */
  async bytes(): Promise<string> {
    return (await this.events()).filter((e) => e.b !== undefined).map((e) => Buffer.from(e.b!, 'base64').toString('latin1')).join('');
  }
}

/** Request lines whose path starts with the denied prefix (what the policy promised the app never sees). */
export function deniedRequests(reqs: readonly { line: string }[]): string[] {
  return reqs.map((r) => r.line).filter((line) => (line.split(' ')[1] ?? '').startsWith(DeniedPrefix));
}

/** Measurement records of a test file, printed at its end (the report's before/after table). */
export class AttackReport {
  readonly records: AttackRecord[] = [];

  add(r: AttackRecord): void {
    this.records.push(r);
  }

  print(): void {
    if (this.records.length === 0) return;
    const rows = this.records.map((r) => `${r.vector}\tfds ${r.before.fds}→${r.peak?.fds ?? '-'}→${r.after.fds}\trss ${Math.round(r.before.rssKb / 1024)}→${Math.round(r.after.rssKb / 1024)} MiB\tcpu ${r.after.cpuMs - r.before.cpuMs} ms\tapp requests ${r.appRequests}${r.notes ? `\t${JSON.stringify(r.notes)}` : ''}`);
    console.log(`attack measurements (${process.env.SKEIN_ATTACK_LABEL ?? 'this build'}):\n${rows.join('\n')}`);
  }
}

/** Waits until `pid` holds at most `fds` descriptors (bounded); returns the last count seen. */
export async function fdsBackTo(pid: number, fds: number, timeoutMs: number): Promise<ProcSample> {
  let last = sample(pid);
  await waitUntil(() => (last = sample(pid)).fds <= fds, { what: `pid ${pid} back to ${fds} descriptors (now ${last.fds})`, timeoutMs, intervalMs: 250 }).catch(() => undefined);
  return last;
}

export interface SocketRow {
  state: string;
  local: string;
  peer: string;
}

/** The pod's TCP sockets (`ss -Htan` inside its namespace). */
export async function podSockets(pod: Pod): Promise<SocketRow[]> {
  const { stdout } = await pod.exec(['ss', '-Htan']);
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const [state = '', , , local = '', peer = ''] = l.trim().split(/\s+/);
    return { state, local, peer };
  });
}

/** Sockets accepted on a local port (listeners excluded), and those of them in CLOSE-WAIT. */
export async function acceptedOn(pod: Pod, port: number): Promise<{ open: number; closeWait: number }> {
  const rows = (await podSockets(pod)).filter((r) => r.state !== 'LISTEN' && r.local.endsWith(`:${port}`));
  return { open: rows.length, closeWait: rows.filter((r) => r.state === 'CLOSE-WAIT').length };
}
