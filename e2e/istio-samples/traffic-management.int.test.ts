/**
 * Istio's traffic-management tasks (bookinfo request routing, fault injection, request timeouts,
 * retries, mirroring, circuit breaking), their manifests moved to Skein's API group by changing
 * apiVersion only, and the behaviour Istio's documentation describes for each — checked through
 * a real client sidecar whose config the control plane translated, mTLS to real server sidecars
 * in front of real apps.
 */
import type { KubeObject } from '../../operator/src/core/kube';
import { fromIstio, istioSamples } from '../../api/src/crd/testdata/istio-samples';
import { useFixture } from '../../proxy/src/testing/fixture';
import { waitFor } from '../../proxy/src/testing/wait';
import { type LocalMesh, type Workload, defaultHandler, startLocalMesh } from './local-mesh';

jest.setTimeout(60_000);
const fx = useFixture();

/** Istio's samples/bookinfo/networking/destination-rule-all.yaml (ratings, reviews subsets), and httpbin's v1/v2. */
const destinationRules = {
  ratings: `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ratings
spec:
  host: ratings
  subsets:
  - name: v1
    labels:
      version: v1
`,
  httpbin: `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`,
};

function policy(yamlText: string): KubeObject {
  const obj = fromIstio(yamlText) as KubeObject;
  return { ...obj, metadata: { ...obj.metadata, namespace: 'default' } };
}

const reviews: Workload[] = ['v1', 'v2', 'v3'].map((version) => ({ service: 'reviews', version }));

async function mesh(workloads: Workload[], samples: string[]): Promise<LocalMesh> {
  const m = await startLocalMesh(fx.ca, workloads, samples.map(policy));
  fx.defer(() => m.close());
  return m;
}

async function versions(m: LocalMesh, service: string, n: number, headers?: Record<string, string>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await m.call(service, { headers });
    expect(r.status).toBe(200);
    out.push((JSON.parse(r.body) as { version: string }).version);
  }
  return out;
}

describe('request routing (bookinfo)', () => {
  it('virtual-service-all-v1: every request goes to reviews v1', async () => {
    const m = await mesh(reviews, [istioSamples.reviewsSubsets, istioSamples.reviewsAllV1]);
    expect(new Set(await versions(m, 'reviews', 12))).toEqual(new Set(['v1']));
  });

  it('virtual-service-reviews-test-v2: user jason sees v2, everyone else v1', async () => {
    const m = await mesh(reviews, [istioSamples.reviewsSubsets, istioSamples.reviewsJasonToV2]);
    expect(new Set(await versions(m, 'reviews', 6, { 'end-user': 'jason' }))).toEqual(new Set(['v2']));
    expect(new Set(await versions(m, 'reviews', 6))).toEqual(new Set(['v1']));
  });

  it('virtual-service-reviews-50-v3: traffic splits about evenly between v1 and v3, none to v2', async () => {
    const m = await mesh(reviews, [istioSamples.reviewsSubsets, istioSamples.reviewsFiftyFifty]);
    const got = await versions(m, 'reviews', 200);
    const v1 = got.filter((v) => v === 'v1').length;
    expect(got.filter((v) => v === 'v2')).toHaveLength(0);
    expect(v1).toBeGreaterThan(60); // 200 × 50 %: ±40 is more than 5 standard deviations
    expect(v1).toBeLessThan(140);
  });
});

describe('fault injection', () => {
  it('ratings-test-abort: jason gets HTTP 500 from the fault (flag FI), others reach ratings', async () => {
    const m = await mesh([{ service: 'ratings', version: 'v1' }], [destinationRules.ratings, istioSamples.ratingsAbortForJason]);
    const r = await m.call('ratings', { headers: { 'end-user': 'jason' } });
    expect(r.status).toBe(500);
    expect(r.headers['x-skein-response-flags']).toBe('FI');
    expect((await m.call('ratings')).status).toBe(200);
    expect(m.seen.get('ratings-v1')).toHaveLength(1);
  });
});

describe('request timeouts', () => {
  it('reviews timeout 0.5s: a slow reviews v2 answers 504 (flag UT) without waiting for the app', async () => {
    const slow: Workload = { service: 'reviews', version: 'v2', handler: (_q, res) => void setTimeout(() => res.end('late'), 1500).unref() };
    const m = await mesh([slow], [istioSamples.reviewsSubsets, istioSamples.reviewsTimeout]);
    const r = await m.call('reviews');
    expect(r.status).toBe(504);
    expect(r.headers['x-skein-response-flags']).toBe('UT');
  });
});

describe('retries', () => {
  it('ratings retries (attempts 3, retryOn gateway-error,connect-failure,refused-stream,503): two 503s are hidden', async () => {
    const flaky: Workload = { service: 'ratings', version: 'v1', handler: (req, res, n) => (n < 2 ? void ((res.statusCode = 503), res.end()) : defaultHandler('ratings', 'v1')(req, res, n)) };
    const m = await mesh([flaky], [destinationRules.ratings, istioSamples.ratingsRetries]);
    const r = await m.call('ratings');
    expect(r.status).toBe(200);
    expect(m.seen.get('ratings-v1')).toHaveLength(3);
    expect(m.log.at(-1)).toMatchObject({ status: 200, attempts: 3 });
  });
});

describe('mirroring', () => {
  it('httpbin mirror: v1 answers, v2 gets every request as a shadow copy (Host httpbin-shadow)', async () => {
    const m = await mesh([{ service: 'httpbin', version: 'v1' }, { service: 'httpbin', version: 'v2' }], [destinationRules.httpbin, istioSamples.httpbinMirror]);
    for (let i = 0; i < 3; i++) expect(JSON.parse((await m.call('httpbin')).body)).toEqual({ service: 'httpbin', version: 'v1' });
    await waitFor('three shadow copies at v2', () => m.seen.get('httpbin-v2')!.length === 3);
    expect(m.seen.get('httpbin-v2')!.map((h) => h.host)).toEqual(['httpbin-shadow:8000', 'httpbin-shadow:8000', 'httpbin-shadow:8000']);
    expect(m.seen.get('httpbin-v1')!.map((h) => h.host)).toEqual(['httpbin:8000', 'httpbin:8000', 'httpbin:8000']);
  });
});

describe('circuit breaking', () => {
  it('httpbin (maxConnections 1, http1MaxPendingRequests 1): concurrent callers beyond that get 503 UO', async () => {
    const slow: Workload = { service: 'httpbin', version: 'v1', handler: (_q, res) => void setTimeout(() => res.end('ok'), 300).unref() };
    const m = await mesh([slow], [istioSamples.httpbinCircuitBreaker]);
    const replies = await Promise.all(Array.from({ length: 6 }, () => m.call('httpbin')));
    const overflow = replies.filter((r) => r.status === 503);
    expect(overflow.length).toBeGreaterThan(0);
    expect(overflow.every((r) => r.headers['x-skein-response-flags'] === 'UO')).toBe(true);
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThan(0);
  });
});
