import { formatTable } from './table';

describe('formatTable', () => {
  it('pads each column to its widest cell, three spaces apart, no trailing spaces', () => {
    expect(formatTable(['NAME', 'STATE', 'NOTE'], [['web-1', 'SYNCED', ''], ['a', 'NOT SENT', 'x']])).toBe('NAME    STATE      NOTE\nweb-1   SYNCED\na       NOT SENT   x\n');
  });
  it('headers only', () => {
    expect(formatTable(['A', 'B'], [])).toBe('A   B\n');
  });
});
