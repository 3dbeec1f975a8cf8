import { PassThrough } from 'node:stream';
import { applyScript, defaultCaptureConfig, dryRunText, parseNatTable, restoreLine, splitRuleLine } from './core/capture-rules';
import { makeInitNetworkCommand } from './init-network';
import { type InitIo, MissingToolError } from './iptables';

const inet6 = {
  /** lo ::1 and a global address on eth0. */
  global: '00000000000000000000000000000001 01 80 10 80       lo\nfd000000000000000000000000000002 02 40 00 80     eth0\n',
  /** Only loopback and link-local. */
  local: '00000000000000000000000000000001 01 80 10 80       lo\nfe800000000000000000000000000002 02 40 20 80     eth0\n',
};

/** A fake nat table: applies iptables-restore scripts (-A -D -F -X and chain lines) and prints iptables-save. */
class FakeNat {
  private readonly chains = new Map<string, string[][]>(['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].map((c) => [c, []]));

  constructor(save = '') {
    const table = parseNatTable(save);
    for (const chain of table.chains) this.chains.set(chain, []);
    for (const words of table.rules) this.chains.get(words[1]!)!.push(words.slice(2));
  }

  restore(script: string): void {
    for (const line of script.split('\n')) {
      if (line.startsWith(':')) this.chains.set(line.slice(1).split(' ')[0]!, []);
      else if (line.startsWith('-')) {
        const [op, chain, ...spec] = splitRuleLine(line);
        const rules = this.chains.get(chain!);
        if (!rules) throw new Error(`no chain ${chain}`);
        if (op === '-A') rules.push(spec);
        if (op === '-D') rules.splice(rules.findIndex((r) => r.join(' ') === spec.join(' ')), 1);
        if (op === '-F') rules.length = 0;
        if (op === '-X') this.chains.delete(chain!);
      }
    }
  }

  save(): string {
    const builtin = (c: string) => ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].includes(c);
    const lines = ['*nat', ...[...this.chains.keys()].map((c) => `:${c} ${builtin(c) ? 'ACCEPT' : '-'} [0:0]`)];
    for (const [chain, rules] of this.chains) lines.push(...rules.map((r) => restoreLine(['-A', chain, ...r])));
    return [...lines, 'COMMIT', ''].join('\n');
  }
}

/**
 * A fake system: a FakeNat per tool family and backend (`iptables` is `iptables-nft`, as on
 * Debian), every call recorded, missing tools throw. `saved` seeds tables by name, e.g. `iptables-legacy`.
 */
function fakeSystem(opts: { inet6?: string; missing?: string[]; saved?: Record<string, string>; failRestore?: string; ignoreRestore?: boolean } = {}) {
  const calls: Array<{ file: string; args: readonly string[]; input?: string }> = [];
  const tables: Record<string, FakeNat> = {};
  for (const name of ['iptables-nft', 'iptables-legacy', 'ip6tables-nft', 'ip6tables-legacy']) tables[name] = new FakeNat(opts.saved?.[name]);
  const tableOf = (file: string) => {
    const name = file.replace(/-(save|restore)$/, '');
    return tables[/-(nft|legacy)$/.test(name) ? name : `${name}-nft`]!;
  };
  const io: InitIo = {
    async run(file, args, input) {
      calls.push({ file, args, input });
      if (opts.missing?.includes(file)) throw new MissingToolError(file);
      const table = tableOf(file);
      if (file.endsWith('-restore') && args[0] === '--noflush') {
        if (opts.failRestore) throw new Error(`${file} --noflush failed (exit 2): ${opts.failRestore}`);
        if (!opts.ignoreRestore) table.restore(input ?? '');
      }
      return { stdout: file.endsWith('-save') ? table.save() : '', stderr: '' };
    },
    readInet6: async () => opts.inet6,
  };
  /** The calls after backend detection (which runs each backend's full save without arguments). */
  const operations = () => calls.filter((c) => c.args.length > 0);
  return { io, calls, operations, tables };
}

async function runCommand(io: InitIo, args: string[]) {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await makeInitNetworkCommand(io).run(args, { stdout, stderr: new PassThrough(), stdin: new PassThrough() });
  return { code, out };
}

describe('skein init-network', () => {
  it('--dry-run prints the rules and changes nothing', async () => {
    const { io, calls } = fakeSystem({ inet6: inet6.global });
    const { code, out } = await runCommand(io, ['--dry-run', '--ipv6', 'off']);
    expect(code).toBe(0);
    expect(out).toBe(dryRunText(defaultCaptureConfig, ['ipv4']));
    expect(calls).toEqual([]);
  });

  it('applies the IPv4 script with one atomic iptables-restore --noflush and prints it', async () => {
    const { io, operations } = fakeSystem({ inet6: inet6.local });
    const { code, out } = await runCommand(io, ['--exclude-outbound-ports', '5432']);
    const script = applyScript({ ...defaultCaptureConfig, excludeOutboundPorts: [5432] }, 'ipv4', '');
    expect(code).toBe(0);
    expect(operations()).toEqual([
      { file: 'iptables-save', args: ['-t', 'nat'], input: undefined },
      { file: 'iptables-restore', args: ['--noflush', '--wait', '10'], input: script },
      { file: 'iptables-save', args: ['-t', 'nat'], input: undefined },
    ]);
    expect(out).toBe(`# applied with iptables-restore --noflush\n${script}`);
  });

  it('--ipv6 auto with a global IPv6 address also applies ip6tables and adds ::6 to lo', async () => {
    const { io, operations } = fakeSystem({ inet6: inet6.global });
    await runCommand(io, []);
    expect(operations().map((c) => [c.file, ...c.args].join(' '))).toEqual([
      'ip6tables-restore --version',
      'iptables-save -t nat',
      'iptables-restore --noflush --wait 10',
      'iptables-save -t nat',
      'ip6tables-save -t nat',
      'ip6tables-restore --noflush --wait 10',
      'ip6tables-save -t nat',
      'ip -6 addr add ::6/128 dev lo nodad',
    ]);
    expect(operations()[5]!.input).toBe(applyScript(defaultCaptureConfig, 'ipv6', ''));
  });

  it('--ipv6 auto without a global IPv6 address leaves ip6tables alone', async () => {
    const { io, operations } = fakeSystem({ inet6: inet6.local });
    await runCommand(io, ['--ipv6', 'auto']);
    expect(operations().some((c) => c.file.startsWith('ip6tables'))).toBe(false);
  });

  it.each([
    [{ inet6: inet6.global, missing: ['ip6tables-restore'] }, 'auto', /global IPv6 address but ip6tables-restore is missing.*--ipv6 off/],
    [{ inet6: inet6.local, missing: ['ip6tables-restore'] }, 'on', /--ipv6 on but ip6tables-restore is missing/],
    [{ inet6: undefined }, 'on', /IPv6 is disabled/],
  ])('refuses to leave IPv6 uncaptured silently (%j, --ipv6 %s)', async (opts, mode, message) => {
    const { io, calls } = fakeSystem(opts);
    await expect(runCommand(io, ['--ipv6', mode])).rejects.toThrow(message);
    expect(calls.some((c) => c.file.endsWith('-restore') && c.args[0] === '--noflush')).toBe(false);
  });

  it('a missing iptables is a clear error', async () => {
    const { io } = fakeSystem({ missing: ['iptables-save'] });
    await expect(runCommand(io, ['--ipv6', 'off'])).rejects.toThrow(/iptables-save not found on PATH/);
  });

  it('a rejected script fails with iptables\' message and the script', async () => {
    const { io } = fakeSystem({ failRestore: 'line 7: RULE_APPEND failed (No such file or directory)' });
    await expect(runCommand(io, ['--ipv6', 'off'])).rejects.toThrow(/RULE_APPEND failed[\s\S]*script was:\n\*nat\n:SKEIN_INBOUND/);
  });

  it('apply, apply again, cleanup: the same rules twice, then the table as it was', async () => {
    const app = '*nat\n:OUTPUT ACCEPT [0:0]\n:APP - [0:0]\n-A OUTPUT -p udp -j APP\nCOMMIT\n';
    const { io, tables } = fakeSystem({ inet6: inet6.local, saved: { 'iptables-nft': app } });
    const nat = tables['iptables-nft']!;
    const initial = nat.save();
    await runCommand(io, ['--exclude-outbound-ports', '5432']);
    const once = nat.save();
    expect(once).toContain('-A OUTPUT -p tcp -m comment --comment "skein: outbound TCP goes through the sidecar" -j SKEIN_OUTPUT');
    await runCommand(io, ['--exclude-outbound-ports', '5432']);
    expect(nat.save()).toBe(once);
    await runCommand(io, ['--cleanup']);
    expect(nat.save()).toBe(initial);
  });

  it('a restore that reports success without installing the rules is caught by reading them back', async () => {
    const { io } = fakeSystem({ inet6: inet6.local, ignoreRestore: true });
    await expect(runCommand(io, [])).rejects.toThrow(/iptables-restore succeeded but the rules are not in place: chain SKEIN_INBOUND is missing.*OUTPUT has 0 jumps to SKEIN_OUTPUT/);
  });

  it('--cleanup removes what it finds in both families and reports it', async () => {
    const saved = '*nat\n:OUTPUT ACCEPT [0:0]\n:SKEIN_OUTPUT - [0:0]\n-A OUTPUT -p tcp -j SKEIN_OUTPUT\nCOMMIT\n';
    const { io, calls } = fakeSystem({ inet6: inet6.local, saved: { 'iptables-nft': saved } });
    const { code, out } = await runCommand(io, ['--cleanup']);
    expect(code).toBe(0);
    const restores = calls.filter((c) => c.args[0] === '--noflush');
    expect(restores).toEqual([{ file: 'iptables-nft-restore', args: ['--noflush', '--wait', '10'], input: '*nat\n-D OUTPUT -p tcp -j SKEIN_OUTPUT\n-F SKEIN_OUTPUT\n-X SKEIN_OUTPUT\nCOMMIT\n' }]);
    expect(out).toMatch(/^# removed with iptables-nft-restore --noflush\n\*nat\n-D OUTPUT/);
  });

  it('--cleanup with nothing installed says so', async () => {
    const { io } = fakeSystem({ inet6: inet6.local });
    expect((await runCommand(io, ['--cleanup'])).out).toBe('no Skein capture rules found; nothing to remove\n');
  });

  describe('iptables backend (nft or legacy)', () => {
    const appRules = '*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p udp -j RETURN\nCOMMIT\n';
    const skeinRules = '*nat\n:OUTPUT ACCEPT [0:0]\n:SKEIN_OUTPUT - [0:0]\n-A OUTPUT -p tcp -j SKEIN_OUTPUT\nCOMMIT\n';
    const restoreTools = (calls: Array<{ file: string; args: readonly string[] }>) => calls.filter((c) => c.args[0] === '--noflush').map((c) => c.file);

    it.each([
      ['no rules anywhere: the default iptables', {}, 'iptables-restore'],
      ['rules only in legacy: legacy', { 'iptables-legacy': appRules }, 'iptables-legacy-restore'],
      ['rules only in nft: nft', { 'iptables-nft': appRules }, 'iptables-nft-restore'],
      ['rules in both, Skein in legacy: legacy', { 'iptables-nft': appRules, 'iptables-legacy': skeinRules }, 'iptables-legacy-restore'],
      ['rules in both, Skein in neither: the default', { 'iptables-nft': appRules, 'iptables-legacy': appRules }, 'iptables-restore'],
    ])('auto: %s', async (_name, saved, tool) => {
      const { io, calls } = fakeSystem({ inet6: inet6.local, saved });
      const { out } = await runCommand(io, []);
      expect(restoreTools(calls)).toEqual([tool]);
      expect(out).toMatch(new RegExp(`^# applied with ${tool} --noflush`));
    });

    it('the detected backend gets both families and holds the rules afterwards', async () => {
      const { io, calls, tables } = fakeSystem({ inet6: inet6.global, saved: { 'iptables-legacy': appRules } });
      await runCommand(io, []);
      expect(restoreTools(calls)).toEqual(['iptables-legacy-restore', 'ip6tables-legacy-restore']);
      expect(tables['iptables-legacy']!.save()).toContain(':SKEIN_OUTPUT');
      expect(tables['iptables-nft']!.save()).not.toContain('SKEIN');
    });

    it('an explicit backend skips detection', async () => {
      const { io, calls } = fakeSystem({ inet6: inet6.local, saved: { 'iptables-legacy': appRules } });
      await runCommand(io, ['--iptables-backend', 'nft']);
      expect(calls.filter((c) => c.args.length === 0)).toEqual([]);
      expect(restoreTools(calls)).toEqual(['iptables-nft-restore']);
    });

    it('without the nft/legacy variants installed, detection falls back to the default tools', async () => {
      const missing = ['nft', 'legacy'].flatMap((b) => [`iptables-${b}-save`, `ip6tables-${b}-save`]);
      const { io, calls } = fakeSystem({ inet6: inet6.local, missing });
      await runCommand(io, []);
      expect(restoreTools(calls)).toEqual(['iptables-restore']);
      await runCommand(io, ['--cleanup']);
      expect(restoreTools(calls)).toEqual(['iptables-restore', 'iptables-restore']);
    });

    it('--cleanup removes Skein rules from every backend that has them', async () => {
      const { io, calls, tables } = fakeSystem({ inet6: inet6.global, saved: { 'iptables-nft': skeinRules, 'iptables-legacy': skeinRules, 'ip6tables-legacy': skeinRules } });
      await runCommand(io, ['--cleanup']);
      expect(restoreTools(calls)).toEqual(['iptables-nft-restore', 'iptables-legacy-restore', 'ip6tables-legacy-restore']);
      for (const table of Object.values(tables)) expect(table.save()).not.toContain('SKEIN');
    });
  });
});
