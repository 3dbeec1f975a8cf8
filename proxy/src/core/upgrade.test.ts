import { DefaultUpgradeTypes, switchesProtocols, upgradeDecision } from './upgrade';

describe('upgradeDecision', () => {
  it.each([
    ['GET', undefined, undefined, { kind: 'none' }],
    ['GET', 'keep-alive', 'websocket', { kind: 'none' }], // Upgrade without the connection option: not an upgrade
    ['GET', 'Upgrade', undefined, { kind: 'none' }],
    ['GET', 'Upgrade', 'websocket', { kind: 'tunnel', type: 'websocket' }],
    ['GET', 'keep-alive, UPGRADE', 'WebSocket', { kind: 'tunnel', type: 'websocket' }],
    ['GET', 'Upgrade, HTTP2-Settings', 'h2c', { kind: 'strip' }],
    ['GET', 'Upgrade', 'foo', { kind: 'refuse', type: 'foo' }],
    ['GET', 'Upgrade', 'websocket, h2c', { kind: 'refuse', type: 'websocket,h2c' }],
    ['CONNECT', undefined, undefined, { kind: 'refuse', type: 'CONNECT' }],
  ] as const)('%s with Connection %s and Upgrade %s → %o', (method, connection, upgrade, expected) => {
    expect(upgradeDecision(method, connection, upgrade, DefaultUpgradeTypes)).toEqual(expected);
  });

  it('tunnels what is configured, CONNECT included', () => {
    expect(upgradeDecision('CONNECT', undefined, undefined, ['CONNECT'])).toEqual({ kind: 'tunnel', type: 'CONNECT' });
    expect(upgradeDecision('GET', 'upgrade', 'foo', ['websocket', 'Foo'])).toEqual({ kind: 'tunnel', type: 'Foo' });
    expect(upgradeDecision('GET', 'upgrade', 'websocket', [])).toEqual({ kind: 'refuse', type: 'websocket' });
  });
});

describe('switchesProtocols', () => {
  it.each([
    ['GET', 101, true],
    ['GET', 200, false],
    ['GET', 426, false],
    ['CONNECT', 200, true],
    ['CONNECT', 204, true],
    ['CONNECT', 101, false],
    ['CONNECT', 407, false],
  ] as const)('%s answered %d: %s', (method, status, yes) => {
    expect(switchesProtocols(method, status)).toBe(yes);
  });
});
