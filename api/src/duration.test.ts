import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['1s', 1000],
    ['1.5s', 1500],
    ['24h', 86_400_000],
    ['90d', 90 * 86_400_000],
    ['1h30m', 5_400_000],
    [' 2m ', 120_000],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 'h', '1x', '1h 30m', '-1s', '1s2'])('rejects %j with a readable message', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1500, '1s500ms'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 61_000, 3_723_004]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
