import { lookupImage, normalizeImage, SkeinImage } from './images';

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['skein-e2e/echo', 'docker.io/skein-e2e/echo:latest'],
    ['ghcr.io/skein-mesh/skein:0.1.0', 'ghcr.io/skein-mesh/skein:0.1.0'],
    ['localhost:5000/app:v2', 'localhost:5000/app:v2'],
    ['registry.local:5000/app', 'registry.local:5000/app:latest'],
  ])('%s → %s', (image, reference) => {
    expect(normalizeImage(image).reference).toBe(reference);
  });

  it('rejects a reference with spaces', () => {
    expect(() => normalizeImage('bad image')).toThrow('invalid image reference "bad image"');
  });
});

describe('the image table', () => {
  const everythingBuilt = () => true;
  it('the Skein image runs the CLI the way the Dockerfile does', () => {
    const r = lookupImage(SkeinImage, undefined, everythingBuilt);
    expect(r).toMatchObject({ found: true, config: { entrypoint: ['node', '/opt/skein/dist/cli/src/main.js'], cmd: ['help'], user: '1337:1337', workingDir: '/opt/skein', env: { NODE_ENV: 'production' } } });
  });

  it('host-tool images accept any tag; sample apps only the tags that exist', () => {
    expect(lookupImage('busybox:1.37', undefined, everythingBuilt).found).toBe(true);
    expect(lookupImage('skein-e2e/echo', undefined, everythingBuilt).found).toBe(true);
    expect(lookupImage('skein-e2e/echo:v9', undefined, everythingBuilt).found).toBe(false);
  });

  it('an unknown image fails like a pull, naming what the node has', () => {
    const r = lookupImage('example.com/nope:1', undefined, everythingBuilt);
    expect(r).toMatchObject({ found: false, reference: 'example.com/nope:1' });
    expect(!r.found && r.message).toMatch(/failed to pull and unpack image "example.com\/nope:1": not found \(the simulated node has: .*ghcr.io\/skein-mesh\/skein/);
  });

  it('a Skein tag other than this build is not found (an install with a wrong tag fails as it would)', () => {
    expect(lookupImage('ghcr.io/skein-mesh/skein:9.9.9', undefined, everythingBuilt).found).toBe(false);
  });

  it('an image whose program is not built fails with a hint', () => {
    const r = lookupImage(SkeinImage, undefined, () => false);
    expect(!r.found && r.message).toMatch(/dist\/cli\/src\/main.js does not exist \(run `npm run build` first\)/);
  });
});
