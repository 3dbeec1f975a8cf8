/** Every kind of bad input gets the exact field path and reason (rows in testdata/rejections.ts). */
import { type FieldError, validateResource } from './index';
import { authorizationPolicy, destinationRule, envelope, peerAuthentication, virtualService, vsWithHttpRule } from './testdata/rejections';

describe.each([
  ['envelope', envelope],
  ['VirtualService', virtualService],
  ['DestinationRule', destinationRule],
  ['PeerAuthentication', peerAuthentication],
  ['AuthorizationPolicy', authorizationPolicy],
])('%s rejections', (_kind, rows) => {
  it.each(rows)('%s', (_name, resource, path, message) => {
    const result = validateResource(resource);
    expect(result.ok).toBe(false);
    const errors: FieldError[] = result.ok ? [] : result.errors;
    const atPath = errors.filter((e) => e.path === path);
    if (atPath.length === 0) throw new Error(`no error at ${JSON.stringify(path)}; got ${JSON.stringify(errors)}`);
    expect(atPath.map((e) => e.message)).toContainEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    // One bad thing gives one error: nothing else is blamed.
    expect(errors).toHaveLength(1);
  });
});

describe('several problems', () => {
  it('are all reported, in document order', () => {
    const result = validateResource(vsWithHttpRule({ timeout: 'soon', corsPolicy: {}, route: [{ destination: { host: 'reviews' }, weight: 101 }] }));
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual(['spec.http[0].route[0].weight', 'spec.http[0].timeout', 'spec.http[0].corsPolicy']);
  });

  it('leave the input untouched', () => {
    const input = vsWithHttpRule({ timeout: 'soon', mirror: null });
    const before = JSON.stringify(input);
    validateResource(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});
