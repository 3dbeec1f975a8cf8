/**
 * Golden tests: each pod fixture in testdata/pods/*.yaml (namespace, config, pod) → the decision
 * and the JSON patch, stored next to it as *.golden.json. Regenerate after a deliberate change
 * with UPDATE_GOLDEN=1 and review the diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch } from 'fast-json-patch';
import { parse } from 'yaml';
import { admitPod } from './core/admission';
import { type Pod } from './core/types';
import { testConfig } from './testing';

const dir = join(__dirname, 'testdata', 'pods');
const cases = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));

interface Fixture {
  namespace: { name: string; labels?: Record<string, string> };
  config?: Record<string, unknown>;
  pod: Pod;
}

function load(name: string): Fixture {
  return parse(readFileSync(join(dir, `${name}.yaml`), 'utf8')) as Fixture;
}

describe('golden: pod fixture → decision and patch', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThanOrEqual(10));

  it.each(cases)('%s', (name) => {
    const fixture = load(name);
    const config = testConfig(fixture.config);
    const result = admitPod('uid-1', fixture.pod, { name: fixture.namespace.name, labels: fixture.namespace.labels }, config);
    const actual = {
      outcome: result.outcome,
      inject: result.decision.inject,
      reasons: result.decision.reasons.map((r) => r.code),
      patch: result.patch,
    };
    const goldenFile = join(dir, `${name}.golden.json`);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(goldenFile)) {
      if (process.env.CI) throw new Error(`golden file ${goldenFile} missing`);
      writeFileSync(goldenFile, `${JSON.stringify(actual, null, 2)}\n`);
    }
    expect(actual).toEqual(JSON.parse(readFileSync(goldenFile, 'utf8')));
    expect(result.response.allowed).toBe(true);
    expect(Boolean(result.response.patch)).toBe(result.patch.length > 0);
  });

  it.each(cases)('%s: reinvocation on the patched pod gives an empty patch', (name) => {
    const fixture = load(name);
    const config = testConfig(fixture.config);
    const ns = { name: fixture.namespace.name, labels: fixture.namespace.labels };
    const first = admitPod('uid-1', fixture.pod, ns, config);
    const patched = applyPatch(structuredClone(fixture.pod), first.patch, true, false).newDocument;
    const second = admitPod('uid-2', patched, ns, config);
    expect(second.patch).toEqual([]);
    expect(second.response).toEqual({ uid: 'uid-2', allowed: true });
    if (first.decision.inject) expect(second.decision.reasons.map((r) => r.code)).toContain('AlreadyInjected');
  });
});
