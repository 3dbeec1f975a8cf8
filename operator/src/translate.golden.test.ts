/**
 * Golden tests of translation: base mesh + one policy file → the resources a proxy gets.
 * Goldens live in core/translate/testdata/<case>.golden.json; `UPDATE_GOLDEN=1 npx jest
 * operator/src/translate.golden.test.ts` rewrites them (review the diff before committing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { MeshIndex } from './core/mesh-index';
import { parseNodeId } from './core/node-id';
import { TypeUrls } from './core/translate/envoy';
import { Translator } from './core/translate/translate';
import { parseConfigFile } from './core/yaml-docs';

const dir = path.join(__dirname, 'core/translate/testdata');
const productpage = 'sidecar~10.0.2.1~productpage-1.default~default.svc.cluster.local';
const reviewsV1 = 'sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local';

type Pick = { type: keyof typeof TypeUrls; names: string[] };
const cases: { name: string; node: string; pick: Pick[]; overlay?: string; metadata?: Record<string, unknown> }[] = [
  { name: 'split', node: productpage, pick: [{ type: 'route', names: ['9080'] }] },
  { name: 'header-match', node: productpage, pick: [{ type: 'route', names: ['9080'] }] },
  { name: 'retries', node: productpage, pick: [{ type: 'route', names: ['9080'] }] },
  { name: 'resilience', node: productpage, pick: [{ type: 'route', names: ['9080'] }, { type: 'cluster', names: ['outbound|9080||reviews.default.svc.cluster.local'] }] },
  { name: 'fault', node: productpage, pick: [{ type: 'route', names: ['9090'] }] },
  { name: 'mirror', node: productpage, pick: [{ type: 'route', names: ['9080'] }] },
  {
    name: 'subsets', node: productpage, pick: [
      { type: 'cluster', names: ['outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080|v2|reviews.default.svc.cluster.local', 'outbound|9080|v3|reviews.default.svc.cluster.local', 'outbound|5432||db.default.svc.cluster.local'] },
      { type: 'endpoint', names: ['outbound|9080|v2|reviews.default.svc.cluster.local', 'outbound|9080||reviews.default.svc.cluster.local'] },
    ],
  },
  { name: 'strict', node: reviewsV1, pick: [{ type: 'listener', names: ['virtualInbound'] }] },
  { name: 'health-check', node: productpage, pick: [{ type: 'cluster', names: ['outbound|9080||reviews.default.svc.cluster.local'] }] },
  { name: 'rate-limit', node: reviewsV1, pick: [{ type: 'listener', names: ['virtualInbound'] }] },
  { name: 'permissive', node: reviewsV1, pick: [{ type: 'listener', names: ['virtualInbound'] }] },
  { name: 'authz', node: reviewsV1, pick: [{ type: 'listener', names: ['virtualInbound'] }] },
  { name: 'tcp-split', node: productpage, pick: [{ type: 'listener', names: ['virtualOutbound'] }] },
  { name: 'local-outbound', node: productpage, metadata: { SKEIN_OUTBOUND_PORTS: '15101=reviews:9080,15102=db.default:5432' }, pick: [{ type: 'listener', names: ['outbound_127.0.0.1_15101', 'outbound_127.0.0.1_15102'] }, { type: 'route', names: ['outbound_127.0.0.1_15101'] }] },
  { name: 'local-inbound', overlay: 'strict', node: reviewsV1, metadata: { SKEIN_INBOUND_PORTS: '15106=9080' }, pick: [{ type: 'listener', names: ['inbound_10.0.0.1_15106'] }] },
  { name: 'proxyless', overlay: 'header-match', node: productpage, metadata: { GENERATOR: 'grpc' }, pick: [{ type: 'listener', names: ['reviews:9080', 'reviews.default.svc.cluster.local:9080'] }, { type: 'route', names: ['reviews.default.svc.cluster.local:9080'] }, { type: 'cluster', names: ['outbound|9080|v2|reviews.default.svc.cluster.local'] }] },
  { name: 'base', node: productpage, pick: [{ type: 'listener', names: ['virtualOutbound'] }, { type: 'cluster', names: ['PassthroughCluster', 'BlackHoleCluster'] }] },
];

function load(files: string[]): MeshIndex {
  const index = new MeshIndex();
  for (const file of files) {
    const parsed = parseConfigFile(file, fs.readFileSync(path.join(dir, file), 'utf8'));
    expect(parsed.errors).toEqual([]);
    for (const obj of parsed.objects) index.apply(obj);
  }
  return index;
}

describe('translation goldens', () => {
  it.each(cases)('$name', ({ name, node, pick, overlay, metadata }) => {
    const extra = overlay ?? name;
    const files = fs.existsSync(path.join(dir, `${extra}.yaml`)) && extra !== 'base' ? ['base.yaml', `${extra}.yaml`] : ['base.yaml'];
    const translation = new Translator(load(files).model()).translate({ node: parseNodeId(node), metadata: metadata ?? {} });
    expect(translation.warnings).toEqual([]);
    const out: Record<string, unknown[]> = {};
    for (const p of pick) {
      const all = translation.resources[TypeUrls[p.type] as keyof typeof translation.resources];
      out[p.type] = p.names.map((n) => all.find((r) => (r.name ?? r.cluster_name) === n) ?? `MISSING ${n}`);
    }
    const golden = path.join(dir, `${name}.golden.json`);
    const text = `${JSON.stringify(out, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(golden, text);
    expect(text).toBe(fs.readFileSync(golden, 'utf8'));
  });
});
