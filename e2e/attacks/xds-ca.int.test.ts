/**
 * Attacks on the CA hosted on the control plane's :15012 (issue 18: renewals, issuance limits,
 * root rotation), against the real `skein controlplane` with real gRPC calls. Renewal is mTLS with
 * the current certificate; a token is for the first certificate only. Before the fix every request
 * re-sent the token, nothing limited issuance, and a certificate under a retired root was as good
 * as any.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type WorkloadCertificate } from '../../api/src/identity';
import { mintJoinToken } from '../../ca/src/auth/join-token';
import { createCsr, generateWorkloadKey } from '../../ca/src/client/csr';
import { createCertificatePath, decodeCreateCertificateResponse, encodeCreateCertificateRequest, type CreateCertificateRequest } from '../../ca/src/service/codec';
import { TypeUrls } from '../../operator/src/core/translate/envoy';
import { adsClient, collect, discoveryRequest } from '../../operator/src/testing/mtls-ads';
import { sleep, waitUntil } from '../harness/wait';
import { ControlPlaneUnderAttack, nodeIds, skeinCli } from './xds-world';

jest.setTimeout(60_000);

const idOf = (sa: string) => `spiffe://cluster.local/ns/default/sa/${sa}`;

interface Answer {
  code: string;
  details: string;
  /** On success: the new certificate with the key this call made (as the workload keeps it). */
  issued?: WorkloadCertificate;
  rootPem?: string;
}

/** One CreateCertificate call with exactly the credentials given: a client certificate, a bearer token, both or neither. */
async function ask(cp: ControlPlaneUnderAttack, o: { cert?: Pick<WorkloadCertificate, 'certChainPem' | 'privateKeyPem'>; token?: string; csrFor: string; validitySeconds?: number }): Promise<Answer> {
  const trust = Buffer.from(cp.trustBundle());
  const credentials = o.cert ? grpc.credentials.createSsl(trust, Buffer.from(o.cert.privateKeyPem), Buffer.from(o.cert.certChainPem)) : grpc.credentials.createSsl(trust);
  const client = new grpc.Client(cp.address, credentials, { 'grpc.ssl_target_name_override': 'localhost' });
  const metadata = new grpc.Metadata();
  if (o.token) metadata.set('authorization', `Bearer ${o.token}`);
  const key = await generateWorkloadKey();
  const request: CreateCertificateRequest = { csr: await createCsr(key, idOf(o.csrFor)), validitySeconds: o.validitySeconds ?? 3600 };
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest(createCertificatePath, (m: CreateCertificateRequest) => Buffer.from(encodeCreateCertificateRequest(m)), (b: Buffer) => decodeCreateCertificateResponse(b), request, metadata, { deadline: Date.now() + 10_000 },
        (err, res) => resolve(err ? { code: grpc.status[err.code], details: err.details } : {
          code: 'OK', details: '', rootPem: res!.certChain[res!.certChain.length - 1]!,
          issued: { certChainPem: res!.certChain.slice(0, -1).join('\n'), privateKeyPem: key.privateKeyPem } as WorkloadCertificate,
        }));
    });
  } finally {
    client.close();
  }
}

async function adsOutcome(cp: ControlPlaneUnderAttack, cert: Pick<WorkloadCertificate, 'certChainPem' | 'privateKeyPem'>, nodeId: string): Promise<string> {
  const client = adsClient(cp.address, cp.trustBundle(), cert);
  try {
    const stream = client.streamAggregatedResources();
    const rx = collect(stream);
    stream.write(discoveryRequest(nodeId, TypeUrls.cluster));
    const first = await Promise.race([rx.next('cds').then(() => 'OK'), rx.ended.then((e) => grpc.status[e.code])]);
    stream.cancel();
    return first;
  } finally {
    client.close();
  }
}

