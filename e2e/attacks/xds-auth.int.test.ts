/**
 * Attacks on the control plane's ADS (issue 18, vector 3), against the real `skein controlplane`
 * with real gRPC clients over TLS on loopback. The victim is reviews-v1's proxy with an ACKed
 * config; the attackers hold what an attacker in the mesh could hold: nothing, a certificate of
 * another CA, a certificate of their own workload, or one of the victim's own service account
 * (another replica). Before the fix, any caller read any proxy's config and a second stream with
 * the victim's node id replaced its metadata and pushed the result to the victim.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type DiscoveryResponse } from '../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { ListenerSchema } from '../../api/gen/envoy/config/listener/v3/listener_pb';
import { type WorkloadCertificate } from '../../api/src/identity';
import { unpackAnyAs } from '../../api/src/xds';
import { TypeUrls } from '../../operator/src/core/translate/envoy';
import { adsClient, type AdsStreamCall, collect, discoveryRequest } from '../../operator/src/testing/mtls-ads';
import { sleep, waitUntil } from '../harness/wait';
import { ControlPlaneUnderAttack, nodeIds, skeinCli } from './xds-world';

jest.setTimeout(60_000);

type Rx = ReturnType<typeof collect<DiscoveryResponse>>;

const listenerNames = (r: DiscoveryResponse) => r.resources.map((a) => unpackAnyAs(a, ListenerSchema).name).sort();
/** The victim's inbound side: its listener config names the inbound cluster of its port 9080. */
const servesInbound9080 = (r: DiscoveryResponse) => r.resources.some((a) => Buffer.from(a.value).toString('latin1').includes('inbound|9080||'));

