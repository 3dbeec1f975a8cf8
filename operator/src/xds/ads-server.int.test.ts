/**
 * The control plane's ADS over mTLS on loopback with a plain xDS client (api/src/xds AdsClient)
 * presenting a workload certificate from the same port's CA: server verified against the CA root,
 * CDS → EDS → LDS → RDS, ACK/NACK with the reason in /debug/syncz, nothing re-sent when unchanged,
 * bad node ids refused. Attacks on it (anonymous callers, identity mismatch, stolen node ids) are
 * in e2e/attacks/xds-auth.int.test.ts.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { DiscoveryRequestSchema } from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { AdsClient } from '../../../api/src/xds';
import { CaClient, createCsr, generateWorkloadKey } from '../../../ca/src/client';
import { signJoinToken } from '../../../ca/src/core/join-token';
import { CaFiles, type LoadedCa, initCaDir, loadCaDir } from '../../../ca/src/store/ca-dir';
import { defaultMeshSettings } from '../core/mesh-index';
import { TypeUrls } from '../core/translate/envoy';
import { runControlPlane, type RunningControlPlane } from '../run';
import { adsClient, collect, discoveryRequest, workloadCertificate } from '../testing/mtls-ads';

const nodeId = 'sidecar~10.0.2.1~productpage-1.default~default.svc.cluster.local';
const testdata = path.join(__dirname, '../core/translate/testdata');

const responses = collect;
const request = (typeUrl: string, fields: Parameters<typeof discoveryRequest>[2] = {}) => discoveryRequest(nodeId, typeUrl, fields);

describe('ADS server (TLS, state of the world)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-ads-'));
  const configDir = path.join(dir, 'config');
  const caDir = path.join(dir, 'ca');
  let cp: RunningControlPlane;
  let ca: LoadedCa;
  let client: InstanceType<typeof AdsClient>;

  beforeAll(async () => {
    fs.mkdirSync(configDir);
    fs.copyFileSync(path.join(testdata, 'base.yaml'), path.join(configDir, 'base.yaml'));
    await initCaDir(caDir);
    cp = await runControlPlane({
      configDir, ca: (ca = await loadCaDir(caDir)), settings: defaultMeshSettings, xdsHost: '127.0.0.1', xdsPort: 0,
      monitorHost: '127.0.0.1', monitorPort: 0, pollIntervalMs: 200, debounce: { quietMs: 20, maxMs: 100 },
    });
    const root = fs.readFileSync(path.join(caDir, CaFiles.rootCert), 'utf8');
    const cert = await workloadCertificate(`127.0.0.1:${cp.xdsPort}`, ca, { namespace: 'default', serviceAccount: 'productpage' });
    client = adsClient(`127.0.0.1:${cp.xdsPort}`, root, cert);
  }, 30_000);

  afterAll(async () => {
    client?.close();
    await cp?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 15_000);

  it('serves CDS, EDS, LDS, RDS; tracks ACK and NACK; re-sends only on change', async () => {
    const stream = client.streamAggregatedResources();
    const rx = responses(stream);
    try {
      stream.write(request(TypeUrls.cluster));
      const cds = await rx.next('cds');
      expect(cds.typeUrl).toBe(TypeUrls.cluster);
      expect(cds.resources.length).toBeGreaterThan(3);
      stream.write(request(TypeUrls.cluster, { version: cds.versionInfo, nonce: cds.nonce }));

      const edsNames = ['outbound|9080||reviews.default.svc.cluster.local'];
      stream.write(request(TypeUrls.endpoint, { names: edsNames }));
      const eds = await rx.next('eds');
      expect(eds.typeUrl).toBe(TypeUrls.endpoint);
      expect(eds.resources).toHaveLength(1);
      stream.write(request(TypeUrls.endpoint, { names: edsNames, version: eds.versionInfo, nonce: eds.nonce }));

      stream.write(request(TypeUrls.listener));
      const lds = await rx.next('lds');
      expect(lds.typeUrl).toBe(TypeUrls.listener);
      // NACK the listeners: the reason is kept and shown, and nothing is re-sent.
      stream.write(request(TypeUrls.listener, { version: '', nonce: lds.nonce, error: 'listener virtualInbound: unsupported filter' }));

      stream.write(request(TypeUrls.route, { names: ['9080'] }));
      const rds = await rx.next('rds');
      expect(rds.typeUrl).toBe(TypeUrls.route);
      stream.write(request(TypeUrls.route, { names: ['9080'], version: rds.versionInfo, nonce: rds.nonce }));

      const syncz = await (await fetch(`http://127.0.0.1:${cp.monitorPort}/debug/syncz`)).json() as Record<string, { types: Record<string, { ackedVersion?: string; nack?: { message: string } }> }>;
      const types = syncz[nodeId]!.types;
      expect(types[TypeUrls.cluster]!.ackedVersion).toBe(cds.versionInfo);
      expect(types[TypeUrls.listener]!.nack?.message).toBe('listener virtualInbound: unsupported filter');
      expect(types[TypeUrls.listener]!.ackedVersion).toBeUndefined();
      const metrics = await (await fetch(`http://127.0.0.1:${cp.monitorPort}/metrics`)).text();
      expect(metrics).toMatch(/skein_xds_nacks_total\{type="Listener"\} 1/);
      expect(metrics).toMatch(/skein_xds_connected_proxies 1/);

      // A config change that touches only routes: only RDS is re-sent (CDS/EDS/LDS versions unchanged).
      fs.copyFileSync(path.join(testdata, 'retries.yaml'), path.join(configDir, 'retries.yaml'));
      const pushed = await rx.next('pushed');
      expect(pushed.typeUrl).toBe(TypeUrls.route);
      expect(pushed.versionInfo).not.toBe(rds.versionInfo);
      stream.write(request(TypeUrls.route, { names: ['9080'], version: pushed.versionInfo, nonce: pushed.nonce }));
      await new Promise((r) => setTimeout(r, 300));
      expect(rx.pending()).toBe(0);

      // An endpoint change re-sends only EDS: clusters, listeners and routes do not depend on addresses.
      const slice = fs.readFileSync(path.join(configDir, 'base.yaml'), 'utf8').replace('addresses: [10.0.0.3]', 'addresses: [10.0.0.4]');
      fs.writeFileSync(path.join(configDir, 'base.yaml'), slice);
      const edsUpdate = await rx.next('edsUpdate');
      expect(edsUpdate.typeUrl).toBe(TypeUrls.endpoint);
      stream.write(request(TypeUrls.endpoint, { names: edsNames, version: edsUpdate.versionInfo, nonce: edsUpdate.nonce }));
      await new Promise((r) => setTimeout(r, 300));
      expect(rx.pending()).toBe(0);

      // Bad configuration (invalid YAML, a dangling subset): reported, nothing pushed, proxies keep their config.
      fs.writeFileSync(path.join(configDir, 'broken.yaml'), 'kind: [\n');
      fs.writeFileSync(path.join(configDir, 'dangling.yaml'), [
        'apiVersion: networking.skein.dev/v1alpha1', 'kind: VirtualService', 'metadata: { name: ratings, namespace: default }',
        'spec: { hosts: [ratings], http: [{ route: [{ destination: { host: ratings, subset: nope } }] }] }',
      ].join('\n'));
      let configz: { errors: string[]; ready: boolean } = { errors: [], ready: false };
      for (let i = 0; i < 50 && configz.errors.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        configz = await (await fetch(`http://127.0.0.1:${cp.monitorPort}/debug/configz`)).json() as typeof configz;
      }
      expect(configz.errors).toEqual([
        expect.stringMatching(/^broken.yaml:\d+ document 0: invalid YAML/),
        'VirtualService/default/ratings: spec.http[0].route[0].destination: subset "nope" of ratings.default.svc.cluster.local is not defined by any DestinationRule',
      ]);
      expect((await fetch(`http://127.0.0.1:${cp.monitorPort}/readyz`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${cp.monitorPort}/metrics`)).text()).toMatch(/skein_config_errors 2/);
      // RDS 9080 (reviews) is untouched; nothing else was subscribed that changed.
      await new Promise((r) => setTimeout(r, 300));
      expect(rx.pending()).toBe(0);
    } finally {
      stream.end();
      await rx.ended;
    }
  }, 30_000);

  it('hosts the CA on the same TLS port: a workload with a join token gets its SPIFFE certificate', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signJoinToken({ ns: 'default', sa: 'productpage', aud: 'skein-ca', iat: now, exp: now + 600 }, ca.joinTokenKey!.signingKey, ca.joinTokenKey!.keyId);
    const caClient = new CaClient({
      address: `127.0.0.1:${cp.xdsPort}`, serverName: 'localhost', credential: () => token,
      trustBundlePem: fs.readFileSync(path.join(caDir, CaFiles.rootCert), 'utf8'),
    });
    try {
      const key = await generateWorkloadKey();
      const chain = await caClient.createCertificate(await createCsr(key, 'spiffe://cluster.local/ns/default/sa/productpage'), 3600);
      expect(chain.length).toBeGreaterThanOrEqual(2);
      expect(new X509Certificate(chain[0]!).subjectAltName).toContain('URI:spiffe://cluster.local/ns/default/sa/productpage');
      expect(await (await fetch(`http://127.0.0.1:${cp.monitorPort}/metrics`)).text()).toMatch(/skein_ca_certificates_issued_total\{authenticator="join-token"\} 2/); // this one and the ADS client's
    } finally {
      caClient.close();
    }
  }, 15_000);

  it('refuses a stream whose node id is malformed', async () => {
    const stream = client.streamAggregatedResources();
    const error = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    stream.write(create(DiscoveryRequestSchema, { node: { id: 'router~x~y~z' }, typeUrl: TypeUrls.cluster }));
    const err = await error;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/type "router" is not supported/);
  }, 15_000);

  it('rejects clients that do not trust the control plane root', async () => {
    const other = new AdsClient(`127.0.0.1:${cp.xdsPort}`, grpc.credentials.createSsl(), { 'grpc.ssl_target_name_override': 'localhost' });
    try {
      const stream = other.streamAggregatedResources();
      const error = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
      stream.write(request(TypeUrls.cluster));
      expect((await error).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      other.close();
    }
  }, 15_000);
});
