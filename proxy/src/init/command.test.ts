import { PassThrough } from 'node:stream';
import { applyScript, defaultCaptureConfig, dryRunText } from '../core/capture-rules';
import { makeInitNetworkCommand } from './command';
import { type InitIo, MissingToolError } from './iptables';

const inet6 = {
  /** lo ::1 and a global address on eth0. */
  global: '00000000000000000000000000000001 01 80 10 80       lo\nfd000000000000000000000000000002 02 40 00 80     eth0\n',
  /** Only loopback and link-local. */
  local: '00000000000000000000000000000001 01 80 10 80       lo\nfe800000000000000000000000000002 02 40 20 80     eth0\n',
};

/** A fake system: iptables-save prints `saved[tool]`, every call is recorded, missing tools throw. */
function fakeSystem(opts: { inet6?: string; missing?: string[]; saved?: Record<string, string>; failRestore?: string } = {}) {
  const calls: Array<{ file: string; args: readonly string[]; input?: string }> = [];
  const io: InitIo = {
    async run(file, args, input) {
      calls.push({ file, args, input });
      if (opts.missing?.includes(file)) throw new MissingToolError(file);
      if (file.endsWith('-restore') && opts.failRestore) throw new Error(`${file} --noflush failed (exit 2): ${opts.failRestore}`);
      return { stdout: file.endsWith('-save') ? (opts.saved?.[file] ?? '') : '', stderr: '' };
    },
    readInet6: async () => opts.inet6,
  };
  return { io, calls };
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
      { file: 'iptables-restore', args: ['--noflush'], input: script },
    ]);
    expect(out).toBe(`# applied with iptables-restore --noflush\n${script}`);
  });

  it('--ipv6 auto with a global IPv6 address also applies ip6tables and adds ::6 to lo', async () => {
    const { io, calls } = fakeSystem({ inet6: inet6.global });
    await runCommand(io, []);
    expect(calls.map((c) => [c.file, ...c.args].join(' '))).toEqual([
      'ip6tables-restore --version',
      'iptables-save -t nat',
      'iptables-restore --noflush',
      'ip6tables-save -t nat',
      'ip6tables-restore --noflush',
      'ip -6 addr add ::6/128 dev lo nodad',
    ]);
    expect(calls[4]!.input).toBe(applyScript(defaultCaptureConfig, 'ipv6', ''));
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

  it('--cleanup removes what it finds in both families and reports it', async () => {
    const saved = '*nat\n:OUTPUT ACCEPT [0:0]\n:SKEIN_OUTPUT - [0:0]\n-A OUTPUT -p tcp -j SKEIN_OUTPUT\nCOMMIT\n';
    const { io, calls } = fakeSystem({ inet6: inet6.local, saved: { 'iptables-save': saved, 'ip6tables-save': '' } });
    const { code, out } = await runCommand(io, ['--cleanup']);
    expect(code).toBe(0);
    const restores = calls.filter((c) => c.args[0] === '--noflush');
    expect(restores).toEqual([{ file: 'iptables-restore', args: ['--noflush'], input: '*nat\n-D OUTPUT -p tcp -j SKEIN_OUTPUT\n-F SKEIN_OUTPUT\n-X SKEIN_OUTPUT\nCOMMIT\n' }]);
    expect(out).toMatch(/^# removed with iptables-restore --noflush\n\*nat\n-D OUTPUT/);
  });

  it('--cleanup with nothing installed says so', async () => {
    const { io } = fakeSystem({ inet6: inet6.local });
    expect((await runCommand(io, ['--cleanup'])).out).toBe('no Skein capture rules found; nothing to remove\n');
  });
});
