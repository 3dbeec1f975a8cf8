import { type KubeObject } from './json';
import { labelSelectorMatcher, mapSelectorMatcher, parseFieldSelector, parseLabelSelector } from './selectors';

describe('label selectors (string form)', () => {
  const labels = { app: 'web', tier: 'front', track: 'stable' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=web,tier=back', false],
    ['app in (web,api)', true],
    ['app notin (web, api)', false],
    ['missing notin (x)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    [' app = web , track in ( stable ) ', true],
  ])('%j matches the labels: %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it.each(['app in (web', 'app=web,,', '=web', 'app in (a b)'])('refuses %j with a 400', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(expect.objectContaining({ code: 400 }));
  });
});

describe('LabelSelector objects and Service selectors', () => {
  it.each([
    [{}, {}, true],
    [{ matchLabels: { a: '1' } }, { a: '1', b: '2' }, true],
    [{ matchLabels: { a: '1' } }, { a: '2' }, false],
    [{ matchExpressions: [{ key: 'skein.dev/inject', operator: 'In', values: ['enabled'] }] }, { 'skein.dev/inject': 'enabled' }, true],
    [{ matchExpressions: [{ key: 'skein.dev/inject', operator: 'NotIn', values: ['false'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] }, { 'kubernetes.io/metadata.name': 'kube-system' }, false],
    [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, { x: '' }, true],
    [{ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, { x: '' }, false],
  ])('%j on %j: %s', (selector, labels, expected) => {
    expect(labelSelectorMatcher(selector)(labels)).toBe(expected);
  });

  it('selects nothing with an empty Service selector', () => {
    expect(mapSelectorMatcher({})({ a: '1' })).toBe(false);
    expect(mapSelectorMatcher({ a: '1' })({ a: '1', b: '2' })).toBe(true);
  });
});

describe('field selectors', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'node-a' }, status: { phase: 'Running' } } as KubeObject;
  const supported = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'];
  it.each([
    ['spec.nodeName=node-a', true],
    ['spec.nodeName==node-a', true],
    ['spec.nodeName!=node-a', false],
    ['spec.nodeName=', false],
    ['metadata.name=p,status.phase=Running', true],
  ])('%j: %s', (selector, expected) => {
    expect(parseFieldSelector(selector, supported)(pod)).toBe(expected);
  });

  it('matches unscheduled pods with spec.nodeName= (what the scheduler watches)', () => {
    expect(parseFieldSelector('spec.nodeName=', supported)({ ...pod, spec: {} })).toBe(true);
  });

  it('refuses fields the kind does not support, as the server does', () => {
    expect(() => parseFieldSelector('spec.foo=x', supported)).toThrow('field label not supported: spec.foo');
  });
});
