import { parseRateLimit } from './rate-limit';

describe('parseRateLimit', () => {
  it.each([
    ['100', { tokens: 100, fillIntervalMs: 1000 }],
    ['100/s', { tokens: 100, fillIntervalMs: 1000 }],
    [' 6000 / m ', { tokens: 6000, fillIntervalMs: 60_000 }],
    ['1/h', { tokens: 1, fillIntervalMs: 3_600_000 }],
  ])('%j → %j', (value, limit) => expect(parseRateLimit(value)).toEqual(limit));

  it.each(['', '0', '-5', '1.5', '100/d', '100/', 'ten', '1000001', '100/s/s'])('rejects %j, naming the annotation', (value) => {
    expect(() => parseRateLimit(value)).toThrow(/^invalid traffic\.skein\.dev\/rateLimit ".*": expected <requests> or <requests>\/<s\|m\|h>/);
  });
});
