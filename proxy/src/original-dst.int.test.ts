// The SO_ORIGINAL_DST addon on loopback, without iptables: what a non-redirected connection and
// bad input give. Redirected connections are proved in e2e/capture (network namespaces, root).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type * as OriginalDst from './original-dst';
import { addonRelativePath, findAddon, originalDestination } from './original-dst';

const root = path.resolve(__dirname, '..', '..');
let addon: { getOriginalDst(fd: unknown): unknown };
const sockets: net.Socket[] = [];
let server: net.Server;

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-addon.js')], { stdio: 'ignore', timeout: 120_000 });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon is loaded with require
  addon = require(path.join(root, addonRelativePath)) as typeof addon;
  server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}, 130_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function acceptedPair(): Promise<{ client: net.Socket; accepted: net.Socket }> {
  const before = sockets.length;
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  sockets.push(client);
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  for (let i = 0; i < 100 && sockets.length === before + 1; i++) await new Promise((r) => setImmediate(r));
  return { client, accepted: sockets[sockets.length - 1]! };
}

describe('originalDestination', () => {
  it('finds the addon from the sources and from dist/ alike', () => {
    expect(findAddon(__dirname)).toBe(path.join(root, addonRelativePath));
    expect(findAddon(path.join(root, 'dist', 'proxy', 'src'))).toBe(path.join(root, addonRelativePath));
    expect(findAddon(fs.mkdtempSync(path.join(os.tmpdir(), 'skein-no-addon-')))).toBeUndefined();
  });

  it('a connection that was not redirected has no original destination', async () => {
    const { accepted } = await acceptedPair();
    expect(originalDestination(accepted)).toBeUndefined();
  });

  it('without the built addon it says how to build it', async () => {
    const { accepted } = await acceptedPair();
    const exists = jest.spyOn(fs, 'existsSync').mockReturnValue(false);
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh copy of the module, without its cached addon
        const fresh = require('./original-dst') as typeof OriginalDst;
        expect(() => fresh.originalDestination(accepted)).toThrow(/skein_orig_dst\.node\) was not found .*: run npm run build/);
      });
    } finally {
      exists.mockRestore();
    }
  });

  it('a destroyed socket is a clear error, not a crash', async () => {
    const { accepted } = await acceptedPair();
    accepted.destroy();
    expect(() => originalDestination(accepted)).toThrow(/no file descriptor/);
  });

  it.each([
    ['a file, not a socket', () => fs.openSync(__filename, 'r'), 'ENOTSOCK'],
    ['a closed descriptor', () => { const fd = fs.openSync(__filename, 'r'); fs.closeSync(fd); return fd; }, 'EBADF'],
  ])('the addon names the errno for %s', (_what, makeFd, code) => {
    const fd = makeFd();
    try {
      expect(() => addon.getOriginalDst(fd)).toThrow(expect.objectContaining({ code }));
    } finally {
      try { fs.closeSync(fd); } catch { /* already closed */ }
    }
  });

  it.each([[undefined], ['3'], [-1], [1.5], [NaN], [2 ** 40]])('the addon rejects fd %j as an invalid argument', (fd) => {
    expect(() => addon.getOriginalDst(fd)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/fd must be a non-negative integer/) }));
  });
});
