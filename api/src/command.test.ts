import { UsageError, usageErrors } from './command';

const failing = (): never => {
  throw new Error('bad value');
};

describe('usageErrors', () => {
  it('returns what the function returns', () => expect(usageErrors(() => 42)).toBe(42));

  it.each([
    [undefined, 'bad value'],
    ['--ttl', '--ttl: bad value'],
  ])('turns a throw into a UsageError (flag %s)', (flag, message) => {
    expect(() => usageErrors(failing, flag)).toThrow(UsageError);
    expect(() => usageErrors(failing, flag)).toThrow(message);
  });
});
