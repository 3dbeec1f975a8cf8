/**
 * The webhook over real HTTPS on loopback: AdmissionReviews in, answers out, including every kind
 * of bad input, 200 concurrent reviews, certificate reload and the TLS floor.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { InMemoryNamespaceLookup, type NamespaceLookup } from './namespace-lookup';
import { type LogLine, type RunningWebhook, startWebhookServer } from './server';
import { makeServingCert, testConfig } from './testing';

const dir = mkdtempSync(join(tmpdir(), 'skein-webhook-'));
const first = makeServingCert(dir, 'first', 'first');
const second = makeServingCert(dir, 'second', 'second');
const live = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
copyFileSync(first.certFile, live.certFile);
copyFileSync(first.keyFile, live.keyFile);
const ca = [first.certPem, second.certPem];
const agent = new Agent({ keepAlive: true, maxSockets: 64, ca });

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

function post(port: number, body: string | Buffer, contentType = 'application/json', path = '/inject'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: { raw: text } });
        }
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

function get(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject).end();
  });
}

function review(uid: string, overrides: Record<string, unknown> = {}, pod: unknown = podObject()) {
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'shop', operation: 'CREATE', object: pod, ...overrides },
  });
}

function podObject(annotations: Record<string, string> = {}) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'cart-', annotations }, spec: { containers: [{ name: 'cart', image: 'cart:1' }] } };
}

function responseOf(reply: Reply): { uid: string; allowed: boolean; patch?: string; patchType?: string; status?: { code: number; message: string } } {
  expect(reply.status).toBe(200);
  expect(reply.body).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  return reply.body.response as ReturnType<typeof responseOf>;
}

function decodePatch(patch: string | undefined): { op: string; path: string; value?: unknown }[] {
  return JSON.parse(Buffer.from(patch ?? '', 'base64').toString()) as { op: string; path: string }[];
}

function servedCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('webhook server over HTTPS', () => {
  const logs: LogLine[] = [];
  const namespaces = new InMemoryNamespaceLookup({ shop: { 'skein.dev/inject': 'enabled' }, plain: {} });
  const lookup: NamespaceLookup = {
    labels: (ns) => {
      if (ns === 'broken') return Promise.reject(new Error('apiserver unavailable'));
      if (ns === 'slow') return new Promise(() => undefined);
      return namespaces.labels(ns);
    },
  };
  let webhook: RunningWebhook;

  beforeAll(async () => {
    webhook = await startWebhookServer({
      config: testConfig({ clusterVersion: '1.30' }),
      namespaces: lookup,
      tls: live,
      host: '127.0.0.1',
      port: 0,
      log: (line) => logs.push(line),
      lookupTimeoutMs: 200,
      certificatePollMs: 50,
    });
  });

  afterAll(async () => {
    agent.destroy();
    await webhook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('injects a pod in an enabled namespace with a JSONPatch, and logs the decision', async () => {
    const res = responseOf(await post(webhook.port, review('uid-inject')));
    expect(res).toMatchObject({ uid: 'uid-inject', allowed: true, patchType: 'JSONPatch' });
    const patch = decodePatch(res.patch);
    expect(patch).toContainEqual(expect.objectContaining({ op: 'add', path: '/spec/initContainers' }));
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'admission review', uid: 'uid-inject', outcome: 'injected', reasons: ['NamespaceEnabled'], pod: 'cart-' }));
  });

  it('allows a pod of an unlabelled namespace unchanged, with the reason', async () => {
    const res = responseOf(await post(webhook.port, review('uid-plain', { namespace: 'plain' })));
    expect(res).toEqual({ uid: 'uid-plain', allowed: true });
    expect(logs).toContainEqual(expect.objectContaining({ uid: 'uid-plain', outcome: 'skipped', reasons: ['NotEnabled'] }));
  });

  it.each([
    ['a Deployment', { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }],
    ['a ConfigMap', { kind: { group: '', version: 'v1', kind: 'ConfigMap' }, object: { kind: 'ConfigMap', data: {} } }],
    ['a DELETE', { operation: 'DELETE', object: null }],
    ['an UPDATE', { operation: 'UPDATE' }],
  ])('%s is allowed unchanged', async (_name, overrides) => {
    const res = responseOf(await post(webhook.port, review('uid-other', overrides)));
    expect(res).toEqual({ uid: 'uid-other', allowed: true });
  });

  it.each([
    ['not JSON', '{"apiVersion":', 'application/json', /body is not JSON/],
    ['a JSON string', '"review"', 'application/json', /not JSON|expected a JSON AdmissionReview/],
    ['not declared as JSON', review('x'), 'text/plain', /expected a JSON AdmissionReview object/],
    ['admission.k8s.io/v1beta1', review('x').replace('admission.k8s.io/v1', 'admission.k8s.io/v1beta1'), 'application/json', /apiVersion must be admission.k8s.io\/v1/],
    ['the wrong kind', review('x').replace('"AdmissionReview"', '"AdmissionRequest"'), 'application/json', /kind must be AdmissionReview/],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), 'application/json', /has no request/],
    ['no uid', review(''), 'application/json', /request.uid must be a non-empty string/],
  ])('malformed AdmissionReview (%s) → 400 with a message', async (_name, body, type, message) => {
    const reply = await post(webhook.port, body, type);
    expect(reply.status).toBe(400);
    expect(String(reply.body.error)).toMatch(message);
  });

  it('an oversized body → 413', async () => {
    const huge = review('uid-huge', {}, { ...podObject({ filler: 'x'.repeat(7 * 1024 * 1024) }) });
    const reply = await post(webhook.port, huge);
    expect(reply.status).toBe(413);
    expect(String(reply.body.error)).toMatch(/larger than 6291456 bytes/);
  });

  it('an invalid annotation refuses the pod with a clear message (allowed=false)', async () => {
    const res = responseOf(await post(webhook.port, review('uid-bad', {}, podObject({ 'traffic.skein.dev/excludeOutboundIPRanges': '10.0.0.300/8' }))));
    expect(res).toMatchObject({ uid: 'uid-bad', allowed: false, status: { code: 400 } });
    expect(res.status?.message).toMatch(/excludeOutboundIPRanges: "10.0.0.300\/8" is not a CIDR/);
    expect(res.patch).toBeUndefined();
  });

  it('a failing or hanging namespace lookup refuses the pod instead of hanging the API server', async () => {
    const broken = responseOf(await post(webhook.port, review('uid-broken', { namespace: 'broken' })));
    expect(broken).toMatchObject({ allowed: false, status: { code: 500 } });
    expect(broken.status?.message).toMatch(/cannot read namespace broken: apiserver unavailable/);
    const slow = responseOf(await post(webhook.port, review('uid-slow', { namespace: 'slow' })));
    expect(slow.status?.message).toMatch(/lookup of namespace slow timed out after 200 ms/);
  });

  it('answers 200 concurrent reviews, each with its own uid and the right answer', async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post(webhook.port, review(`uid-${i}`, { namespace: i % 2 === 0 ? 'shop' : 'plain' }))),
    );
    replies.forEach((reply, i) => {
      const res = responseOf(reply);
      expect(res.uid).toBe(`uid-${i}`);
      expect(res.allowed).toBe(true);
      if (i % 2 === 0) expect(decodePatch(res.patch).length).toBeGreaterThan(0);
      else expect(res.patch).toBeUndefined();
    });
  });

  it('serves /healthz and /metrics with outcomes and reason codes', async () => {
    expect(await get(webhook.port, '/healthz')).toEqual({ status: 200, text: 'ok\n' });
    const metrics = await get(webhook.port, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/skein_webhook_reviews_total\{outcome="injected"\} \d+/);
    expect(metrics.text).toMatch(/skein_webhook_reviews_total\{outcome="invalid"\} \d+/);
    expect(metrics.text).toMatch(/skein_webhook_injection_decisions_total\{inject="false",reason="NotEnabled"\} \d+/);
    expect(metrics.text).toMatch(/skein_webhook_review_duration_seconds_count \d+/);
  });

  it('refuses TLS below 1.2 (the server answers with a protocol_version alert)', async () => {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      // SECLEVEL=0 lets this client offer TLS 1.1, so the refusal is the server's.
      const options = { host: '127.0.0.1', port: webhook.port, ca, servername: 'localhost', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } as const;
      const socket = connect(options, () => {
        socket.end();
        resolve(undefined);
      });
      socket.on('error', resolve);
    });
    expect(error?.code).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('reloads the serving certificate when the files change; a broken pair keeps the old one', async () => {
    expect((await servedCertificate(webhook.port)).subject.CN).toBe('first');
    // A half-rotated pair (new cert, old key) does not load: the old certificate keeps serving.
    copyFileSync(second.certFile, live.certFile);
    expect(webhook.reloadCertificate()).toBe(false);
    expect((await servedCertificate(webhook.port)).subject.CN).toBe('first');
    // The key arrives: the file watcher picks the complete pair up.
    copyFileSync(second.keyFile, live.keyFile);
    let cn = '';
    for (let i = 0; i < 100 && cn !== 'second'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      cn = String((await servedCertificate(webhook.port)).subject.CN);
    }
    expect(cn).toBe('second');
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'serving certificate reload failed; keeping the previous one' }));
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'serving certificate reloaded' }));
  });
});
