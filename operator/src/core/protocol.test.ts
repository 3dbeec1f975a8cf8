import { isHttpProtocol, portProtocol } from './protocol';

describe('portProtocol', () => {
  it.each([
    [{ name: 'http' }, 'HTTP'],
    [{ name: 'http-web' }, 'HTTP'],
    [{ name: 'grpc-api' }, 'GRPC'],
    [{ name: 'grpc-web-ui' }, 'GRPC_WEB'],
    [{ name: 'http2' }, 'HTTP2'],
    [{ name: 'tcp-db' }, 'TCP'],
    [{ name: 'mongo' }, 'MONGO'],
    [{ name: 'web' }, 'TCP'],
    [{}, 'TCP'],
    [{ name: 'tcp', appProtocol: 'http' }, 'HTTP'],
    [{ name: 'http', appProtocol: 'kubernetes.io/h2c' }, 'HTTP2'],
    [{ name: 'http', protocol: 'UDP' }, 'UDP'],
    [{ name: 'HTTP-Upper' }, 'HTTP'],
  ])('%j → %s', (port, protocol) => expect(portProtocol(port)).toBe(protocol));

  it('knows which are HTTP', () => {
    expect(['HTTP', 'GRPC', 'TCP', 'TLS'].map((p) => isHttpProtocol(p as never))).toEqual([true, true, false, false]);
  });
});
