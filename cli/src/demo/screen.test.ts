import { LiveBlock, redraw, rowsOf } from './screen';

describe('demo live table', () => {
  it.each([
    ['one short line', 'abc', 80, 1],
    ['three lines', 'a\nb\nc', 80, 3],
    ['a line wrapping onto three rows', 'x'.repeat(170), 80, 3],
    ['an empty line still takes a row', 'a\n\nb', 80, 3],
    ['no known width: no wrapping', 'x'.repeat(500), undefined, 1],
  ])('counts %s', (_name, text, columns, rows) => {
    expect(rowsOf(text, columns)).toBe(rows);
  });

  it('moves up over the previous table and erases it before drawing the new one', () => {
    expect(redraw(0, 'T1')).toBe('T1\n');
    expect(redraw(3, 'T2')).toBe('\x1b[3A\r\x1b[JT2\n');
  });

  it('on a terminal redraws only the table; the lines printed before it are never erased', () => {
    const out: string[] = [];
    const tty = { isTTY: true, columns: 100, write: (t: string) => out.push(t) };
    tty.write('dashboard: http://127.0.0.1:1/\n');
    const block = new LiveBlock(tty);
    block.show('t0\nrow');
    block.show('t1\nrow\nrow');
    block.show('t2');
    expect(out).toEqual(['dashboard: http://127.0.0.1:1/\n', 't0\nrow\n', '\x1b[2A\r\x1b[Jt1\nrow\nrow\n', '\x1b[3A\r\x1b[Jt2\n']);
  });

  it('not a terminal: plain lines, no escape sequences', () => {
    const out: string[] = [];
    const block = new LiveBlock({ write: (t: string) => out.push(t) });
    block.show('t0');
    block.show('t1');
    expect(out.join('')).toBe('\nt0\n\nt1\n');
    expect(out.join('')).not.toContain('\x1b');
  });
});
