import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomically } from './volume-writer';

describe('atomic volume writer (kubelet AtomicWriter layout)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-volume-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const now = new Date('2026-01-01T10:00:00Z');

  it('writes files behind ..data and per-entry symlinks, with their modes', () => {
    expect(writeAtomically(join(dir, 'v'), [{ path: 'token', data: Buffer.from('t1'), mode: 0o600 }, { path: 'certs/ca.crt', data: Buffer.from('ca'), mode: 0o644 }], now)).toBe(true);
    const v = join(dir, 'v');
    expect(readlinkSync(join(v, '..data'))).toMatch(/^\.\.2026_01_01_10_00_00\./);
    expect(readlinkSync(join(v, 'token'))).toBe('..data/token');
    expect(readlinkSync(join(v, 'certs'))).toBe('..data/certs');
    expect(readFileSync(join(v, 'certs', 'ca.crt'), 'utf8')).toBe('ca');
    expect(statSync(join(v, 'token')).mode & 0o777).toBe(0o600);
    expect(statSync(v).mode & 0o777).toBe(0o777);
  });

  it('replaces the set in one switch, drops what is gone, and skips unchanged content', () => {
    const v = join(dir, 'v');
    writeAtomically(v, [{ path: 'a', data: Buffer.from('1'), mode: 0o644 }, { path: 'b', data: Buffer.from('2'), mode: 0o644 }], now);
    const first = readlinkSync(join(v, '..data'));
    expect(writeAtomically(v, [{ path: 'a', data: Buffer.from('1'), mode: 0o644 }, { path: 'b', data: Buffer.from('2'), mode: 0o644 }], now)).toBe(false);
    expect(writeAtomically(v, [{ path: 'a', data: Buffer.from('3'), mode: 0o644 }], now)).toBe(true);
    expect(readlinkSync(join(v, '..data'))).not.toBe(first);
    expect(existsSync(join(v, first))).toBe(false);
    expect(readFileSync(join(v, 'a'), 'utf8')).toBe('3');
    expect(() => lstatSync(join(v, 'b'))).toThrow();
    expect(readdirSync(v).filter((n) => n.startsWith('..2026')).length).toBe(1);
  });
});