describe('attacks on the CA: renewal credentials, expiry, retired roots', () => {
  const cp = new ControlPlaneUnderAttack();
  const token = (sa: string) => mintJoinToken(cp.ca.joinTokenKey!, { namespace: 'default', serviceAccount: sa, ttlMs: 600_000, now: new Date() });
  let reviews: WorkloadCertificate;

  beforeAll(async () => {
    await cp.start(['--ca-identity-limit', '5/h:5']);
    reviews = await cp.certificate({ namespace: 'default', serviceAccount: 'reviews' });
  });
  afterAll(() => cp.stop());

  it('renews over mTLS with the current certificate alone; no token needed', async () => {
    const answer = await ask(cp, { cert: reviews, csrFor: 'reviews' });
    expect(answer.code).toBe('OK');
    expect(cp.logLines(/ca: issued spiffe:\/\/cluster.local\/ns\/default\/sa\/reviews \(client-certificate\)/)).toHaveLength(1);
  });

  it.each<[string, { cert?: string; token?: string; csrFor: string }, string, RegExp]>([
    ['the current certificate with a token for someone else', { cert: 'reviews', token: 'mallory', csrFor: 'reviews' }, 'PERMISSION_DENIED', /the bearer token proves default\/mallory but the client certificate is default\/reviews/],
    ['the current certificate, a CSR for someone else', { cert: 'reviews', csrFor: 'mallory' }, 'PERMISSION_DENIED', /identity mismatch: the CSR asks for \[url:spiffe:\/\/cluster.local\/ns\/default\/sa\/mallory\] but the caller proved spiffe:\/\/cluster.local\/ns\/default\/sa\/reviews/],
    ['a token for someone else, a CSR for the victim', { token: 'mallory', csrFor: 'reviews' }, 'PERMISSION_DENIED', /identity mismatch/],
    ['no credential at all', { csrFor: 'reviews' }, 'UNAUTHENTICATED', /missing credential/],
  ])('refused: %s', async (_what, o, code, details) => {
    const answer = await ask(cp, { ...(o.cert ? { cert: reviews } : {}), ...(o.token ? { token: await token(o.token) } : {}), csrFor: o.csrFor });
    expect(answer.code).toBe(code);
    expect(answer.details).toMatch(details);
  });

  it('an expired certificate cannot renew and cannot open ADS (UNAUTHENTICATED)', async () => {
    const shortLived = await ask(cp, { token: await token('productpage'), csrFor: 'productpage', validitySeconds: 2 });
    expect(shortLived.code).toBe('OK');
    await sleep(2500);
    expect(await ask(cp, { cert: shortLived.issued!, csrFor: 'productpage' })).toMatchObject({ code: 'UNAUTHENTICATED', details: expect.stringMatching(/missing credential/) });
    expect(await adsOutcome(cp, shortLived.issued!, nodeIds.productpage)).toBe('UNAUTHENTICATED');
  });

  it('issuance beyond the per-identity limit is refused with RESOURCE_EXHAUSTED, renewals included; another identity is not affected', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 7; i++) answers.push(await ask(cp, { token: await token('burst'), csrFor: 'burst' }));
    expect(answers.map((a) => a.code)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'RESOURCE_EXHAUSTED', 'RESOURCE_EXHAUSTED']);
    expect(answers[5]!.details).toMatch(/^the issuance rate limit for spiffe:\/\/cluster.local\/ns\/default\/sa\/burst \(5\/h:5\) is exhausted; retry in \d+/);
    // A certificate does not get around the limit: renewals over mTLS count too.
    expect((await ask(cp, { cert: answers[0]!.issued!, csrFor: 'burst' })).code).toBe('RESOURCE_EXHAUSTED');
    expect((await ask(cp, { token: await token('other'), csrFor: 'other' })).code).toBe('OK');
    expect(await (await fetch(`http://127.0.0.1:${cp.monitorPort}/metrics`)).text()).toMatch(/skein_ca_requests_refused_total\{code="RESOURCE_EXHAUSTED"\} 3/);
  });

  it('root rotation: after the old root is retired, a certificate under it can neither renew nor open ADS; one under the new root can', async () => {
    const oldRoot = path.join(cp.dir, 'old-root.pem');
    fs.copyFileSync(path.join(cp.caDir, 'root-cert.pem'), oldRoot);
    const next = path.join(cp.dir, 'next-ca');
    skeinCli('ca', 'init', '--dir', next);
    // The step that would cause an outage is refused: signing under a root nobody trusts yet.
    expect(() => skeinCli('ca', 'switch', '--dir', cp.caDir, '--from', next)).toThrow(/is not in .*root-cert.pem yet; add it first/);
    skeinCli('ca', 'bundle', '--dir', cp.caDir, '--add', path.join(next, 'root-cert.pem'));
    skeinCli('ca', 'switch', '--dir', cp.caDir, '--from', next);
    await waitUntil(() => cp.logLines(/ca: reloaded .*signing with a new CA certificate, trust bundle 2 roots/).length > 0, { timeoutMs: 10_000, what: 'the control plane to sign with the new CA' });
    // Renewing now moves a workload under the new root (its old certificate still authenticates).
    const moved = await ask(cp, { cert: reviews, csrFor: 'reviews' });
    expect(moved.code).toBe('OK');
    expect(moved.rootPem!.trim()).toBe(fs.readFileSync(path.join(next, 'root-cert.pem'), 'utf8').trim());
    const underNewRoot = moved.issued!;

    // A stream opened with the old certificate before the retirement…
    const before = adsClient(cp.address, cp.trustBundle(), reviews);
    const open = before.streamAggregatedResources();
    const openRx = collect(open);
    open.write(discoveryRequest(nodeIds.reviews, TypeUrls.cluster));
    await openRx.next('cds before the retirement');

    skeinCli('ca', 'bundle', '--dir', cp.caDir, '--remove', oldRoot);
    await waitUntil(() => cp.logLines(/ca: reloaded .*same signer, trust bundle 1 root \(changed\)/).length > 0, { timeoutMs: 10_000, what: 'the control plane to retire the old root' });
    // …is closed: a retired root authenticates nobody, not even on an established stream.
    expect(await openRx.ended).toEqual({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/does not chain to a root of the current trust bundle .*\(checked again after the trust bundle changed\)/) });
    before.close();
    expect(await ask(cp, { cert: reviews, csrFor: 'reviews' })).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await adsOutcome(cp, reviews, nodeIds.reviews)).toBe('UNAUTHENTICATED');
    expect(await ask(cp, { cert: underNewRoot, csrFor: 'reviews' })).toMatchObject({ code: 'OK' });
    expect(await adsOutcome(cp, underNewRoot, nodeIds.reviews)).toBe('OK');
  });
});

describe('attacks on the CA: the global issuance limit', () => {
  const cp = new ControlPlaneUnderAttack();
  beforeAll(() => cp.start(['--ca-global-limit', '4/h:4']));
  afterAll(() => cp.stop());

  it('many identities together cannot issue beyond the global limit (RESOURCE_EXHAUSTED)', async () => {
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) {
      const t = await mintJoinToken(cp.ca.joinTokenKey!, { namespace: 'default', serviceAccount: `sa-${i}`, ttlMs: 600_000, now: new Date() });
      const a = await ask(cp, { token: t, csrFor: `sa-${i}` });
      answers.push(a.code === 'OK' ? 'OK' : `${a.code}: ${a.details}`);
    }
    expect(answers.slice(0, 4)).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect(answers.slice(4)).toEqual([expect.stringMatching(/^RESOURCE_EXHAUSTED: the CA's global issuance rate limit \(4\/h:4\) is exhausted; retry in/), expect.stringMatching(/^RESOURCE_EXHAUSTED/)]);
  });
});
