import path from 'node:path';
import { proxyConfigCommand, shellQuote, sidecarNode, skeinInvocation } from './commands';
import { demoTopology, sidecarEnv } from './topology';

describe('demo commands', () => {
  it.each([
    ['/tmp/skein-demo-x/config', '/tmp/skein-demo-x/config'],
    ['sidecar~127.0.10.1~frontend-v1.default~default.svc.cluster.local', "'sidecar~127.0.10.1~frontend-v1.default~default.svc.cluster.local'"],
    ['{"A":"1=b:2"}', `'{"A":"1=b:2"}'`],
    ["it's", `'it'\\''s'`],
    ['a b', "'a b'"],
  ])('quotes %j for the shell', (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  it('calls the CLI with npx in the repository, by path elsewhere', () => {
    const main = '/src/skein/dist/cli/src/main.js';
    expect(skeinInvocation('/src/skein', main)).toBe('npx skein');
    expect(skeinInvocation('/src/skein/', main)).toBe('npx skein');
    expect(skeinInvocation('/home/me', main)).toBe('node /src/skein/dist/cli/src/main.js');
    expect(skeinInvocation('/x', '/my dir/dist/cli/src/main.js')).toBe(`node '${path.join('/my dir', 'dist/cli/src/main.js')}'`);
  });

  it('prints proxy-config with the node id and the metadata the sidecar sends', () => {
    let port = 30000;
    const t = demoTopology(() => port++);
    const frontend = t.workloads[0]!;
    const node = sidecarNode({ ...sidecarEnv(t, frontend, '127.0.0.1:15012', '/ca/root.pem'), SKEIN_JOIN_TOKEN: 'secret' });
    expect(node).toEqual({
      id: 'sidecar~127.0.10.1~frontend-v1.default~default.svc.cluster.local',
      metadata: { SKEIN_OUTBOUND_PORTS: `${frontend.outbound!.port}=reviews:9080`, SKEIN_INBOUND_PORTS: `${frontend.inboundPort}=${frontend.appPort}` },
    });
    expect(proxyConfigCommand('npx skein', '/tmp/d/config', node)).toBe(
      `npx skein proxy-config --config-dir /tmp/d/config --node 'sidecar~127.0.10.1~frontend-v1.default~default.svc.cluster.local' --metadata '{"SKEIN_OUTBOUND_PORTS":"${frontend.outbound!.port}=reviews:9080","SKEIN_INBOUND_PORTS":"${frontend.inboundPort}=${frontend.appPort}"}'`,
    );
  });
});
