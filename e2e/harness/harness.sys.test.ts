/**
 * The harness itself: pods on the bridge talk to each other by IP with every echo protocol,
 * processes run as the UID asked for, packet capture sees what is on the wire, and teardown and
 * the sweeper leave nothing behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyUid } from '../../api/src/names';
import { describeSystem } from '../support/system';
import { AppUid, appPath, containsPlaintext, containsTlsRecords, Mesh, run, sweepLeftovers, tlsSummary, useMesh, waitUntil, type Pod } from './index';
import { runId } from './names';
import { listNetns } from './sweeper';

/** True when the pid no longer runs (gone, or a zombie nobody has reaped yet). */
function processGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

const tools = ['ip', 'iptables', 'tcpdump', 'setpriv', 'bash', 'openssl'];

describeSystem('harness: pods in network namespaces', () => {
  let client: Pod;
  let web: Pod;
  const mesh = useMesh({
    setup: async (m) => {
      client = await m.addPod({ name: 'client', labels: { app: 'client' }, serviceAccount: 'client' });
      web = await m.addPod({ name: 'web-v1', labels: { app: 'web', version: 'v1' }, serviceAccount: 'web' });
      await web.startEcho({ http: 8080, grpc: 9090, tcp: 7070 });
    },
  });

  it('HTTP/1.1 from one pod to another by IP, with the caller address and app identity', async () => {
    const r = await client.client({ protocol: 'http', target: `http://${web.ip}:8080/hello?x=1` });
    expect(r).toMatchObject({ requests: 1, ok: 1, failed: 0, statuses: { 200: 1 } });
    expect(r.first).toMatchObject({ protocol: 'http/1.1', name: 'web', version: 'v1', pod: 'web-v1', namespace: 'default', method: 'GET', path: '/hello?x=1', remoteAddress: client.ip, callerSpiffeId: null });
  });

  it('h2c (prior knowledge) on the same port', async () => {
    const r = await client.client({ protocol: 'h2', target: `http://${web.ip}:8080/h2`, count: 3 });
    expect(r).toMatchObject({ ok: 3, failed: 0 });
    expect(r.first).toMatchObject({ protocol: 'h2', path: '/h2', remoteAddress: client.ip });
  });

  it('reports the caller SPIFFE id from x-forwarded-client-cert', async () => {
    const xfcc = `By=${web.spiffeId};Hash=abc;Subject="";URI=${client.spiffeId}`;
    const r = await client.client({ protocol: 'http', target: `http://${web.ip}:8080/`, headers: { 'x-forwarded-client-cert': xfcc } });
    expect(r.first?.callerSpiffeId).toBe('spiffe://cluster.local/ns/default/sa/client');
  });

  it('gRPC unary and server streaming, with caller metadata', async () => {
    const unary = await client.client({ protocol: 'grpc', target: `${web.ip}:9090`, headers: { 'x-test': 'yes' }, message: 'ping' });
    expect(unary).toMatchObject({ ok: 1, statuses: { OK: 1 } });
    expect(unary.first).toMatchObject({ protocol: 'grpc', name: 'web', echo: 'ping', path: '/skein.test.Echo/Echo', headers: { 'x-test': 'yes' }, remoteAddress: client.ip });
    const stream = await client.client({ protocol: 'grpc-stream', target: `${web.ip}:9090`, count: 2 });
    expect(stream).toMatchObject({ ok: 2, failed: 0 });
  });

  it('WebSocket echo', async () => {
    const r = await client.client({ protocol: 'ws', target: `ws://${web.ip}:8080/chat`, message: 'hi there', count: 2 });
    expect(r).toMatchObject({ ok: 2, failed: 0 });
    expect(r.first).toMatchObject({ protocol: 'ws', echo: 'hi there', path: '/chat' });
  });

  it('TCP echo greets with its identity and echoes bytes', async () => {
    const r = await client.client({ protocol: 'tcp', target: `${web.ip}:7070`, message: 'opaque bytes', count: 3 });
    expect(r).toMatchObject({ ok: 3, failed: 0, byVersion: { v1: 3 }, byName: { web: 3 } });
  });

  it('a bounded load loop counts every request per version', async () => {
    const r = await client.client({ protocol: 'http', target: `http://${web.ip}:8080/`, count: 40, concurrency: 4, durationMs: 20_000 });
    expect(r).toMatchObject({ requests: 40, ok: 40, byVersion: { v1: 40 } });
  });

  it('a flaky backend fails its first N requests with 503, and a hanging one times out', async () => {
    await web.startEcho({ http: 8081, grpc: 9091, failFirst: 2 });
    const http = await client.client({ protocol: 'http', target: `http://${web.ip}:8081/`, count: 5 });
    expect(http).toMatchObject({ requests: 5, ok: 3, failed: 2, statuses: { 503: 2, 200: 3 } });
    const grpc = await client.client({ protocol: 'grpc', target: `${web.ip}:9091`, count: 3 });
    expect(grpc).toMatchObject({ ok: 1, failed: 2, statuses: { UNAVAILABLE: 2, OK: 1 } });
    await web.startEcho({ http: 8082, hang: true });
    const hung = await client.client({ protocol: 'http', target: `http://${web.ip}:8082/`, timeoutMs: 300 });
    expect(hung).toMatchObject({ ok: 0, failed: 1, errors: { 'timeout after 300 ms': 1 } });
  });

  it('service names resolve to their VIP inside every pod', async () => {
    const svc = mesh().addService({ name: 'web', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }], pods: [web] });
    const { stdout } = await client.exec(['getent', 'hosts', 'web'], { uid: AppUid });
    expect(stdout).toContain(svc.vip);
    expect(stdout).toContain('web.default.svc.cluster.local');
  });

  it('pods reach a process in the node namespace at the gateway address (where a control plane can run)', async () => {
    const node = mesh().node;
    const proc = node.spawn([process.execPath, appPath('echo'), '--tcp', '7071'], { uid: AppUid, env: { NAME: 'controlplane' } });
    await proc.waitForPort(7071, { host: node.ip });
    const r = await client.client({ protocol: 'tcp', target: `${node.ip}:7071` });
    expect(r).toMatchObject({ ok: 1, byName: { controlplane: 1 } });
  });

  it('a VIP is only a destination: without capture, nothing answers on it', async () => {
    const svc = mesh().addService({ name: 'nobody', ports: [{ name: 'tcp-x', port: 7070 }], pods: [web] });
    const r = await client.client({ protocol: 'tcp', target: `${svc.vip}:7070`, timeoutMs: 1_000 });
    expect(r).toMatchObject({ ok: 0, failed: 1 });
    expect(await client.iptablesSave('nat')).not.toContain('-A ');
  });

  it('iptables owner matching tells the proxy UID from the app UID, as the capture rules need', async () => {
    const svc = mesh().addService({ name: 'captured', ports: [{ name: 'http-web', port: 80, targetPort: 8080 }], pods: [web] });
    await client.startEcho({ http: 15001, uid: ProxyUid, name: 'fake-proxy' });
    await client.exec(['iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-d', svc.vip, '-m', 'owner', '!', '--uid-owner', String(ProxyUid), '-j', 'REDIRECT', '--to-ports', '15001']);
    try {
      const app = await client.client({ protocol: 'http', target: 'http://captured/' });
      expect(app.first).toMatchObject({ name: 'fake-proxy', path: '/' });
      const proxy = await client.client({ protocol: 'http', target: 'http://captured/', uid: ProxyUid, timeoutMs: 1_000 });
      expect(proxy).toMatchObject({ ok: 0, failed: 1 });
      expect(await client.iptablesSave('nat')).toContain(`-d ${svc.vip}/32 -p tcp -m owner ! --uid-owner 1337 -j REDIRECT --to-ports 15001`);
    } finally {
      await client.exec(['iptables', '-t', 'nat', '-F', 'OUTPUT']);
    }
  });

  it('replaces the endpoints of a service', async () => {
    const other = await mesh().addPod({ name: 'web-v2', labels: { app: 'web', version: 'v2' }, serviceAccount: 'web' });
    const svc = mesh().addService({ name: 'scaled', ports: [{ name: 'http', port: 80 }], pods: [web] });
    expect(mesh().setServicePods('default', 'scaled', [web, other]).pods).toEqual([web, other]);
    expect(mesh().service('default', 'scaled').vip).toBe(svc.vip);
    const yaml = readFileSync(await mesh().writeConfig(join(mesh().dir, 'scaled')), 'utf8');
    expect(yaml).toContain(`- ${other.ip}`);
    expect(() => mesh().setServicePods('default', 'missing', [])).toThrow(/no service default\/missing/);
  });

  it('runs processes as the UID and GID asked for, with no supplementary groups', async () => {
    expect((await client.exec(['id'], { uid: ProxyUid })).stdout.trim()).toBe('uid=1337 gid=1337 groups=1337');
    const sleeper = client.spawn(['sleep', '30'], { uid: AppUid, gid: 1001 });
    const status = () => readFileSync(`/proc/${sleeper.pid}/status`, 'utf8');
    await waitUntil(() => /^Name:\tsleep$/m.test(status()), { what: 'ip netns exec → setpriv → sleep', timeoutMs: 5_000 });
    expect(status()).toMatch(/^Uid:\t1000\t1000\t1000\t1000$/m);
    expect(status()).toMatch(/^Gid:\t1001\t1001\t1001\t1001$/m);
    expect(status()).toMatch(/^Groups:\s*$/m);
    expect(await sleeper.stop()).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('waits for HTTP readiness by status', async () => {
    const proc = web.spawn([process.execPath, appPath('echo'), '--http', '8083'], { uid: AppUid });
    await proc.waitForHttp(`http://${web.ip}:8083/healthz`);
    await proc.waitForHttp(`http://${web.ip}:8083/`, { status: 200, timeoutMs: 2_000 });
    expect(await client.httpStatus(`http://${web.ip}:8083/x`)).toBe(200);
    expect(await client.httpStatus(`http://${web.ip}:1/`)).toBeUndefined();
  });

  it('a process that dies before it is ready fails the wait at once, with its log', async () => {
    const broken = client.spawn(['sh', '-c', 'echo cannot bind: boom >&2; exit 3'], { name: 'broken' });
    await expect(broken.waitForPort(1234, { timeoutMs: 10_000 })).rejects.toThrow(/process exited \(code 3\)[\s\S]*cannot bind: boom/);
  });

  it('capture on the bridge sees a plaintext marker sent in clear', async () => {
    const capture = await mesh().captureBridge('tcp port 8080');
    const r = await client.client({ protocol: 'http', target: `http://${web.ip}:8080/`, headers: { 'x-marker': 'PLAINTEXT-MARKER-7f3a' } });
    expect(r.ok).toBe(1);
    const pcap = await capture.stop();
    expect(containsPlaintext(pcap, 'PLAINTEXT-MARKER-7f3a')).toBe(true);
    expect(containsTlsRecords(pcap)).toBe(false);
    expect(tlsSummary(pcap).plaintextStreams).toBeGreaterThanOrEqual(2);
  });

  it('capture recognises TLS records and does not find a marker sent inside TLS', async () => {
    const dir = join(mesh().dir, 'tls');
    mkdirSync(dir);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=web',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const server = web.spawn(['openssl', 's_server', '-accept', '8443', '-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem'), '-www', '-tls1_2'], { name: 'tls' });
    await server.waitForPort(8443, { host: web.ip });
    const capture = await mesh().captureBridge('tcp port 8443');
    await client.exec(['openssl', 's_client', '-connect', `${web.ip}:8443`, '-quiet'], { input: 'GET / HTTP/1.0\r\nX-Marker: SECRET-MARKER-91c2\r\n\r\n', timeoutMs: 10_000, allowFailure: true });
    const pcap = await capture.stop();
    expect(containsTlsRecords(pcap)).toBe(true);
    expect(containsPlaintext(pcap, 'SECRET-MARKER-91c2')).toBe(false);
    expect(tlsSummary(pcap)).toMatchObject({ plaintextStreams: 0, handshake: true, applicationData: true });
  });

  it('writes the mesh as Kubernetes YAML for the control plane', async () => {
    const file = await mesh().writeConfig(join(mesh().dir, 'config'));
    const yaml = readFileSync(file, 'utf8');
    expect(yaml).toContain(`podIP: ${web.ip}`);
    expect(yaml).toContain('kind: EndpointSlice');
  });

  it('rejects bad pods and services with a clear error', async () => {
    await expect(mesh().addPod({ name: 'Bad_Name' })).rejects.toThrow(/invalid pod name "Bad_Name"/);
    await expect(mesh().addPod({ name: 'client' })).rejects.toThrow(/pod default\/client already exists/);
    expect(() => mesh().addService({ name: 'x', namespace: 'other', ports: [{ name: 'http', port: 80 }], pods: [web] })).toThrow(/pod web-v1 is in namespace default/);
    expect(() => mesh().addService({ name: 'y', ports: [{ name: 'http', port: 0 }], pods: [web] })).toThrow(/invalid port 0/);
  });
}, tools);

