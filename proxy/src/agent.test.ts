import { readProxyEnv } from './env';
import { AgentConfigError, explicitListenersOnly, ProxyAgent } from './agent';
import type { ProxyConfig } from './config/model';

const listener = (name: string, kind: ProxyConfig['listeners'][number]['kind'], destinationPort?: number): ProxyConfig['listeners'][number] =>
  ({ name, address: '0.0.0.0', port: 1, kind, filterChains: [], ...(destinationPort !== undefined ? { destinationPort } : {}) }) as ProxyConfig['listeners'][number];

describe('ProxyAgent', () => {
  it('local mode keeps only explicit listeners (no capture reaches :15001/:15006)', () => {
    const config = {
      version: '1',
      listeners: [listener('virtualOutbound', 'outbound-transparent'), listener('virtualInbound', 'inbound'), listener('inbound_127.0.10.2_15106', 'inbound', 15106), listener('outbound_127.0.0.1_15101', 'outbound-explicit', 9080)],
    } as unknown as ProxyConfig;
    expect(explicitListenersOnly(config).listeners.map((l) => l.name)).toEqual(['inbound_127.0.10.2_15106', 'outbound_127.0.0.1_15101']);
    expect(config.listeners).toHaveLength(4); // the received snapshot is not changed
  });

  it('refuses to start without a control plane address', () => {
    expect(() => new ProxyAgent({ env: readProxyEnv({}), log: () => undefined })).toThrow(/SKEIN_XDS_ADDRESS is not set/);
  });

  it.each([
    ['a missing trust bundle', () => {
      throw new Error('ENOENT: no such file');
    }, /cannot read the trust bundle \/roots.pem \(SKEIN_ROOT_CERT_PATH\): ENOENT/],
    ['a trust bundle without a certificate', () => 'hello', /\/roots.pem \(SKEIN_ROOT_CERT_PATH\) holds no PEM certificate/],
  ])('refuses %s before binding anything', async (_name, readFile, message) => {
    const agent = new ProxyAgent({ env: readProxyEnv({ SKEIN_XDS_ADDRESS: '127.0.0.1:1', SKEIN_ROOT_CERT_PATH: '/roots.pem' }), log: () => undefined, readFile, ports: { admin: 0, health: 0, agent: 0 } });
    await expect(agent.start()).rejects.toThrow(AgentConfigError);
    await expect(agent.start()).rejects.toThrow(message);
    expect(() => agent.port('health')).toThrow(/not bound/);
    await agent.close();
  });
});
