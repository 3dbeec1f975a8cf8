/** XdsClient options: bad settings fail at construction with a clear error (no socket is opened). */
import { NodeConfigError } from './core/node';
import { XdsClient, XdsClientConfigError } from './client';

const node = { podName: 'productpage-1', namespace: 'default', podIp: '10.0.0.7' };
const onConfig = () => undefined;

describe('XdsClient options', () => {
  it.each([
    ['an address without a port', { address: 'skein-controlplane' }, XdsClientConfigError, /control plane address "skein-controlplane" must be host:port/],
    ['a port out of range', { address: 'cp:99999' }, XdsClientConfigError, /must be host:port/],
    ['a URL instead of an address', { address: 'https://cp:15012' }, XdsClientConfigError, /must be host:port/],
    ['a trust bundle that is not PEM', { trustBundlePem: 'not a cert' }, XdsClientConfigError, /trustBundlePem holds no PEM certificate/],
    ['a zero initial fetch timeout', { initialFetchTimeoutMs: 0 }, XdsClientConfigError, /initialFetchTimeoutMs must be greater than 0/],
    ['a bad pod IP', { node: { ...node, podIp: 'x' } }, NodeConfigError, /pod IP "x" is not an IP address/],
  ])('refuses %s', (_what, patch, errorClass, message) => {
    const make = () => new XdsClient({ address: 'cp:15012', node, onConfig, ...patch });
    expect(make).toThrow(errorClass);
    expect(make).toThrow(message);
  });

  it('accepts host:port and [IPv6]:port; reports its state before start', () => {
    expect(() => new XdsClient({ address: '[fd00::1]:15012', node, onConfig })).not.toThrow();
    const client = new XdsClient({ address: 'skein-controlplane.skein-system.svc:15012', node, onConfig });
    expect(client.status()).toMatchObject({ connected: false, streams: 0, lastAccepted: {} });
    expect(client.config).toBeUndefined();
  });
});
