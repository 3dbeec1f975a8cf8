import { PassThrough } from 'node:stream';
import { type Command, UsageError } from './command';
import { dispatch, findCommand } from './dispatch';

function capture() {
  const out = new PassThrough();
  const err = new PassThrough();
  const text = { out: '', err: '' };
  out.on('data', (d: Buffer) => (text.out += d.toString()));
  err.on('data', (d: Buffer) => (text.err += d.toString()));
  return { io: { stdout: out, stderr: err, stdin: new PassThrough() }, text };
}

const calls: string[][] = [];
const table: Command[] = [
  { path: ['ca'], summary: 'ca', usage: 'usage: ca', run: async (a) => (calls.push(['ca', ...a]), 0) },
  { path: ['ca', 'init'], summary: 'init', usage: 'usage: ca init', run: async (a) => (calls.push(['ca init', ...a]), 0) },
  { path: ['bad'], summary: 'bad', usage: 'usage: bad', run: async () => { throw new UsageError('--x is required'); } },
  { path: ['boom'], summary: 'boom', usage: 'usage: boom', run: async () => { throw new Error('disk on fire'); } },
];

describe('dispatch', () => {
  beforeEach(() => (calls.length = 0));

  it('picks the longest matching path and passes the rest', async () => {
    expect(findCommand(table, ['ca', 'init', '--dir', 'x'])?.command.path).toEqual(['ca', 'init']);
    const { io } = capture();
    expect(await dispatch(table, ['ca', 'init', '--dir', 'x'], io)).toBe(0);
    expect(calls).toEqual([['ca init', '--dir', 'x']]);
  });

  it('unknown command: exit 2 with the list of commands', async () => {
    const { io, text } = capture();
    expect(await dispatch(table, ['nope'], io)).toBe(2);
    expect(text.err).toMatch(/unknown command "nope"/);
    expect(text.err).toMatch(/skein ca init/);
  });

  it('usage error: exit 2 with message and usage; other errors: exit 1 with message', async () => {
    let c = capture();
    expect(await dispatch(table, ['bad'], c.io)).toBe(2);
    expect(c.text.err).toMatch(/--x is required[\s\S]*usage: bad/);
    c = capture();
    expect(await dispatch(table, ['boom'], c.io)).toBe(1);
    expect(c.text.err).toMatch(/skein boom: disk on fire/);
  });

  it('--help prints the usage of the command', async () => {
    const { io, text } = capture();
    expect(await dispatch(table, ['ca', 'init', '--help'], io)).toBe(0);
    expect(text.out).toBe('usage: ca init\n');
    expect(calls).toEqual([]);
  });

  it('help CMD prints that command\'s usage; help GROUP lists the group; help of an unknown command exits 2', async () => {
    let c = capture();
    expect(await dispatch(table, ['help', 'ca', 'init'], c.io)).toBe(0);
    expect(c.text.out).toBe('usage: ca init\n');
    c = capture();
    expect(await dispatch(table, ['help', 'bad'], c.io)).toBe(0);
    expect(c.text.out).toBe('usage: bad\n');
    c = capture();
    expect(await dispatch(table, ['help', 'nope'], c.io)).toBe(2);
    expect(c.text.err).toMatch(/skein help: unknown command "nope"/);
    c = capture();
    expect(await dispatch(table, ['help', 'ca', 'init', 'extra'], c.io)).toBe(2);
    expect(calls).toEqual([]);
  });

  it('help GROUP lists the commands under a first word that is not itself a command', async () => {
    const grouped: Command[] = [
      { path: ['ca', 'init'], summary: 'make a CA', usage: 'usage: ca init', run: async () => 0 },
      { path: ['ca', 'serve'], summary: 'serve it', usage: 'usage: ca serve', run: async () => 0 },
      { path: ['other'], summary: 'other', usage: 'usage: other', run: async () => 0 },
    ];
    const c = capture();
    expect(await dispatch(grouped, ['help', 'ca'], c.io)).toBe(0);
    expect(c.text.out).toMatch(/skein ca init\s+make a CA/);
    expect(c.text.out).toMatch(/skein ca serve\s+serve it/);
    expect(c.text.out).not.toMatch(/other/);
  });
});
