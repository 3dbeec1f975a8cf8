import { PassThrough } from 'node:stream';
import { applyScript, defaultCaptureConfig, dryRunText, parseNatTable, restoreLine, splitRuleLine } from '../core/capture-rules';
import { makeInitNetworkCommand } from './command';
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

/** A fake system: a FakeNat per family, every call recorded, missing tools throw. */
function fakeSystem(opts: { inet6?: string; missing?: string[]; saved?: Record<string, string>; failRestore?: string; ignoreRestore?: boolean } = {}) {
  const calls: Array<{ file: string; args: readonly string[]; input?: string }> = [];
  const tables: Record<string, FakeNat> = { iptables: new FakeNat(opts.saved?.['iptables-save']), ip6tables: new FakeNat(opts.saved?.['ip6tables-save']) };
  const io: InitIo = {
    async run(file, args, input) {
      calls.push({ file, args, input });
      if (opts.missing?.includes(file)) throw new MissingToolError(file);
      const table = tables[file.replace(/-(save|restore)$/, '')];
      if (file.endsWith('-restore') && args[0] === '--noflush') {
        if (opts.failRestore) throw new Error(`${file} --noflush failed (exit 2): ${opts.failRestore}`);
        if (!opts.ignoreRestore) table!.restore(input ?? '');
      }
      return { stdout: file.endsWith('-save') ? table!.save() : '', stderr: '' };
    },
    readInet6: async () => opts.inet6,
  };
  return { io, calls, tables };
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
    const { io, calls } = fakeSystem({ inet6: inet6.local });
    const { code, out } = await runCommand(io, ['--exclude-outbound-ports', '5432']);
    const script = applyScript({ ...defaultCaptureConfig, excludeOutboundPorts: [5432] }, 'ipv4', '');
    expect(code).toBe(0);
    expect(calls).toEqual([
      { file: 'iptables-save', args: ['-t', 'nat'], input: undefined },
      { file: 'iptables-restore', args: ['--noflush', '--wait', '10'], input: script },
      { file: 'iptables-save', args: ['-t', 'nat'], input: undefined },
    ]);
    expect(out).toBe(`# applied with iptables-restore --noflush\n${script}`);
  });

  it('--ipv6 auto with a global IPv6 address also applies ip6tables and adds ::6 to lo', async () => {
    const { io, calls } = fakeSystem({ inet6: inet6.global });
    await runCommand(io, []);
    expect(calls.map((c) => [c.file, ...c.args].join(' '))).toEqual([
      'ip6tables-restore --version',
      'iptables-save -t nat',
      'iptables-restore --noflush --wait 10',
      'iptables-save -t nat',
      'ip6tables-save -t nat',
      'ip6tables-restore --noflush --wait 10',
      'ip6tables-save -t nat',
      'ip -6 addr add ::6/128 dev lo nodad',
    ]);
    expect(calls[5]!.input).toBe(applyScript(defaultCaptureConfig, 'ipv6', ''));
  });

  it('--ipv6 auto without a global IPv6 address leaves ip6tables alone', async () => {
    const { io, calls } = fakeSystem({ inet6: inet6.local });
    await runCommand(io, ['--ipv6', 'auto']);
    expect(calls.some((c) => c.file.startsWith('ip6tables'))).toBe(false);
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
    const { io, tables } = fakeSystem({ inet6: inet6.local, saved: { 'iptables-save': app } });
    const initial = tables.iptables!.save();
    await runCommand(io, ['--exclude-outbound-ports', '5432']);
    const once = tables.iptables!.save();
    expect(once).toContain('-A OUTPUT -p tcp -m comment --comment "skein: outbound TCP goes through the sidecar" -j SKEIN_OUTPUT');
    await runCommand(io, ['--exclude-outbound-ports', '5432']);
    expect(tables.iptables!.save()).toBe(once);
    await runCommand(io, ['--cleanup']);
    expect(tables.iptables!.save()).toBe(initial);
  });

  it('a restore that reports success without installing the rules is caught by reading them back', async () => {
    const { io } = fakeSystem({ inet6: inet6.local, ignoreRestore: true });
    await expect(runCommand(io, [])).rejects.toThrow(/iptables-restore succeeded but the rules are not in place: chain SKEIN_INBOUND is missing.*OUTPUT has 0 jumps to SKEIN_OUTPUT/);
  });

  it('--cleanup removes what it finds in both families and reports it', async () => {
    const saved = '*nat\n:OUTPUT ACCEPT [0:0]\n:SKEIN_OUTPUT - [0:0]\n-A OUTPUT -p tcp -j SKEIN_OUTPUT\nCOMMIT\n';
    const { io, calls } = fakeSystem({ inet6: inet6.local, saved: { 'iptables-save': saved, 'ip6tables-save': '' } });
    const { code, out } = await runCommand(io, ['--cleanup']);
    expect(code).toBe(0);
    const restores = calls.filter((c) => c.args[0] === '--noflush');
    expect(restores).toEqual([{ file: 'iptables-restore', args: ['--noflush', '--wait', '10'], input: '*nat\n-D OUTPUT -p tcp -j SKEIN_OUTPUT\n-F SKEIN_OUTPUT\n-X SKEIN_OUTPUT\nCOMMIT\n' }]);
    expect(out).toMatch(/^# removed with iptables-restore --noflush\n\*nat\n-D OUTPUT/);
  });

  it('--cleanup with nothing installed says so', async () => {
    const { io } = fakeSystem({ inet6: inet6.local });
    expect((await runCommand(io, ['--cleanup'])).out).toBe('no Skein capture rules found; nothing to remove\n');
  });
});
