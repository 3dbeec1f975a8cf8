/**
 * Probe execution against real servers on loopback: HTTP (status ranges, headers, timeouts),
 * TCP, gRPC health (a hand-rolled Health/Check server over h2c) and exec results.
 */
import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { probePlan } from './core/probe';
import { runProbe, type ProbeTarget } from './prober';

const dial = (host: string, port: number) => new Promise<net.Socket>((resolve, reject) => {
  const s = net.connect(port, host, () => resolve(s));
  s.once('error', reject);
});
const target = (exec: ProbeTarget['exec'] = async () => ({ code: 0, stdout: '', stderr: '', timedOut: false })): ProbeTarget => ({ podIP: '127.0.0.1', dial, exec });
const container = { name: 'app' };

describe('probes against real servers', () => {
  let httpServer: http.Server;
  let grpcServer: http2.Http2Server;
  let httpPort: number;
  let grpcPort: number;
  const seen: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    httpServer = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 3_000).unref();
      const code = Number(req.url?.slice(1)) || 200;
      res.writeHead(code, code === 302 ? { location: '/200' } : {}).end();
    });
    grpcServer = http2.createServer();
    grpcServer.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        const service = body.length > 7 ? body.subarray(7).toString() : '';
        const status = service === 'down' ? 2 : 1;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': headers[':path'] === '/grpc.health.v1.Health/Check' ? '0' : '12' }));
        stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]));
      });
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => grpcServer.listen(0, '127.0.0.1', r));
    httpPort = (httpServer.address() as AddressInfo).port;
    grpcPort = (grpcServer.address() as AddressInfo).port;
  });
  afterAll(async () => {
    httpServer.closeAllConnections();
    await new Promise((r) => httpServer.close(r));
    await new Promise((r) => grpcServer.close(r));
  });

  it.each([
    ['200', true], ['302', true], ['399', true], ['404', false], ['500', false],
  ])('HTTP %s → success %s', async (code, ok) => {
    const outcome = await runProbe(target(), probePlan('readiness', { httpGet: { port: httpPort, path: `/${code}` } }, container));
    expect(outcome.ok).toBe(ok);
    if (!ok) expect(outcome.message).toBe(`HTTP probe failed with statuscode: ${code}`);
  });

  it('sends the kubelet User-Agent and the probe headers', async () => {
    await runProbe(target(), probePlan('readiness', { httpGet: { port: httpPort, path: '/', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, container));
    expect(seen.at(-1)).toMatchObject({ 'user-agent': 'kube-probe/1.31', 'x-probe': 'yes', host: `127.0.0.1:${httpPort}` });
  });

  it('an HTTP probe that takes longer than timeoutSeconds fails', async () => {
    const outcome = await runProbe(target(), probePlan('liveness', { httpGet: { port: httpPort, path: '/slow' }, timeoutSeconds: 1 }, container));
    expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(/timeout after 1s/) });
  });

  it('TCP: open and closed ports', async () => {
    expect((await runProbe(target(), probePlan('liveness', { tcpSocket: { port: httpPort } }, container))).ok).toBe(true);
    const closed = await runProbe(target(), probePlan('liveness', { tcpSocket: { port: 1 } }, container));
    expect(closed).toMatchObject({ ok: false, message: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('gRPC health: SERVING passes, NOT_SERVING fails', async () => {
    expect(await runProbe(target(), probePlan('readiness', { grpc: { port: grpcPort } }, container))).toEqual({ ok: true, message: '' });
    expect(await runProbe(target(), probePlan('readiness', { grpc: { port: grpcPort, service: 'down' } }, container))).toMatchObject({ ok: false, message: 'service unhealthy (responded with "NOT_SERVING")' });
  });

  it('exec: the exit code decides; a timeout fails', async () => {
    const failing = target(async () => ({ code: 1, stdout: 'not ready', stderr: '', timedOut: false }));
    expect(await runProbe(failing, probePlan('readiness', { exec: { command: ['check'] } }, container))).toEqual({ ok: false, message: 'command ["check"] exited with 1: not ready' });
    const slow = target(async () => ({ code: null, stdout: '', stderr: '', timedOut: true }));
    expect(await runProbe(slow, probePlan('readiness', { exec: { command: ['check'] }, timeoutSeconds: 2 }, container))).toEqual({ ok: false, message: 'command timed out after 2s' });
  });
});
