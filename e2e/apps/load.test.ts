import { checkLimits, runLoad, type Outcome } from './load';
import { type EchoReply } from './identity';

const reply = (version: string): EchoReply => ({ name: 'web', version, pod: '', namespace: '', protocol: 'http/1.1', callerSpiffeId: null, remoteAddress: '' });

describe('bounded load loop', () => {
  it('stops after N requests and counts per version, status and error', async () => {
    let t = 0;
    const outcomes: Outcome[] = [
      { ok: true, status: '200', reply: reply('v1') },
      { ok: true, status: '200', reply: reply('v2') },
      { ok: false, status: '503', error: 'HTTP 503' },
      { ok: true, status: '200', reply: reply('v1') },
    ];
    const report = await runLoad(async (i) => outcomes[i]!, { count: 4, durationMs: 1000, concurrency: 2 }, () => t++);
    expect(report).toMatchObject({
      requests: 4, ok: 3, failed: 1,
      byVersion: { v1: 2, v2: 1 }, byName: { web: 3 }, statuses: { 200: 3, 503: 1 }, errors: { 'HTTP 503': 1 },
      firstError: 'HTTP 503',
    });
    expect(report.first?.version).toBe('v1');
  });

  it('stops when the time is up, whichever comes first', async () => {
    let t = 0;
    const report = await runLoad(async () => {
      t += 100;
      return { ok: true };
    }, { count: 1000, durationMs: 1000, concurrency: 1 }, () => t);
    expect(report.requests).toBe(10);
    expect(report.elapsedMs).toBe(1000);
  });

  it('paces each worker by the interval (a steady client), never past the end', async () => {
    let t = 0;
    const pauses: number[] = [];
    const report = await runLoad(async () => {
      t += 10;
      return { ok: true };
    }, { count: 1000, durationMs: 1000, concurrency: 1, intervalMs: 90 }, () => t, async (ms) => {
      pauses.push(ms);
      t += ms;
    });
    expect(report.requests).toBe(10);
    expect(pauses).toEqual(Array(10).fill(90)); // the last pause runs into the deadline
  });

  it('counts a thrown error as a failure and carries on', async () => {
    const report = await runLoad(async (i) => {
      if (i === 0) throw new Error('ECONNREFUSED');
      return { ok: true };
    }, { count: 3, durationMs: 1000, concurrency: 1 }, () => 0);
    expect(report).toMatchObject({ requests: 3, ok: 2, failed: 1, errors: { ECONNREFUSED: 1 } });
  });

  it('never runs more requests in parallel than asked', async () => {
    let inFlight = 0;
    let most = 0;
    await runLoad(async () => {
      most = Math.max(most, ++inFlight);
      await Promise.resolve();
      inFlight--;
      return { ok: true };
    }, { count: 20, durationMs: 1000, concurrency: 3 }, () => 0);
    expect(most).toBe(3);
  });

  it.each([
    [{ count: 0, durationMs: 1, concurrency: 1 }, /--count/],
    [{ count: 100_001, durationMs: 1, concurrency: 1 }, /--count/],
    [{ count: 1, durationMs: 0, concurrency: 1 }, /--duration/],
    [{ count: 1, durationMs: 600_001, concurrency: 1 }, /--duration/],
    [{ count: 1, durationMs: 1, concurrency: 0 }, /--concurrency/],
    [{ count: 1, durationMs: 1, concurrency: 257 }, /--concurrency/],
    [{ count: 1, durationMs: 1, concurrency: 1, intervalMs: -1 }, /--interval/],
  ])('rejects unbounded or empty limits %j', (limits, message) => {
    expect(() => checkLimits(limits)).toThrow(message);
  });
});
