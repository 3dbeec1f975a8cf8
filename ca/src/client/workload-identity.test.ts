// Rotation and retry of the workload identity with fake time: renew at half-life (jittered),
// back off while the CA is down, keep serving the current certificate meanwhile.
import { type WorkloadCertificate } from '../../../api/src/identity';
import { backoffDelayMs } from '../core/rotation';
import { issuerFor, makeRootCa, type TestCa } from '../testing/fixtures';
import { status } from '@grpc/grpc-js';
import { CaRequestError, type CertificateRequester, type RequestAuth } from './ca-client';
import { createCsr, generateWorkloadKey } from './csr';
import { WorkloadIdentity } from './workload-identity';

const alice = { namespace: 'shop', serviceAccount: 'alice' };
const aliceId = 'spiffe://cluster.local/ns/shop/sa/alice';

/** Lets real async work (WebCrypto runs off the JS thread) finish while timers stay fake. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 20_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition not reached');
}

describe('WorkloadIdentity (fake time)', () => {
  let ca: TestCa;
  let down: boolean;
  let calls: number;
  let requester: CertificateRequester;
  let identity: WorkloadIdentity | undefined;

  beforeAll(async () => {
    ca = await makeRootCa('ec', 'cluster.local', new Date('2026-01-01T00:00:00Z'));
  });
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'], now: new Date('2026-06-01T00:00:00Z') });
    down = false;
    calls = 0;
    const issuer = issuerFor(ca, () => new Date());
    requester = {
      createCertificate: async (csr, seconds) => {
        calls++;
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:15012');
        return (await issuer.issueForIdentity(csr, seconds * 1000, alice)).chainPem;
      },
    };
  });
  afterEach(() => {
    identity?.stop();
    jest.useRealTimers();
  });

  const make = (extra: Partial<ConstructorParameters<typeof WorkloadIdentity>[0]> = {}) =>
    (identity = new WorkloadIdentity({ spiffeId: aliceId, requester, trustBundlePem: ca.rootPem, random: () => 0.5, ...extra }));

  it('publishes the first certificate, then renews at half-life with a new key', async () => {
    const seen: WorkloadCertificate[] = [];
    const id = make();
    id.onChange((c) => seen.push(c));
    expect(id.current()).toBeUndefined();
    const first = await id.start();
    expect(first).toMatchObject({ spiffeId: aliceId, trustBundlePem: ca.rootPem });
    expect(first.certChainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(1); // leaf, no root
    expect(first.privateKeyPem).toMatch(/BEGIN PRIVATE KEY/);
    expect(seen).toEqual([first]);

    const delay = 12 * 3_600_000; // half of the 24 h granted, counted from receipt (not from the back-dated notBefore)
    await jest.advanceTimersByTimeAsync(delay - 1);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await until(() => seen.length === 2);
    expect(seen[1]!.privateKeyPem).not.toBe(first.privateKeyPem);
    expect(id.current()).toBe(seen[1]);
  });

  it('a short-lived certificate renews at half of its granted life, not at once (back-dating does not count)', async () => {
    const seen: WorkloadCertificate[] = [];
    const id = make({ validitySeconds: 60 });
    id.onChange((c) => seen.push(c));
    await id.start();
    await jest.advanceTimersByTimeAsync(29_000);
    expect(calls).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    await until(() => seen.length === 2);
    expect(calls).toBe(2);
  });

  it('asks for the first certificate with the token and renews with the current certificate (mTLS, no token)', async () => {
    const auths: RequestAuth[] = [];
    const recording: CertificateRequester = { createCertificate: async (csr, s, auth) => { auths.push(auth!); return requester.createCertificate(csr, s); } };
    const seen: WorkloadCertificate[] = [];
    const id = make({ requester: recording });
    id.onChange((c) => seen.push(c));
    const first = await id.start();
    id.renewNow();
    await until(() => seen.length === 2);
    expect(auths).toEqual([{ trustBundlePem: ca.rootPem }, { trustBundlePem: ca.rootPem, certificate: first }]);
  });

  it('falls back to the token when the CA refuses the current certificate (UNAUTHENTICATED), and when it has expired', async () => {
    const auths: RequestAuth[] = [];
    let refuseCertificates = true;
    const strict: CertificateRequester = {
      createCertificate: async (csr, s, auth) => {
        auths.push(auth!);
        if (auth?.certificate && refuseCertificates) throw new CaRequestError(status.UNAUTHENTICATED, 'missing credential');
        return requester.createCertificate(csr, s);
      },
    };
    const errors: string[] = [];
    const seen: WorkloadCertificate[] = [];
    const id = make({ requester: strict, validitySeconds: 60, onError: (e) => errors.push(e.message) });
    id.onChange((c) => seen.push(c));
    await id.start();
    id.renewNow();
    await until(() => errors.length === 1);
    await jest.advanceTimersByTimeAsync(backoffDelayMs(0, 0.5));
    await until(() => seen.length === 2);
    expect(auths.map((a) => (a.certificate ? 'certificate' : 'token'))).toEqual(['token', 'certificate', 'token']);
    // Accepted again: renewals go back to the certificate. An expired one is never presented.
    refuseCertificates = false;
    id.renewNow();
    await until(() => seen.length === 3);
    expect(auths[3]!.certificate).toBe(seen[1]);
    id.stop();
    const later = make({ requester: strict, validitySeconds: 60 });
    await later.start();
    jest.setSystemTime(Date.now() + 61_000);
    later.renewNow();
    await until(() => auths.length === 6);
    expect(auths[5]!.certificate).toBeUndefined();
  });

  it('retries with exponential backoff while the CA is down and keeps the current certificate', async () => {
    const errors: number[] = [];
    const id = make({ onError: (_e, retryIn) => errors.push(retryIn) });
    const first = await id.start();
    down = true;
    await jest.advanceTimersByTimeAsync(12 * 3_600_000);
    await until(() => errors.length === 1);
    for (let attempt = 1; attempt < 4; attempt++) {
      await jest.advanceTimersByTimeAsync(errors[attempt - 1]!);
      await until(() => errors.length === attempt + 1);
    }
    expect(errors).toEqual([0, 1, 2, 3].map((a) => backoffDelayMs(a, 0.5)));
    expect(id.current()).toBe(first);
    down = false;
    await jest.advanceTimersByTimeAsync(errors[3]!);
    await until(() => id.current() !== first);
    expect(calls).toBe(6);
  });

  it('the first certificate waits for the CA to come up', async () => {
    down = true;
    const id = make();
    const first = id.start();
    await until(() => calls === 1);
    down = false;
    await jest.advanceTimersByTimeAsync(backoffDelayMs(0, 0.5));
    await expect(first).resolves.toMatchObject({ spiffeId: aliceId });
  });

  it('stop() ends renewals and rejects a pending start', async () => {
    down = true;
    const id = make();
    const first = id.start();
    await until(() => calls === 1);
    id.stop();
    await expect(first).rejects.toThrow(/stopped/);
    await jest.advanceTimersByTimeAsync(86_400_000);
    expect(calls).toBe(1);
  });

  it('renewNow during a request: only the newest answer is published', async () => {
    const seen: WorkloadCertificate[] = [];
    let answered = 0;
    const counting: CertificateRequester = { createCertificate: async (csr, s) => requester.createCertificate(csr, s).finally(() => answered++) };
    const id = make({ requester: counting });
    id.onChange((c) => seen.push(c));
    await id.start();
    id.renewNow();
    id.renewNow();
    await until(() => answered === 3);
    await until(() => seen.length === 2); // the newest answer, once its chain is verified (off-thread)
    for (let i = 0; i < 100; i++) await new Promise((r) => setImmediate(r)); // a stale answer would land by now
    expect(seen).toHaveLength(2);
    expect(id.current()).toBe(seen[1]);
  });

  it('root rotation: a certificate from the new root is refused until the bundle has it, then adopted', async () => {
    const newRoot = await makeRootCa('ec', 'cluster.local', new Date('2026-01-01T00:00:00Z'));
    const newIssuer = issuerFor(newRoot, () => new Date());
    let useNew = false;
    const oldRequester = requester;
    const errors: string[] = [];
    const seen: WorkloadCertificate[] = [];
    const id = make({
      requester: { createCertificate: async (csr, s) => (useNew ? (await newIssuer.issueForIdentity(csr, s * 1000, alice)).chainPem : oldRequester.createCertificate(csr, s)) },
      onError: (e) => errors.push(e.message),
    });
    id.onChange((c) => seen.push(c));
    await id.start();
    useNew = true;
    id.renewNow();
    await until(() => errors.length === 1);
    expect(errors[0]).toMatch(/does not end at a root of the trust bundle/);
    id.updateTrustBundle(ca.rootPem + newRoot.rootPem);
    await until(() => seen.length === 2);
    expect(seen[1]!.trustBundlePem).toBe(ca.rootPem + newRoot.rootPem);
    expect(() => id.updateTrustBundle('not pem')).toThrow(/trust bundle: no PEM certificate/);
  });

  it.each([
    ['from another root', 'other-root', /does not end at a root of the trust bundle/],
    ['for another identity', 'bob', /instead of spiffe:\/\/cluster.local\/ns\/shop\/sa\/alice/],
    ['for another key', 'other-key', /for another key/],
    ['with a broken chain', 'broken', /broken chain: certificate #1 is not signed by #2/],
  ])('refuses an answer %s', async (_n, kind, message) => {
    const other = await makeRootCa();
    const issuer = issuerFor(kind === 'other-root' || kind === 'broken' ? other : ca, () => new Date());
    const bad: CertificateRequester = {
      createCertificate: async (csr) => {
        if (kind === 'bob') return (await issuer.issueForIdentity(await csrFor('spiffe://cluster.local/ns/shop/sa/bob'), 0, { namespace: 'shop', serviceAccount: 'bob' })).chainPem;
        if (kind === 'other-key') return (await issuer.issueForIdentity(await csrFor(aliceId), 0, alice)).chainPem;
        if (kind === 'broken') return [(await issuer.issueForIdentity(csr, 0, alice)).chainPem[0]!, ca.rootPem];
        return (await issuer.issueForIdentity(csr, 0, alice)).chainPem;
      },
    };
    const errors: string[] = [];
    const id = make({ requester: bad, onError: (e) => errors.push(e.message) });
    void id.start().catch(() => undefined);
    await until(() => errors.length > 0);
    expect(errors[0]).toMatch(message);
    expect(id.current()).toBeUndefined();
  });
});

async function csrFor(spiffeId: string): Promise<string> {
  return createCsr(await generateWorkloadKey('ec'), spiffeId);
}
