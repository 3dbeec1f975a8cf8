/**
 * The xDS/CA port's own certificate is never left to expire: with a 3 s lifetime it is renewed about
 * every 1.5 s (half-life), new handshakes get the new one, and an ADS stream opened before keeps
 * receiving pushes long after the certificate it was opened with has expired. Real time, loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { type LoadedCa, initCaDir } from '../../../ca/src/store/ca-dir';
import { defaultMeshSettings } from '../core/mesh-index';
import { TypeUrls } from '../core/translate/envoy';
import { runControlPlane, type RunningControlPlane } from '../run';
import { adsClient, collect, discoveryRequest, workloadCertificate } from '../testing/mtls-ads';

const nodeId = 'sidecar~10.0.2.1~productpage-1.default~default.svc.cluster.local';
const testdata = path.join(__dirname, '../core/translate/testdata');

/** The serving certificate a new TLS handshake gets (serial, expiry). */
function servingCertificate(port: number, ca: string): Promise<{ serial: string; validTo: number }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['h2'] }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve({ serial: cert.serialNumber, validTo: new Date(cert.valid_to).getTime() });
    });
    socket.once('error', reject);
  });
}

describe('xDS/CA serving certificate rotation (3 s lifetime, real time)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-serving-'));
  const configDir = path.join(dir, 'config');
  let cp: RunningControlPlane;
  let ca: LoadedCa;

  beforeAll(async () => {
    fs.mkdirSync(configDir);
    fs.copyFileSync(path.join(testdata, 'base.yaml'), path.join(configDir, 'base.yaml'));
    ca = await initCaDir(path.join(dir, 'ca'));
    cp = await runControlPlane({
      configDir, ca, settings: defaultMeshSettings, xdsHost: '127.0.0.1', xdsPort: 0, monitorHost: '127.0.0.1', monitorPort: 0,
      pollIntervalMs: 200, debounce: { quietMs: 20, maxMs: 100 }, servingTtlMs: 3000,
    });
  }, 30_000);

  afterAll(async () => {
    await cp?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('new handshakes get renewed certificates; a stream opened before keeps getting pushes after its certificate expired', async () => {
    const address = `127.0.0.1:${cp.xdsPort}`;
    const root = ca.authority.roots[0]!.toString('pem');
    const first = await servingCertificate(cp.xdsPort!, root);
    const client = adsClient(address, root, await workloadCertificate(address, ca, { namespace: 'default', serviceAccount: 'productpage' }));
    const stream = client.streamAggregatedResources();
    const rx = collect(stream);
    try {
      stream.write(discoveryRequest(nodeId, TypeUrls.cluster));
      const cds = await rx.next('cds');
      stream.write(discoveryRequest(nodeId, TypeUrls.cluster, { version: cds.versionInfo, nonce: cds.nonce }));

      // Wait (bounded) until the first certificate has expired; collect what new handshakes see meanwhile.
      const serials = new Set([first.serial]);
      const deadline = Date.now() + 15_000;
      while (Date.now() <= first.validTo + 1000 && Date.now() < deadline) {
        const asked = Date.now();
        const seen = await servingCertificate(cp.xdsPort!, root);
        expect(seen.validTo + 1000).toBeGreaterThan(asked); // never an expired one (valid_to has whole seconds)
        serials.add(seen.serial);
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(Date.now()).toBeGreaterThan(first.validTo);
      expect(serials.size).toBeGreaterThanOrEqual(2);
      console.log(`serving certificate: ${serials.size} serials seen by new handshakes while the first one (3 s) lived and expired`);

      // The stream from before is still there: a change is pushed to it.
      fs.writeFileSync(path.join(configDir, 'more.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: extra, namespace: default }\nspec: { clusterIP: 10.96.0.99, ports: [{ name: http, port: 80 }] }\n');
      const pushed = await rx.next('push after rotation');
      expect(pushed.typeUrl).toBe(TypeUrls.cluster);
      expect(pushed.versionInfo).not.toBe(cds.versionInfo);
    } finally {
      stream.cancel();
      client.close();
    }
  }, 30_000);
});
