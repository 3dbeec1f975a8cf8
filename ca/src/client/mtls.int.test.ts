// Workload identities from the CA over gRPC, used for mutual TLS on loopback: each side sees the
// other's SPIFFE id, a certificate from another root is refused, and rotation swaps the serving
// certificate for new handshakes while an established connection keeps working.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { type WorkloadCertificate } from '../../../api/src/identity';
import { mintJoinToken } from '../auth/join-token';
import { type RunningCaServer, startCaServer } from '../service/ca-server';
import { initCaDir, type LoadedCa } from '../store/ca-dir';
import { connectWorkloadIdentity } from './connect';
import { type WorkloadIdentity } from './workload-identity';

const td = 'cluster.local';
const idOf = (sa: string) => `spiffe://${td}/ns/shop/sa/${sa}`;

function tlsOptions(c: WorkloadCertificate) {
  return { key: c.privateKeyPem, cert: c.certChainPem, ca: c.trustBundlePem, minVersion: 'TLSv1.2' as const };
}

function peerSpiffeId(socket: tls.TLSSocket): string | undefined {
  return /URI:(spiffe:\/\/[^,\s]+)/.exec(socket.getPeerCertificate().subjectaltname ?? '')?.[1];
}

describe('mTLS with CA-issued workload identities', () => {
  let tmp: string;
  let ca: LoadedCa;
  let server: RunningCaServer;
  const stops: (() => void)[] = [];

  async function identity(sa: string, caDir: LoadedCa = ca, caServer: RunningCaServer = server): Promise<WorkloadIdentity> {
    const bundle = caDir.authority.roots.map((r) => r.toString('pem')).join('\n');
    const token = await mintJoinToken(caDir.joinTokenKey!, { namespace: 'shop', serviceAccount: sa, ttlMs: 3_600_000, now: new Date() });
    const { identity: id, close } = connectWorkloadIdentity({
      caAddress: `127.0.0.1:${caServer.port}`,
      caServerName: 'localhost',
      trustDomain: td,
      namespace: 'shop',
      serviceAccount: sa,
      trustBundlePem: bundle,
      credential: () => token,
      validitySeconds: 3600,
    });
    stops.push(close);
    await id.start();
    expect(id.current()!.spiffeId).toBe(idOf(sa));
    return id;
  }

  function listen(options: tls.TlsOptions): Promise<{ server: tls.Server; port: number; peers: string[] }> {
    const peers: string[] = [];
    const s = tls.createServer({ ...options, requestCert: true, rejectUnauthorized: true }, (socket) => {
      peers.push(peerSpiffeId(socket) ?? '?');
      socket.pipe(socket);
    });
    stops.push(() => s.close());
    return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve({ server: s, port: (s.address() as { port: number }).port, peers })));
  }

  function connect(port: number, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ ...options, host: '127.0.0.1', port, checkServerIdentity: () => undefined }, () => resolve(socket));
      socket.once('error', reject);
      stops.push(() => socket.destroy());
    });
  }

  function echo(socket: tls.TLSSocket, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      socket.once('data', (d: Buffer) => resolve(d.toString()));
      socket.once('error', reject);
      socket.write(text);
    });
  }

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-ca-mtls-'));
    ca = await initCaDir(path.join(tmp, 'ca'), { trustDomain: td });
    server = await startCaServer({ ca, port: 0 });
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) stop();
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('each side sees the other\'s SPIFFE id', async () => {
    const [alice, bob] = [await identity('alice'), await identity('bob')];
    const srv = await listen(tlsOptions(alice.current()!));
    const socket = await connect(srv.port, tlsOptions(bob.current()!));
    expect(peerSpiffeId(socket)).toBe(idOf('alice'));
    expect(await echo(socket, 'hello')).toBe('hello');
    expect(srv.peers).toEqual([idOf('bob')]);
    expect(socket.getProtocol()).toMatch(/^TLSv1\.[23]$/);
  });

  it('refuses a client whose certificate comes from another root, and a server from another root', async () => {
    const otherCa = await initCaDir(path.join(tmp, 'other'), { trustDomain: td });
    const otherServer = await startCaServer({ ca: otherCa, port: 0 });
    stops.push(() => void otherServer.close());
    const mallory = await identity('mallory', otherCa, otherServer);
    const alice = await identity('alice');
    const srv = await listen(tlsOptions(alice.current()!));
    // client cert from the other root: the server refuses the handshake
    const asMallory = { ...tlsOptions(mallory.current()!), ca: alice.current()!.trustBundlePem };
    const outcome = await connect(srv.port, asMallory).then(
      (s) => new Promise<string>((resolve) => {
        s.once('data', (d: Buffer) => resolve(d.toString()));
        s.once('error', (e) => resolve(e.message));
        s.once('close', () => resolve('closed'));
        s.write('x');
      }),
      (e: Error) => e.message,
    );
    expect(outcome).toMatch(/alert|certificate|closed/i);
    expect(outcome).not.toBe('x');
    expect(srv.peers).toEqual([]);
    // server cert from the other root: the client refuses it
    const otherSrv = await listen(tlsOptions(mallory.current()!));
    await expect(connect(otherSrv.port, tlsOptions(alice.current()!))).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('rotation: new handshakes get the new certificate, the established connection keeps working', async () => {
    const [alice, bob] = [await identity('alice'), await identity('bob')];
    const srv = await listen(tlsOptions(alice.current()!));
    alice.onChange((c) => srv.server.setSecureContext({ ...tlsOptions(c), requestCert: true, rejectUnauthorized: true } as tls.SecureContextOptions));
    const before = await connect(srv.port, tlsOptions(bob.current()!));
    const oldSerial = before.getPeerCertificate().serialNumber;
    expect(await echo(before, 'one')).toBe('one');

    const rotated = new Promise<WorkloadCertificate>((resolve) => alice.onChange(resolve));
    alice.renewNow();
    const next = await rotated;
    expect(next.certChainPem).not.toBe(before.getPeerCertificate().raw.toString());

    const after = await connect(srv.port, tlsOptions(bob.current()!));
    const newSerial = after.getPeerCertificate().serialNumber;
    expect(newSerial).not.toBe(oldSerial);
    expect(peerSpiffeId(after)).toBe(idOf('alice'));
    expect(await echo(before, 'still here')).toBe('still here');
    expect(before.getPeerCertificate().serialNumber).toBe(oldSerial);
    expect(await echo(after, 'two')).toBe('two');
  });
});
