// A running CA follows its directory: a new bundle, a new signer; a broken directory is refused and
// the current CA keeps signing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CaChange, LiveCa } from '../service/live-ca';
import { addTrustedRoots, CaFiles, initCaDir, switchSigner } from './ca-dir';
import { watchCaDir } from './ca-dir-watch';

describe('watchCaDir', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-ca-watch-'));
  const dir = path.join(tmp, 'ca');
  const next = path.join(tmp, 'next');
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('adopts a grown bundle, then a new signer; refuses a broken directory and another trust domain', async () => {
    const live = new LiveCa(await initCaDir(dir));
    await initCaDir(next);
    const firstSigner = live.ca.authority.chain[0]!;
    const changes: CaChange[] = [];
    live.onChange((_ca, change) => changes.push(change));
    const logs: string[] = [];
    const watch = watchCaDir(dir, live, { intervalMs: 3_600_000, log: (l) => logs.push(l) });
    try {
      await watch.check();
      expect(changes).toEqual([]); // nothing changed yet

      const good = fs.readFileSync(path.join(dir, CaFiles.rootCert), 'utf8');
      fs.writeFileSync(path.join(dir, CaFiles.rootCert), 'half a file');
      await watch.check();
      expect(logs.pop()).toMatch(/^ca: not reloading .*, the current CA keeps signing: .*root-cert: no PEM certificate found/);
      expect(changes).toEqual([]);
      fs.writeFileSync(path.join(dir, CaFiles.rootCert), good);

      await addTrustedRoots(dir, fs.readFileSync(path.join(next, CaFiles.rootCert), 'utf8'));
      await watch.check();
      expect(changes.pop()).toEqual({ signer: false, bundle: true });
      expect(live.anchors().roots).toHaveLength(2);
      expect(logs.pop()).toMatch(/^ca: reloaded .*: same signer, trust bundle 2 roots \(changed\)$/);

      await switchSigner(dir, next);
      await watch.check();
      expect(changes.pop()).toEqual({ signer: true, bundle: false });
      expect(live.issuer().authority.chain[0]!.equal(firstSigner)).toBe(false);
      // The former signer is remembered: certificates it issued still renew while its root is trusted.
      expect(live.anchors().intermediates.some((c) => c.equal(firstSigner))).toBe(true);

      fs.writeFileSync(path.join(dir, CaFiles.config), JSON.stringify({ trustDomain: 'other.org' }));
      await watch.check();
      expect(logs.pop()).toMatch(/not reloading .*trust domain other.org, this control plane cluster.local/);
      expect(live.trustDomain).toBe('cluster.local');
    } finally {
      watch.stop();
    }
  });
});
