/**
 * HTTP/2 rapid reset against a real proxy on loopback (client sidecar → mTLS → server sidecar →
 * app): streams reset in the read that opened them never reach the app; a connection that resets
 * too many streams early is sent GOAWAY and closed; once the process is overloaded, a reconnecting
 * attacker's connections go at their first premature reset.
 */
import net from 'node:net';
import { Proxy } from '../proxy';
import { startHttpEcho } from '../testing/apps';
import { useFixture } from '../testing/fixture';
import { TestIdentity } from '../testing/identity';
import { clientId, inboundConfig, outboundConfig, serverId, testProxyOptions } from '../testing/mesh';
import { waitFor } from '../testing/wait';
import { headersFrame, RawH2, rstStreamFrame } from '../testing/h2-frames';
import type { ResetLimits } from '../core/reset-guard';

jest.setTimeout(30_000);
const fx = useFixture();

async function world(resetLimits?: ResetLimits): Promise<{ port: number; appRequests: () => number; client: Proxy }> {
  let requests = 0;
  const app = await startHttpEcho('app');
  fx.defer(() => app.close());
  const counting = net.createServer((s) => {
    const up = net.connect(app.port, '127.0.0.1');
    s.on('data', (c: Buffer) => (requests += (c.toString('latin1').match(/ HTTP\/1\.1\r\n/g) ?? []).length));
    s.pipe(up).pipe(s);
    s.on('error', () => up.destroy());
    up.on('error', () => s.destroy());
  });
  await new Promise<void>((r) => counting.listen(0, '127.0.0.1', r));
  fx.defer(() => new Promise<void>((r) => counting.close(() => r())));
  const server = new Proxy(inboundConfig({ appPort: (counting.address() as net.AddressInfo).port }), new TestIdentity(fx.ca.issue(serverId)), testProxyOptions);
  await server.start();
  fx.defer(() => server.close());
  const client = new Proxy(outboundConfig({ upstreams: [{ subset: 'v1', ports: [server.listenerPort('virtualInbound')], protocol: 'http1' }] }), new TestIdentity(fx.ca.issue(clientId)), { ...testProxyOptions, ...(resetLimits ? { resetLimits } : {}) });
  await client.start();
  fx.defer(() => client.close());
  return { port: client.listenerPort('outbound_9080'), appRequests: () => requests, client };
}

const get = (stream: number): Buffer => headersFrame(stream, [[':method', 'GET'], [':scheme', 'http'], [':path', `/rr-${stream}`], [':authority', 'reviews']]);

async function connect(port: number): Promise<RawH2> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  return new RawH2(s);
}

describe('HTTP/2 rapid reset', () => {
  it('HEADERS + RST_STREAM together never reach the app; the connection is closed after 250 premature resets', async () => {
    const w = await world();
    const h2 = await connect(w.port);
    let stream = 1;
    for (let batch = 0; batch < 10 && !h2.closed; batch++) {
      const frames: Buffer[] = [];
      for (let i = 0; i < 50; i++, stream += 2) frames.push(get(stream), rstStreamFrame(stream));
      h2.write(Buffer.concat(frames));
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor('the proxy to close the connection', () => h2.closed, 5_000);
    expect(h2.goaways[0]).toBe(11 /* ENHANCE_YOUR_CALM */);
    expect(w.appRequests()).toBe(0);
  });

  it('an ordinary client on the same proxy is served while it happens', async () => {
    const w = await world();
    const attacker = await connect(w.port);
    const frames: Buffer[] = [];
    for (let s = 1; s < 600; s += 2) frames.push(get(s), rstStreamFrame(s));
    attacker.write(Buffer.concat(frames));
    const honest = await connect(w.port);
    honest.write(get(1));
    await waitFor('the honest request to be answered', () => honest.answered.has(1), 5_000);
    expect(honest.closed).toBe(false);
    honest.socket.destroy();
    attacker.socket.destroy();
  });

  it('across connections: once the process is overloaded, a reconnecting attacker is closed at its first premature reset', async () => {
    const w = await world({ totalStreams: 500, minStreamLifetimeMs: 1000, processLimit: 100, windowMs: 60_000 });
    const closedAfter: number[] = [];
    for (let c = 0; c < 4; c++) {
      const h2 = await connect(w.port);
      let sent = 0;
      for (let stream = 1; stream < 1000 && !h2.closed; stream += 2) {
        h2.write(Buffer.concat([get(stream), rstStreamFrame(stream)]));
        sent++;
        if (sent % 10 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await waitFor('the proxy to close the connection', () => h2.closed, 5_000);
      closedAfter.push(sent);
      h2.socket.destroy();
    }
    // The first connection fills the process-wide window (100); the next ones go long before the
    // per-connection limit (250 premature resets), as soon as the proxy has read their first.
    expect(closedAfter[0]).toBeGreaterThanOrEqual(100);
    for (const n of closedAfter.slice(1)) expect(n).toBeLessThan(250);
    expect(w.appRequests()).toBe(0);
  });
});
