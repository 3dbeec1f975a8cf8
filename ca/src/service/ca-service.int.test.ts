// The CA over real gRPC + TLS on loopback: who gets a certificate and which status code the others get.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FirstSuccessAuthenticator } from '../auth/authenticator';
import { JoinTokenAuthenticator, mintJoinToken } from '../auth/join-token';
import { type TokenReviewer, TokenReviewAuthenticator } from '../auth/token-review';
import { CaClient, CaRequestError } from '../client/ca-client';
import { createCsr, generateWorkloadKey } from '../client/csr';
import { importJoinTokenKey } from '../core/join-token';
import { exportPrivateKeyPem, generateKeyPair } from '../core/keys';
import { x509 } from '../core/x509';
import { csrWithKey, issuerFor, makeRootCa } from '../testing/fixtures';
import { initCaDir, type LoadedCa } from '../store/ca-dir';
import { addCaService } from './ca-service';
import { type RunningCaServer, startCaServer } from './ca-server';
import { createCertificatePath, decodeCreateCertificateResponse, encodeCreateCertificateRequest } from './codec';

const alice = 'spiffe://cluster.local/ns/shop/sa/alice';
const h = 3_600_000;

describe('CA gRPC service on loopback', () => {
  let tmp: string;
  let ca: LoadedCa;
  let other: LoadedCa;
  let server: RunningCaServer;
  let rootPem: string;
  const clients: CaClient[] = [];
  const events: string[] = [];

  const client = (credential: string, trustBundlePem = rootPem) => {
    const c = new CaClient({ address: `127.0.0.1:${server.port}`, trustBundlePem, serverName: 'localhost', credential: () => credential, timeoutMs: 5000 });
    clients.push(c);
    return c;
  };
  const token = (k: LoadedCa, sa = 'alice', now = new Date(), ttlMs = h) => mintJoinToken(k.joinTokenKey!, { namespace: 'shop', serviceAccount: sa, ttlMs, now });
  const csrFor = async (id: string) => createCsr(await generateWorkloadKey('ec'), id);
  const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: unknown) => (e instanceof CaRequestError ? grpc.status[e.code] : String(e)));

  const reviewer: TokenReviewer = {
    review: async (t, audiences) => (t === 'k8s-token-of-bob' ? { authenticated: true, username: 'system:serviceaccount:shop:bob', audiences } : { authenticated: false }),
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-ca-grpc-'));
    ca = await initCaDir(path.join(tmp, 'ca'));
    other = await initCaDir(path.join(tmp, 'other'));
    rootPem = fs.readFileSync(path.join(tmp, 'ca', 'root-cert.pem'), 'utf8');
    server = await startCaServer({ ca, port: 0, authenticators: [new TokenReviewAuthenticator(reviewer)], onEvent: (e) => events.push(e.type) });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('issues the identity proven by a join token: leaf first, root last, valid 24 h by default', async () => {
    const chain = await client(await token(ca)).createCertificate(await csrFor(alice), 0);
    expect(chain).toHaveLength(2);
    const [leaf, root] = chain.map((p) => new x509.X509Certificate(p)) as [x509.X509Certificate, x509.X509Certificate];
    expect(root.toString('pem')).toBe(new x509.X509Certificate(rootPem).toString('pem'));
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON()).toEqual([{ type: 'url', value: alice }]);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(24 * h + 5 * 60_000);
    expect(events).toContain('issued');
  });

  it('issues the identity proven by a Kubernetes service-account token (TokenReview)', async () => {
    const chain = await client('k8s-token-of-bob').createCertificate(await csrFor('spiffe://cluster.local/ns/shop/sa/bob'), 3600);
    expect(new x509.X509Certificate(chain[0]!).getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON()[0]!.value).toBe('spiffe://cluster.local/ns/shop/sa/bob');
  });

  it.each([
    ['identity mismatch (alice asks for bob)', 'PERMISSION_DENIED', async () => client(await token(ca)).createCertificate(await csrFor('spiffe://cluster.local/ns/shop/sa/bob'), 0)],
    ['expired token', 'UNAUTHENTICATED', async () => client(await token(ca, 'alice', new Date(Date.now() - 2 * h), h)).createCertificate(await csrFor(alice), 0)],
    ['forged token (signed by another CA)', 'UNAUTHENTICATED', async () => client(await token(other)).createCertificate(await csrFor(alice), 0)],
    ['unknown Kubernetes token', 'UNAUTHENTICATED', async () => client('k8s-token-of-nobody').createCertificate(await csrFor(alice), 0)],
    ['no credential', 'UNAUTHENTICATED', async () => client('').createCertificate(await csrFor(alice), 0)],
    ['malformed CSR', 'INVALID_ARGUMENT', async () => client(await token(ca)).createCertificate('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', 0)],
    ['oversized CSR', 'INVALID_ARGUMENT', async () => client(await token(ca)).createCertificate('A'.repeat(100_000), 0)],
    ['empty CSR', 'INVALID_ARGUMENT', async () => client(await token(ca)).createCertificate('', 0)],
    ['wrong key type (P-384)', 'INVALID_ARGUMENT', async () => client(await token(ca)).createCertificate(await csrWithKey({ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }), 0)],
    ['wrong key type (RSA-1024)', 'INVALID_ARGUMENT', async () => client(await token(ca)).createCertificate(await csrWithKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }), 0)],
    ['TTL over the 90 d max', 'INVALID_ARGUMENT', async () => client(await token(ca)).createCertificate(await csrFor(alice), 91 * 86_400)],
    ['negative TTL', 'INVALID_ARGUMENT', async () => client(await token(ca)).createCertificate(await csrFor(alice), -1)],
  ])('refuses %s with %s', async (_n, code, call) => {
    expect(await codeOf(call())).toBe(code);
  });

  it('says why, without echoing the credential', async () => {
    const t = await token(other);
    const err = (await client(t).createCertificate(await csrFor(alice), 0).catch((e: unknown) => e)) as CaRequestError;
    expect(err.details).toMatch(/join-token: join token signature is not valid/);
    expect(err.details).not.toContain(t);
  });

  it('refuses a request that is not a CreateCertificateRequest with INVALID_ARGUMENT', async () => {
    const raw = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createSsl(Buffer.from(rootPem)), { 'grpc.ssl_target_name_override': 'localhost' });
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${await token(ca)}`);
    const code = await new Promise<string>((resolve) => {
      raw.makeUnaryRequest(createCertificatePath, (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0x0a, 0x7f, 0x01]), md, (err) => resolve(err ? grpc.status[err.code] : 'OK'));
    });
    raw.close();
    expect(code).toBe('INVALID_ARGUMENT');
  });

  it('the client refuses a CA it cannot verify with its trust bundle', async () => {
    const otherRoot = fs.readFileSync(path.join(tmp, 'other', 'root-cert.pem'), 'utf8');
    const c = new CaClient({ address: `127.0.0.1:${server.port}`, trustBundlePem: otherRoot, serverName: 'localhost', credential: () => 'secret', timeoutMs: 3000 });
    clients.push(c);
    expect(await codeOf(c.createCertificate(await csrFor(alice), 0))).toBe('UNAVAILABLE');
  });
});

describe('addCaService', () => {
  it('mounts next to other services on an existing grpc.Server', async () => {
    const ca = await makeRootCa();
    const joinKey = await importJoinTokenKey(await exportPrivateKeyPem((await generateKeyPair('ec', true)).privateKey));
    const server = new grpc.Server();
    server.addService({ Ping: { path: '/test.Other/Ping', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } }, {
      Ping: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from('pong')),
    });
    addCaService(server, { issuer: () => issuerFor(ca), authenticator: new FirstSuccessAuthenticator([new JoinTokenAuthenticator(joinKey.verifyKey)]) });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const unary = (method: string, body: Buffer, md = new grpc.Metadata()) =>
        new Promise<Buffer>((resolve, reject) => raw.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, body, md, (e, r) => (e ? reject(e) : resolve(r!))));
      expect((await unary('/test.Other/Ping', Buffer.alloc(0))).toString()).toBe('pong');
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${await mintJoinToken(joinKey, { namespace: 'a', serviceAccount: 'b', ttlMs: h, now: new Date() })}`);
      const body = Buffer.from(encodeCreateCertificateRequest({ csr: await createCsr(await generateWorkloadKey('ec'), 'spiffe://cluster.local/ns/a/sa/b'), validitySeconds: 60 }));
      expect(decodeCreateCertificateResponse(await unary(createCertificatePath, body, md)).certChain).toHaveLength(2);
    } finally {
      raw.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    }
  });
});
