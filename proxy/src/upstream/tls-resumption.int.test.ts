/**
 * TLS session resumption between sidecars: a reconnect to the same endpoint resumes the session
 * (no certificate exchange), the server still knows the client's SPIFFE id, and resumption never
 * bypasses the expected-SAN check or outlives the client's certificate.
 */
import net from 'node:net';
import type tls from 'node:tls';
import type { Cluster } from '../config/model';
import { useFixture } from '../testing/fixture';
import { TestIdentity } from '../testing/identity';
import { clientId, serverId } from '../testing/mesh';
import { peerIdentity, TlsContexts } from '../tls/contexts';
import { Upstreams } from './upstreams';

const fx = useFixture();

/** An mTLS server (the inbound side of a sidecar) that records each connection's peer and whether it was resumed. */
async function inbound(ticketKeyRotationMs?: number): Promise<{ port: number; seen: { peer?: string; resumed: boolean }[] }> {
  const contexts = new TlsContexts(new TestIdentity(fx.ca.issue(serverId)));
  const { server, release } = contexts.createServer({ requireClientCertificate: true, alpnProtocols: ['http/1.1'], handshakeTimeoutMs: 5000, ticketKeyRotationMs });
  const seen: { peer?: string; resumed: boolean }[] = [];
  server.on('secureConnection', (s: tls.TLSSocket) => {
    seen.push({ peer: peerIdentity(s).spiffeId, resumed: s.isSessionReused() });
    s.on('error', () => s.destroy());
    s.end('hi');
  });
  const listener = net.createServer((raw) => server.emit('connection', raw));
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
  fx.defer(() => new Promise<void>((r) => listener.close(() => r())), release, () => contexts.close());
  return { port: (listener.address() as net.AddressInfo).port, seen };
}

function cluster(expectedSans: string[]): Cluster {
  return { name: 'reviews', type: 'static', connectTimeoutMs: 5000, transport: { kind: 'mtls', certificateSecret: 'default', validationSecret: 'ROOTCA', expectedSans } };
}

/** Connects, reads until the server closes, and tells whether the session was resumed. */
async function exchange(up: Upstreams, port: number, sans = [serverId]): Promise<boolean> {
  const socket = (await up.connect(cluster(sans), { address: '127.0.0.1', port }, ['http/1.1'], {})) as tls.TLSSocket;
  const resumed = socket.isSessionReused();
  await new Promise((r) => socket.on('close', r).resume());
  return resumed;
}

describe('upstream TLS session resumption', () => {
  it('resumes the session on reconnect; the server still sees the client identity', async () => {
    const srv = await inbound();
    const client = new TestIdentity(fx.ca.issue(clientId));
    const up = new Upstreams(new TlsContexts(client));
    expect([await exchange(up, srv.port), await exchange(up, srv.port), await exchange(up, srv.port)]).toEqual([false, true, true]);
    expect(srv.seen).toEqual([
      { peer: clientId, resumed: false },
      { peer: clientId, resumed: true },
      { peer: clientId, resumed: true },
    ]);
  });

  it('does a full, checked handshake for other expected SANs (and refuses a server that is not one of them)', async () => {
    const srv = await inbound();
    const up = new Upstreams(new TlsContexts(new TestIdentity(fx.ca.issue(clientId))));
    await exchange(up, srv.port);
    await expect(exchange(up, srv.port, [serverId.replace('reviews', 'payments')])).rejects.toThrow(/SAN|identity|spiffe/i);
    expect(srv.seen.every((c) => !c.resumed)).toBe(true);
  });

  it('starts afresh after the client certificate rotates (the server sees the new certificate)', async () => {
    const srv = await inbound();
    const client = new TestIdentity(fx.ca.issue(clientId));
    const up = new Upstreams(new TlsContexts(client));
    await exchange(up, srv.port);
    expect(await exchange(up, srv.port)).toBe(true);
    client.set(fx.ca.issue(clientId));
    expect(await exchange(up, srv.port)).toBe(false);
  });

  it('stops resuming tickets issued before the server replaced its ticket keys', async () => {
    const srv = await inbound(1500);
    const up = new Upstreams(new TlsContexts(new TestIdentity(fx.ca.issue(clientId))));
    await exchange(up, srv.port);
    expect(await exchange(up, srv.port)).toBe(true);
    await new Promise((r) => setTimeout(r, 3100));
    expect(await exchange(up, srv.port)).toBe(false);
  });
});
