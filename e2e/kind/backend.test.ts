import { appDockerfile, serverMinor } from './backend';

describe('the kind backend', () => {
  it('builds a sample app image FROM the Skein image, the compiled apps where every backend runs them, as UID 1000', () => {
    expect(appDockerfile('ghcr.io/skein-mesh/skein:0.1.0', 'echo').split('\n')).toEqual([
      'FROM ghcr.io/skein-mesh/skein:0.1.0',
      'COPY . /opt/skein/e2e/apps/build/',
      'USER 1000:1000',
      'ENTRYPOINT ["node", "/opt/skein/e2e/apps/build/echo.js"]',
      'CMD []',
      '',
    ]);
  });

  it.each([
    ['{"serverVersion":{"major":"1","minor":"31"}}', 31],
    ['{"serverVersion":{"major":"1","minor":"28+"}}', 28],
  ])('reads the server minor version from kubectl version -o json: %s → %d', (json, minor) => {
    expect(serverMinor(json)).toBe(minor);
  });

  it('says what it got when kubectl version has no server version', () => {
    expect(() => serverMinor('{"clientVersion":{}}')).toThrow('kubectl version: no server minor version in {"clientVersion":{}}');
  });
});
