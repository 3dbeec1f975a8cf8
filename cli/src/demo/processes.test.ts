import { listenerPortRange } from './processes';

describe('demo listener ports', () => {
  it.each([
    ['32768\t60999\n', { low: 10000, high: 32767 }],
    ['40000 65000', { low: 10000, high: 39999 }],
    ['1024 65535', { low: 10000, high: 32767 }], // no room below: the usual default
    ['', { low: 10000, high: 32767 }],
    [undefined, { low: 10000, high: 32767 }],
  ])('below the ephemeral range %j', (range, expected) => {
    expect(listenerPortRange(range)).toEqual(expected);
  });
});
