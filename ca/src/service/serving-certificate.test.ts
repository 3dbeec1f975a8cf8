// The servers' own certificates renew like workload certificates: at half-life (jittered), with
// backoff while signing fails, and at once when the CA changes. Time and timers are fakes.
import { type Timers } from '../client/workload-identity';
import { backoffDelayMs } from '../core/rotation';
import { type CertificateIssuer } from '../core/issuer';
import { x509 } from '../core/x509';
import { issuerFor, makeRootCa, type TestCa } from '../testing/fixtures';
import { RotatingServingCertificate, type ServingCertificate } from './serving-certificate';

/** Timers that only run when the test says so; the last scheduled delay is visible. */
class ManualTimers implements Timers {
  pending: { fn: () => void; ms: number } | undefined;
  setTimeout(fn: () => void, ms: number): unknown {
    this.pending = { fn, ms };
    return this.pending;
  }
  clearTimeout(handle: unknown): void {
    if (this.pending === handle) this.pending = undefined;
  }
  fire(): void {
    const p = this.pending!;
    this.pending = undefined;
    p.fn();
  }
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 20_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition not reached');
}

const rootOf = (cert: ServingCertificate) => new x509.X509Certificate(cert.chainPem.split(/(?=-----BEGIN CERTIFICATE-----)/).pop()!);

describe('RotatingServingCertificate', () => {
  const h = 3_600_000;
  let ca: TestCa;
  let next: TestCa;
  let now: Date;
  let timers: ManualTimers;
  let issuer: CertificateIssuer;
  let failing: boolean;
  const logs: string[] = [];

  beforeAll(async () => {
    [ca, next] = await Promise.all([makeRootCa('ec', 'cluster.local', new Date('2026-01-01T00:00:00Z')), makeRootCa('ec', 'cluster.local', new Date('2026-01-01T00:00:00Z'))]);
  });
  beforeEach(() => {
    now = new Date('2026-03-01T00:00:00Z');
    timers = new ManualTimers();
    issuer = issuerFor(ca, () => now);
    failing = false;
    logs.length = 0;
  });

  const make = (ttlMs?: number) => new RotatingServingCertificate({
    issuer: () => {
      if (failing) throw new Error('the CA key is unavailable');
      return issuer;
    },
    names: [{ type: 'dns', value: 'skein-controlplane.skein-system.svc' }, { type: 'ip', value: '127.0.0.1' }],
    what: 'test serving certificate', now: () => now, random: () => 0.5, timers, log: (l) => logs.push(l),
    ...(ttlMs !== undefined ? { ttlMs } : {}),
  });

  it('issues for the names, the CA\'s default lifetime (24 h), and renews at half of it with a new key', async () => {
    const serving = make();
    const seen: ServingCertificate[] = [];
    serving.onChange((c) => seen.push(c));
    const first = await serving.start();
    const leaf = new x509.X509Certificate(first.chainPem);
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON()).toEqual([{ type: 'dns', value: 'skein-controlplane.skein-system.svc' }, { type: 'ip', value: '127.0.0.1' }]);
    expect(first.notAfter.getTime() - now.getTime()).toBe(24 * h);
    expect(timers.pending!.ms).toBe(12 * h);
    now = new Date(now.getTime() + 12 * h);
    timers.fire();
    await until(() => seen.length === 2);
    expect(serving.current()).toBe(seen[1]);
    expect(seen[1]!.keyPem).not.toBe(first.keyPem);
    expect(seen[1]!.serialNumber).not.toBe(first.serialNumber);
    expect(timers.pending!.ms).toBe(12 * h);
    expect(logs).toEqual([expect.stringMatching(/^test serving certificate rotated: serial \w+, valid until 2026-03-02T12:00:00.000Z$/)]);
  });

  it('a short lifetime renews at half of it', async () => {
    const serving = make(4000);
    await serving.start();
    expect(timers.pending!.ms).toBe(2000);
  });

  it('keeps the current certificate and backs off while signing fails, then renews', async () => {
    const serving = make();
    const first = await serving.start();
    failing = true;
    timers.fire();
    await until(() => logs.length === 1);
    expect(logs[0]).toMatch(/renewal failed \(retrying in \d+ ms, the current certificate keeps serving\): the CA key is unavailable/);
    expect(timers.pending!.ms).toBe(backoffDelayMs(0, 0.5));
    timers.fire();
    await until(() => logs.length === 2);
    expect(timers.pending!.ms).toBe(backoffDelayMs(1, 0.5));
    expect(serving.current()).toBe(first);
    failing = false;
    timers.fire();
    await until(() => serving.current() !== first);
  });

  it('rotateNow() re-issues under the CA as it is now (a new signer after a root rotation)', async () => {
    const serving = make();
    const first = await serving.start();
    expect(rootOf(first).equal(ca.authority.chain[0]!)).toBe(true);
    issuer = issuerFor(next, () => now);
    await serving.rotateNow();
    expect(rootOf(serving.current()).equal(next.authority.chain[0]!)).toBe(true);
    expect(timers.pending!.ms).toBe(12 * h);
  });

  it('stop() ends renewals', async () => {
    const serving = make();
    await serving.start();
    serving.stop();
    expect(timers.pending).toBeUndefined();
  });
});
