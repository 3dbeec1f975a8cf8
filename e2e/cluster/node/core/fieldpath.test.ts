import { fieldValue, formatMap, goQuote, resourceValue } from './fieldpath';
import { parseQuantity } from './quantity';
import { type Pod } from './types';

const pod: Pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web', 'skein.dev/rev': 'a"b' }, annotations: { note: 'x' } },
  spec: { nodeName: 'node-a', serviceAccountName: 'web-sa', containers: [] },
};
const runtime = { podIPs: ['10.244.0.7'], hostIPs: ['10.244.0.1'] };

describe('downward API field paths', () => {
  it.each([
    ['metadata.name', 'web-1'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', 'u-1'],
    ["metadata.labels['app']", 'web'],
    ["metadata.labels['missing']", ''],
    ["metadata.annotations['note']", 'x'],
    ['spec.nodeName', 'node-a'],
    ['spec.serviceAccountName', 'web-sa'],
    ['status.podIP', '10.244.0.7'],
    ['status.podIPs', '10.244.0.7'],
    ['status.hostIP', '10.244.0.1'],
    ['status.hostIPs', '10.244.0.1'],
  ])('%s', (path, expected) => {
    expect(fieldValue(pod, path, runtime)).toBe(expected);
  });

  it('whole label and annotation maps only in volumes, as sorted key="value" lines', () => {
    expect(fieldValue(pod, 'metadata.labels', runtime, true)).toBe('app="web"\nskein.dev/rev="a\\"b"');
    expect(() => fieldValue(pod, 'metadata.labels', runtime)).toThrow('unsupported fieldPath "metadata.labels" for an environment variable');
  });

  it('an unknown path is a clear error', () => {
    expect(() => fieldValue(pod, 'spec.hostname', runtime, true)).toThrow('unsupported fieldPath "spec.hostname"');
  });

  it('formats maps like Go %q, including escapes', () => {
    expect(formatMap({})).toBe('');
    expect(formatMap({ b: '2', a: 'line\nbreak\ttab' })).toBe('a="line\\nbreak\\ttab"\nb="2"');
    expect(goQuote('é ✓ \u0000 \u007f \\')).toBe('"é ✓ \\x00 \\x7f \\\\"');
  });
});

describe('resource quantities and resourceFieldRef', () => {
  it.each([
    ['100m', 0.1], ['1', 1], ['1.5', 1.5], ['128Mi', 128 * 2 ** 20], ['1G', 1e9], ['1e3', 1000], ['2Ki', 2048], ['.5', 0.5],
  ])('%s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value);
  });

  it('rejects what is not a quantity', () => {
    expect(() => parseQuantity('12 apples')).toThrow('"12 apples" is not a Kubernetes quantity');
  });

  const container = { name: 'c', resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { memory: '32Mi' } } };
  const allocatable = { cpu: 2, memory: 8 * 2 ** 30, ephemeralStorage: 10 * 2 ** 30 };
  it.each([
    ['limits.cpu', undefined, '1'],
    ['limits.cpu', '1m', '250'],
    ['limits.memory', '1Mi', '64'],
    ['requests.memory', undefined, String(32 * 2 ** 20)],
    ['requests.cpu', undefined, '0'],
    ['limits.ephemeral-storage', '1Gi', '10'],
  ])('%s / %s', (resource, divisor, expected) => {
    expect(resourceValue(container, resource, divisor, allocatable)).toBe(expected);
  });

  it('an unset limit is the node allocatable', () => {
    expect(resourceValue({ name: 'c' }, 'limits.cpu', undefined, allocatable)).toBe('2');
  });

  it('rejects unknown resources', () => {
    expect(() => resourceValue(container, 'limits.gpu', undefined, allocatable)).toThrow('unsupported resource "limits.gpu"');
  });
});