describe('attacks on xDS: authentication, identity, stream takeover', () => {
  const cp = new ControlPlaneUnderAttack();
  const clients: grpc.Client[] = [];
  const streams: AdsStreamCall[] = [];
  let reviews: WorkloadCertificate;
  let reviewsReplica: WorkloadCertificate;
  let mallory: WorkloadCertificate;
  let victim: AdsStreamCall;
  let victimRx: Rx;
  let victimLds: DiscoveryResponse;

  /** Opens an ADS stream presenting `cert` (none: anonymous) and sends the first request. */
  function open(cert: Pick<WorkloadCertificate, 'certChainPem' | 'privateKeyPem'> | undefined, nodeId: string, metadata: Record<string, unknown> = {}, trust = cp.trustBundle()) {
    const client = adsClient(cp.address, trust, cert);
    clients.push(client);
    const stream = client.streamAggregatedResources();
    streams.push(stream);
    const rx = collect(stream);
    stream.write(discoveryRequest(nodeId, TypeUrls.cluster, { metadata }));
    stream.write(discoveryRequest(nodeId, TypeUrls.listener, { metadata }));
    return { stream, rx };
  }

  /** The next response of `typeUrl` (ACKing everything on the way). */
  async function next(stream: AdsStreamCall, rx: Rx, nodeId: string, typeUrl: string): Promise<DiscoveryResponse> {
    for (;;) {
      const r = await rx.next(typeUrl);
      stream.write(discoveryRequest(nodeId, r.typeUrl, { version: r.versionInfo, nonce: r.nonce }));
      if (r.typeUrl === typeUrl) return r;
    }
  }

  /** How an attacker's stream ended, and whether it got any configuration first. */
  async function outcome(o: { stream: AdsStreamCall; rx: Rx }) {
    const end = await o.rx.ended;
    return { code: grpc.status[end.code], responses: o.rx.pending(), details: end.details };
  }

  beforeAll(async () => {
    await cp.start();
    [reviews, reviewsReplica, mallory] = await Promise.all([
      cp.certificate({ namespace: 'default', serviceAccount: 'reviews' }),
      cp.certificate({ namespace: 'default', serviceAccount: 'reviews' }),
      cp.certificate({ namespace: 'default', serviceAccount: 'mallory' }),
    ]);
    ({ stream: victim, rx: victimRx } = open(reviews, nodeIds.reviews));
    victimLds = await next(victim, victimRx, nodeIds.reviews, TypeUrls.listener);
  });

  afterAll(async () => {
    for (const s of streams) s.cancel();
    for (const c of clients) c.close();
    await cp.stop();
  });

  it('the victim itself is served: its listeners include the inbound side of reviews:9080', () => {
    expect(listenerNames(victimLds)).toEqual(['virtualInbound', 'virtualOutbound']);
    expect(servesInbound9080(victimLds)).toBe(true);
  });

  it('an anonymous caller (TLS without a client certificate) is refused with UNAUTHENTICATED and reads nothing', async () => {
    const result = await outcome(open(undefined, nodeIds.reviews));
    expect(result).toEqual({ code: 'UNAUTHENTICATED', responses: 0, details: expect.stringMatching(/requires the proxy's workload certificate/) });
  });

  it('a certificate of another CA for the victim\'s own identity is refused with UNAUTHENTICATED', async () => {
    const foreign = path.join(cp.dir, 'foreign');
    skeinCli('ca', 'init', '--dir', foreign);
    skeinCli('ca', 'issue', '--dir', foreign, '--spiffe-id', 'spiffe://cluster.local/ns/default/sa/reviews', '--out', path.join(foreign, 'leaf'));
    const forged = { certChainPem: fs.readFileSync(path.join(foreign, 'leaf', 'cert.pem'), 'utf8'), privateKeyPem: fs.readFileSync(path.join(foreign, 'leaf', 'key.pem'), 'utf8') };
    expect(await outcome(open(forged, nodeIds.reviews))).toMatchObject({ code: 'UNAUTHENTICATED', responses: 0 });
  });

  it.each([
    ['mallory\'s certificate, the victim\'s node id', nodeIds.reviews, {}, /pod default\/reviews-v1 runs as service account reviews/],
    ['mallory\'s certificate, mallory\'s node id, SERVICE_ACCOUNT claimed as reviews', nodeIds.mallory, { SERVICE_ACCOUNT: 'reviews' }, /metadata SERVICE_ACCOUNT is "reviews", the certificate's service account mallory/],
    ['mallory\'s certificate, a node id in another namespace', 'sidecar~10.0.9.9~mallory-1.shop~shop.svc.cluster.local', {}, /namespace is shop, the certificate's default/],
    ['mallory\'s certificate, mallory\'s pod name with the victim\'s IP', 'sidecar~10.0.0.1~mallory-1.default~default.svc.cluster.local', {}, /has IP 10\.0\.9\.9, not 10\.0\.0\.1/],
  ])('identity mismatch is refused with PERMISSION_DENIED: %s', async (_what, nodeId, metadata, reason) => {
    const result = await outcome(open(mallory, nodeId, metadata));
    expect(result).toMatchObject({ code: 'PERMISSION_DENIED', responses: 0 });
    expect(result.details).toMatch(reason);
  });

  it('GENERATOR: grpc on the mTLS port is refused with PERMISSION_DENIED, even for the victim\'s own identity', async () => {
    const result = await outcome(open(reviewsReplica, nodeIds.reviews, { GENERATOR: 'grpc' }));
    expect(result).toMatchObject({ code: 'PERMISSION_DENIED', responses: 0 });
    expect(result.details).toMatch(/GENERATOR=grpc is not served on the mTLS port/);
  });

  it('a second stream with the victim\'s node id (same service account: another replica) gets its own state; the victim keeps its listeners', async () => {
    // Empty metadata and a redirect of the victim's inbound port, from the holder of a legitimate
    // reviews certificate: it is served (it is reviews), as its own stream.
    const takeovers = [open(reviewsReplica, nodeIds.reviews, {}), open(reviewsReplica, nodeIds.reviews, { SKEIN_INBOUND_PORTS: '15999=9080', LABELS: {} })];
    const attackerLds = await Promise.all(takeovers.map((t) => next(t.stream, t.rx, nodeIds.reviews, TypeUrls.listener)));
    expect(listenerNames(attackerLds[1]!)).toContain('inbound_10.0.0.1_15999');
    await sleep(500);
    expect(victimRx.pending()).toBe(0); // nothing was pushed to the victim

    // A real change reaches the victim with the victim's own metadata: no 15999 listener, 9080 served.
    fs.writeFileSync(path.join(cp.configDir, 'more.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: extra, namespace: default }\nspec: { clusterIP: 10.96.0.20, ports: [{ name: http, port: 80 }] }\n');
    const pushed = await next(victim, victimRx, nodeIds.reviews, TypeUrls.listener);
    expect(listenerNames(pushed)).toEqual(['virtualInbound', 'virtualOutbound']);
    expect(servesInbound9080(pushed)).toBe(true);
    expect(pushed.versionInfo).not.toBe(victimLds.versionInfo);

    // /debug/syncz keeps every stream apart; the victim, the oldest, is under its node id.
    const syncz = await cp.syncz();
    const entries = Object.entries(syncz).filter(([key]) => key.startsWith(nodeIds.reviews));
    expect(entries).toHaveLength(3);
    expect(entries[0]![0]).toBe(nodeIds.reviews);
    expect(entries.every(([, e]) => e.identity === 'spiffe://cluster.local/ns/default/sa/reviews')).toBe(true);
    for (const t of takeovers) t.stream.cancel();
  });

  it('SKEIN_INBOUND_PORTS for a port of another workload is ignored: no listener, a warning in /debug/syncz', async () => {
    const { stream, rx } = open(mallory, nodeIds.mallory, { SKEIN_INBOUND_PORTS: '15106=9080' });
    const lds = await next(stream, rx, nodeIds.mallory, TypeUrls.listener);
    expect(listenerNames(lds)).toEqual(['virtualInbound', 'virtualOutbound']);
    expect(servesInbound9080(lds)).toBe(false);
    await waitUntil(async () => (await cp.syncz())[nodeIds.mallory] !== undefined, { timeoutMs: 5000, what: 'mallory in syncz' });
    expect((await cp.syncz())[nodeIds.mallory]!.translationWarnings).toEqual([expect.stringMatching(/SKEIN_INBOUND_PORTS: "15106=9080": no EndpointSlice lists this pod on port 15106 or 9080/)]);
    stream.cancel();
  });
});
