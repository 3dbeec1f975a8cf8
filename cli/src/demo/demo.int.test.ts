/**
 * `skein demo --duration 5s` end to end (the built CLI, `npm run build` first): a CA, the control
 * plane, four sidecars in xDS mode and three services on loopback. It must print traffic for every
 * route with the caller's SPIFFE id, exit 0, and leave no process behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const main = path.resolve(__dirname, '../../../dist/cli/src/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  pid: number;
}

function runDemo(args: string[], timeoutMs: number, interruptWhen?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: path.resolve(__dirname, '../../..') });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (interruptWhen && !interrupted && interruptWhen.test(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, pid: child.pid! });
    });
  });
}

/** Processes whose parent is `pid` (from /proc), i.e. what the demo left running. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

function processesMentioning(marker: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The control plane names the directory in its arguments, the sidecars in their environment.
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker) || fs.readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker)) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

describe('skein demo', () => {
  jest.setTimeout(120_000);

  it('runs a local mesh for 5 s, shows every route with identities, exits 0 and leaves nothing behind', async () => {
    expect(fs.existsSync(main)).toBe(true);
    const r = await runDemo(['--duration', '5s', '--keep'], 110_000);
    const kept = /kept (\S+)/.exec(r.stdout)?.[1];
    try {
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const totals = r.stdout.slice(r.stdout.indexOf('totals over'));
      const row = (route: string, version: string, peer: string): RegExp => new RegExp(`${route}\\s+${version}\\s+[\\d.]+\\s+[1-9]\\d*\\s+0\\s+${peer.replace(/[/.]/g, '\\$&')}`);
      expect(totals).toMatch(row('load -> frontend', 'v1', '-'));
      expect(totals).toMatch(row('frontend -> reviews', 'v1', 'spiffe://cluster.local/ns/default/sa/frontend'));
      expect(totals).toMatch(row('frontend -> reviews', 'v2', 'spiffe://cluster.local/ns/default/sa/frontend'));
      expect(totals).toMatch(row('reviews -> ratings', 'v1', 'spiffe://cluster.local/ns/default/sa/reviews'));
      expect(r.stdout).toMatch(/admin http:\/\/127\.0\.0\.1:\d+\/config_dump/);
      expect(r.stdout).toMatch(/^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m);
      // Not a terminal: plain lines, no cursor movement.
      expect(r.stdout).not.toContain('\x1b[');
      // Every printed command runs as printed (from the repository: `npx skein`), and proxy-config with
      // the metadata it prints gives the sidecar's own explicit listeners.
      const command = /^\s+(npx skein proxy-config --config-dir \S+ --node 'sidecar~127\.0\.10\.1~frontend-v1\.default~default\.svc\.cluster\.local' --metadata '(\{.*\})')$/m.exec(r.stdout);
      expect(command).not.toBeNull();
      const ports = JSON.parse(command![2]!) as { SKEIN_OUTBOUND_PORTS: string; SKEIN_INBOUND_PORTS: string };
      const dump = execFileSync('sh', ['-c', command![1]!], { cwd: path.resolve(__dirname, '../../..'), encoding: 'utf8', timeout: 60_000 });
      expect(dump).toContain(`"name": "outbound_127.0.0.1_${ports.SKEIN_OUTBOUND_PORTS.split('=')[0]}"`);
      expect(dump).toContain(`"name": "inbound_127.0.10.1_${ports.SKEIN_INBOUND_PORTS.split('=')[0]}"`);
      expect(childrenOf(r.pid)).toEqual([]);
      // The control plane and sidecars were detached: none may survive the demo.
      expect(kept).toBeDefined();
      expect(processesMentioning(kept!)).toEqual([]);
    } finally {
      if (kept) fs.rmSync(kept, { recursive: true, force: true });
    }
  });

  it('Ctrl-C during start-up stops what was started and exits cleanly', async () => {
    const r = await runDemo(['--keep'], 60_000, /working directory/);
    const kept = /kept (\S+)/.exec(r.stdout)?.[1];
    try {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('stopping');
      expect(kept).toBeDefined();
      expect(childrenOf(r.pid)).toEqual([]);
      expect(processesMentioning(kept!)).toEqual([]);
    } finally {
      if (kept) fs.rmSync(kept, { recursive: true, force: true });
    }
  });

  it.each([
    [['--duration', 'soon'], /--duration: expected a duration like 5s/],
    [['--duration', '10ms'], /--duration: must be between 1s and 24h/],
    [['--concurrency', '0'], /--concurrency: expected 1-64/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j with a usage error (exit 2) before starting anything', async (args, message) => {
    const r = await runDemo(args, 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).not.toMatch(/working directory/);
  });
});
