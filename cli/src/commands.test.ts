import { type Command } from '../../api/src/command';
import { commandModules, commandsFor, type CommandModule } from './commands';

const cmd = (...path: string[]): Command => ({ path, summary: path.join(' '), usage: '', run: async () => 0 });

describe('command modules', () => {
  it('loads only the module whose word is used', () => {
    const loaded: string[] = [];
    const modules: CommandModule[] = [
      { words: ['ca'], load: () => (loaded.push('ca'), [cmd('ca', 'init')]) },
      { words: ['inject', 'webhook'], load: () => (loaded.push('webhook'), [cmd('inject'), cmd('webhook')]) },
    ];
    expect(commandsFor(['webhook', '--port', '1'], modules).map((c) => c.path.join(' '))).toEqual(['inject', 'webhook']);
    expect(loaded).toEqual(['webhook']);
  });

  it('loads everything for help and unknown words', () => {
    const modules: CommandModule[] = [
      { words: ['a'], load: () => [cmd('a')] },
      { words: ['b'], load: () => [cmd('b')] },
    ];
    expect(commandsFor([], modules)).toHaveLength(2);
    expect(commandsFor(['nope'], modules)).toHaveLength(2);
  });

  it("every module serves exactly the words it declares", () => {
    for (const module of commandModules) {
      const firstWords = new Set(module.load().map((c) => c.path[0]));
      expect([...firstWords].sort()).toEqual([...module.words].sort());
    }
  });
});
