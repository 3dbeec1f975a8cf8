/**
 * Adversarial suite, data path, part 2: attacks on the sidecar's resources — connections the
 * client closed (CLOSE-WAIT), slow uploads that pin the circuit breaker, HTTP/2 rapid reset from
 * reconnecting clients, a burst of streams that would open one upstream connection each. Real
 * sidecars and the raw-byte app (data-world.ts). Every load loop is bounded in count and time;
 * nothing asserts a duration: the tests wait for a condition with a generous deadline and record
 * descriptors, memory and CPU for the report.
 */
import http2 from 'node:http2';
import type net from 'node:net';
import { ProxyPorts } from '../../api/src/names';
import { describeSystem } from '../support/system';
import { sleep, waitUntil } from '../harness/wait';
import { useMesh } from '../harness';
import { acceptedOn, AppLog, AttackReport, deniedRequests, dial, fdsBackTo, podSockets, startAttackWorld, type AttackWorld } from './data-world';
import { sample, type ProcSample } from './proc-stats';
import { collect, headersFrame, parseResponses, rawRequest, RawH2, responses, rstStreamFrame } from './wire';

const tools = ['ip', 'iptables', 'ss', 'setpriv', 'bash', 'openssl'];

describeSystem('data-path attacks (2): resource exhaustion against real sidecars', () => {
  let w: AttackWorld;
  let app: AppLog;
  const report = new AttackReport();
  useMesh({
    setupTimeoutMs: 120_000,
    testTimeoutMs: 120_000,
    setup: async (m) => {
      w = await startAttackWorld(m);
      app = new AppLog(w.victimApp);
    },
  });
  afterAll(() => report.print());

  const inboundPlain = (): Promise<net.Socket> => dial(w.relays.outsider, w.victim.ip, 8080);
  const outbound = (): Promise<net.Socket> => dial(w.relays.attacker, w.victimHost, 80);

  async function ready(): Promise<number | undefined> {
    return w.outsider.httpStatus(`http://${w.victim.ip}:${ProxyPorts.health}/healthz/ready`);
  }

  /** One GET on a fresh connection from the attacker's app through both sidecars; the status (0: no answer). */
  async function probe(path = '/probe'): Promise<number> {
    const s = await outbound();
    try {
      const got = collect(s, 5_000, responses(1));
      s.write(rawRequest([`GET ${path} HTTP/1.1`, 'Host: victim']));
      return parseResponses((await got).bytes)[0]?.status ?? 0;
    } finally {
      s.destroy();
    }
  }

  it.each([
    ['inbound plaintext', 'victim', 15006, () => inboundPlain()],
    ['outbound', 'attacker', 15001, () => outbound()],
  ] as const)('%s: 200 clients that close after their response leave no CLOSE-WAIT; descriptors return to baseline', async (way, who, port, open) => {
    const pod = who === 'victim' ? w.victim : w.attacker;
    const pid = (who === 'victim' ? w.victimProxy : w.attackerProxy).pid;
    await app.mark();
    const before = sample(pid);
    const accepted = (await acceptedOn(pod, port)).open;
    let peakFds = before.fds;
    for (let i = 0; i < 200; i++) {
      const s = await open();
      const got = collect(s, 5_000, responses(1));
      s.write(rawRequest([`GET /fin-${i} HTTP/1.1`, 'Host: victim']));
      expect(parseResponses((await got).bytes)[0]?.status).toBe(200);
      s.destroy(); // as curl does: FIN once the response is read
      if (i % 50 === 49) peakFds = Math.max(peakFds, sample(pid).fds);
    }
    let sockets = await acceptedOn(pod, port);
    await waitUntil(async () => (sockets = await acceptedOn(pod, port)).open <= accepted && sockets.closeWait === 0, { what: `${way}: accepted sockets back to ${accepted}`, timeoutMs: 15_000, intervalMs: 250 }).catch(() => undefined);
    const after = sample(pid);
    report.add({ vector: `3/4 FIN, ${way}: 200 closed clients`, before, peak: { fds: peakFds }, after, appRequests: (await app.requests()).length, notes: { closeWait: sockets.closeWait, acceptedLeft: sockets.open - accepted } });
    expect(sockets.closeWait).toBe(0);
    expect(sockets.open).toBeLessThanOrEqual(accepted);
    expect(after.fds).toBeLessThanOrEqual(before.fds + 4);
    expect(await ready()).toBe(200);
  });

  it('a client FIN aborts its request in flight: the app sees its connection closed, both sides are released', async () => {
    await app.mark();
    const pid = w.victimProxy.pid;
    const before = sample(pid);
    const n = 50;
    const clients = await Promise.all(Array.from({ length: n }, () => inboundPlain()));
    clients.forEach((s, i) => s.write(rawRequest([`GET /__hang-${i} HTTP/1.1`, 'Host: victim'])));
    await waitUntil(async () => (await app.requests()).length >= n, { what: `${n} hanging requests at the app`, timeoutMs: 15_000 });
    const peak = sample(pid);
    for (const s of clients) s.end(); // FIN, and wait for the proxy to close its side
    const closedByProxy = await Promise.all(clients.map((s) => collect(s, 10_000).then((c) => c.closed)));
    let ended = 0;
    await waitUntil(async () => (ended = (await app.events()).filter((e) => e.ev === 'end').length) >= n, { what: 'the app to see its upstream connections end', timeoutMs: 15_000 }).catch(() => undefined);
    for (const s of clients) s.destroy();
    let after: ProcSample = sample(pid);
    await waitUntil(() => (after = sample(pid)).fds <= before.fds + 4, { what: 'descriptors back to baseline', timeoutMs: 15_000 }).catch(() => undefined);
    report.add({ vector: '3 FIN aborts in-flight requests (50 hanging)', before, peak, after, appRequests: n, notes: { upstreamClosed: ended, downstreamClosedByProxy: closedByProxy.filter(Boolean).length } });
    expect(closedByProxy.every(Boolean)).toBe(true);
    expect(ended).toBeGreaterThanOrEqual(n);
    expect(after.fds).toBeLessThanOrEqual(before.fds + 4);
  });

  it('1,100 slow uploads open the inbound circuit breaker; once the attacker leaves it closes again', async () => {
    await app.mark();
    const pid = w.victimProxy.pid;
    const before = sample(pid);
    expect(await probe()).toBe(200);
    const attackers: net.Socket[] = [];
    const n = 1_100;
    try {
      for (let i = 0; i < n; i += 100) {
        const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => inboundPlain()));
        for (const s of batch) s.write(rawRequest(['POST /upload HTTP/1.1', 'Host: victim', 'Content-Length: 1000000'], 'x'));
        attackers.push(...batch);
      }
      // Trickle one byte per connection every 2 s while the breaker is observed (bounded: 20 s).
      const trickle = setInterval(() => attackers.forEach((s) => s.destroyed || s.write('x')), 2_000);
      let open = 0;
      try {
        await waitUntil(async () => (open = await probe()) === 503, { what: 'the breaker to open (503)', timeoutMs: 20_000, intervalMs: 500 }).catch(() => undefined);
      } finally {
        clearInterval(trickle);
      }
      const peak = sample(pid);
      for (const s of attackers) s.destroy(); // the attacker leaves
      const left = Date.now();
      let closedAgain = 0;
      await waitUntil(async () => (closedAgain = await probe()) === 200, { what: 'the breaker to close again (200)', timeoutMs: 30_000, intervalMs: 250 }).catch(() => undefined);
      const recoveryMs = Date.now() - left;
      const after = await fdsBackTo(pid, before.fds + 4, 20_000);
      report.add({ vector: '5 slow uploads: 1,100 trickling POSTs', before, peak, after, appRequests: (await app.requests()).length, notes: { breakerOpened: open === 503, closedAgain: closedAgain === 200, recoveryMs } });
      expect(open).toBe(503);
      expect(closedAgain).toBe(200);
      expect(after.fds).toBeLessThanOrEqual(before.fds + 4);
      expect(await ready()).toBe(200);
    } finally {
      for (const s of attackers) s.destroy();
    }
  });

  /** HEADERS + RST_STREAM pairs on reconnecting connections; returns what the attacker saw. */
  async function rapidReset(open: () => Promise<net.Socket>, authority: string, connections: number, streamsPerConnection: number, budgetMs: number): Promise<{ sent: number; closedByProxy: number; goaways: number }> {
    const deadline = Date.now() + budgetMs;
    let sent = 0;
    let closedByProxy = 0;
    let goaways = 0;
    for (let c = 0; c < connections && Date.now() < deadline; c++) {
      const h2 = new RawH2(await open());
      let stream = 1;
      while (stream / 2 < streamsPerConnection && !h2.closed && Date.now() < deadline) {
        const batch: Buffer[] = [];
        for (let i = 0; i < 50 && stream / 2 < streamsPerConnection; i++, stream += 2) {
          batch.push(headersFrame(stream, [[':method', 'GET'], [':scheme', 'http'], [':path', `/rr-${c}-${stream}`], [':authority', authority]]), rstStreamFrame(stream));
          sent++;
        }
        if (!h2.write(Buffer.concat(batch))) await new Promise((r) => h2.socket.once('drain', r).once('close', r));
        await sleep(1);
      }
      // The proxy reads behind the attacker: give it time to get through what was sent.
      await waitUntil(() => h2.closed, { what: 'the proxy to close the attacking connection', timeoutMs: 5_000, intervalMs: 20 }).catch(() => undefined);
      if (h2.closed || h2.goaways.length > 0) closedByProxy++;
      goaways += h2.goaways.length;
      h2.socket.destroy();
    }
    return { sent, closedByProxy, goaways };
  }

  it.each([
    ['h2c to the victim\'s inbound', (): Promise<net.Socket> => inboundPlain(), (): string => `${w.victim.ip}:8080`],
    ['h2c through the attacker\'s sidecar', (): Promise<net.Socket> => outbound(), (): string => 'victim'],
  ] as const)('HTTP/2 rapid reset (%s) from a reconnecting client reaches the app almost never; the proxy closes the connections and stays responsive', async (way, open, authority) => {
    await app.mark();
    const pid = (way.includes('inbound') ? w.victimProxy : w.attackerProxy).pid;
    const before = sample(pid);
    let probes = 0;
    let probesOk = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        probes++;
        if ((await probe('/during-rapid-reset').catch(() => 0)) === 200) probesOk++;
        await sleep(200);
      }
    })();
    let attack: Awaited<ReturnType<typeof rapidReset>>;
    try {
      attack = await rapidReset(open, authority(), 20, 1_000, 20_000);
    } finally {
      probing = false;
      await prober;
    }
    const peak = sample(pid);
    await sleep(500);
    const reached = (await app.requests()).filter((r) => r.line.includes('/rr-')).length;
    const after = sample(pid);
    report.add({ vector: `6 rapid reset, ${way}`, before, peak, after, appRequests: reached, notes: { streamsSent: attack.sent, connectionsClosedByProxy: attack.closedByProxy, goaways: attack.goaways, probes, probesOk } });
    expect(attack.closedByProxy).toBeGreaterThan(0);
    expect(reached).toBeLessThan(attack.sent / 50);
    expect(probesOk).toBeGreaterThan(0);
    expect(await probe('/after-rapid-reset')).toBe(200);
  });

  it('a burst of 1,000 h2c streams waits for the upstream connections being established instead of opening one per stream', async () => {
    await app.mark();
    const pid = w.attackerProxy.pid;
    const before = sample(pid);
    const seenPorts = new Set<string>();
    let maxAtOnce = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const rows = (await podSockets(w.victim)).filter((r) => r.local.endsWith(':15006') && r.peer.startsWith(`${w.attacker.ip}:`) && r.state === 'ESTAB');
        for (const r of rows) seenPorts.add(r.peer);
        maxAtOnce = Math.max(maxAtOnce, rows.length);
        await sleep(50);
      }
    })();
    const socket = await outbound();
    const session = http2.connect('http://victim', { createConnection: () => socket });
    session.on('error', () => undefined);
    let statuses: number[];
    try {
      statuses = await Promise.all(Array.from({ length: 1_000 }, (_, i) => new Promise<number>((resolve) => {
        const req = session.request({ ':path': `/burst-${i}`, ':authority': 'victim' });
        const timer = setTimeout(() => resolve(0), 30_000);
        req.on('response', (h) => {
          clearTimeout(timer);
          req.resume();
          resolve(Number(h[':status']));
        });
        req.on('error', () => resolve(0));
        req.end();
      })));
    } finally {
      session.destroy();
      sampling = false;
      await sampler;
    }
    const after = sample(pid);
    const counts: Record<string, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    report.add({ vector: '6 burst of 1,000 h2c streams → HTTP/1.1 upstream', before, after, appRequests: (await app.requests()).length, notes: { ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [`status${k}`, v])), upstreamConnectionsSeen: seenPorts.size, maxAtOnce } });
    expect(counts).toEqual({ 200: 1_000 });
    expect(deniedRequests(await app.requests())).toEqual([]);
  });
}, tools);
