import { expand, lookupIn } from './expand';

describe('$(VAR) expansion (Kubernetes rules)', () => {
  const vars = lookupIn({ VAR_A: 'A', VAR_B: 'B', EMPTY: '' }, { VAR_A: 'shadowed', ONLY_2: 'two' });
  it.each([
    ['plain text', 'hello', 'hello'],
    ['one reference', '$(VAR_A)', 'A'],
    ['in the middle', 'x-$(VAR_A)-$(VAR_B)-y', 'x-A-B-y'],
    ['the first map wins', '$(VAR_A)$(ONLY_2)', 'Atwo'],
    ['an empty value', '[$(EMPTY)]', '[]'],
    ['an unknown name stays as written', '$(NOPE) $(VAR_A)', '$(NOPE) A'],
    ['$$ escapes the operator', '$$(VAR_A)', '$(VAR_A)'],
    ['$$$ then a reference', '$$$(VAR_A)', '$A'],
    ['a lone $ before another character', '$VAR_A $x', '$VAR_A $x'],
    ['a trailing $', 'cost: 5$', 'cost: 5$'],
    ['an unclosed reference is literal', '$(VAR_A', '$(VAR_A'],
    ['an empty name', '$()', '$()'],
    ['nested parentheses end at the first close', '$(VAR_A))', 'A)'],
    ['$$ alone', '$$', '$'],
  ])('%s', (_name, input, expected) => {
    expect(expand(input, vars)).toBe(expected);
  });
});