describeSystem('harness: teardown and the leftover sweeper', () => {
  const hostLinks = () => execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });

  it('teardown leaves no namespace, link, process, hosts entry or temp dir behind', async () => {
    const linksBefore = hostLinks();
    const mesh = await Mesh.create();
    let sleeper: number | undefined;
    let bNetns = '';
    try {
      const a = await mesh.addPod({ name: 'a' });
      const b = await mesh.addPod({ name: 'b' });
      bNetns = b.netns;
      await a.startEcho({ http: 8080 });
      sleeper = b.spawn(['sleep', '300'], { uid: AppUid }).pid;
      expect((await listNetns()).filter((n) => n.startsWith(mesh.run))).toHaveLength(3);
      expect(existsSync(join('/etc/netns', b.netns, 'hosts'))).toBe(true);
    } finally {
      await mesh.teardown();
    }
    expect((await listNetns()).filter((n) => n.startsWith(mesh.run))).toEqual([]);
    expect(hostLinks()).toBe(linksBefore);
    expect(processGone(sleeper!)).toBe(true);
    expect(existsSync(mesh.dir)).toBe(false);
    expect(existsSync(join('/etc/netns', bNetns))).toBe(false);
  });

  it('the sweeper removes leftovers of a dead run (and its processes) but not those of live runs', async () => {
    const dead = spawnSync('true').pid!; // a pid that has just exited
    const stale = `${runId(dead, 0)}-node`;
    const live = await Mesh.create({ sweep: false });
    try {
      execFileSync('ip', ['netns', 'add', stale]);
      const orphan = spawnSync('sh', ['-c', `ip netns exec ${stale} setsid sleep 300 >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).stdout.trim();
      await waitUntil(async () => (await run(['ip', 'netns', 'pids', stale])).stdout.includes(orphan), { what: 'the orphan to enter its namespace', timeoutMs: 5_000 });
      const staleDir = join(tmpdir(), `${runId(dead, 0)}-abc`);
      mkdirSync(staleDir);
      const swept = await sweepLeftovers();
      // A harness run in another jest worker may sweep them first, so check the end state.
      expect(swept.netns).not.toContain(live.node.netns);
      expect(existsSync(staleDir)).toBe(false);
      expect(await listNetns()).not.toContain(stale);
      expect(await listNetns()).toContain(live.node.netns);
      expect(processGone(Number(orphan))).toBe(true);
      expect(existsSync(live.dir)).toBe(true);
    } finally {
      spawnSync('ip', ['netns', 'delete', stale]);
      await live.teardown();
    }
  });
});
