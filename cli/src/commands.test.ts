import { type Command } from '../../api/src/command';
import { installObjects } from '../../manifests/src/install';
import { objectPath, resourceTypeOf } from '../../operator/src/kube/install';
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

  it('help WORD loads only that word\'s module', () => {
    const loaded: string[] = [];
    const modules: CommandModule[] = [
      { words: ['a'], load: () => (loaded.push('a'), [cmd('a')]) },
      { words: ['b'], load: () => (loaded.push('b'), [cmd('b')]) },
    ];
    expect(commandsFor(['help', 'b'], modules).map((c) => c.path[0])).toEqual(['b']);
    expect(loaded).toEqual(['b']);
  });
});

describe('every command', () => {
  const all = commandModules.flatMap((m) => m.load());

  it.each(all.map((c) => [c.path.join(' '), c] as const))('skein %s: usage starts with "Usage: skein %s"', (name, c) => {
    expect(c.usage.startsWith(`Usage: skein ${name}`)).toBe(true);
    expect(c.summary).not.toBe('');
  });
});

describe('what install applies', () => {
  it('every kind the manifests hold has a REST mapping (a new kind must be added there, not discovered at install time)', () => {
    for (const obj of installObjects().objects) {
      expect(() => resourceTypeOf(obj)).not.toThrow();
      expect(objectPath(obj)).toMatch(obj.metadata.namespace ? new RegExp(`/namespaces/${obj.metadata.namespace}/[a-z]+/${obj.metadata.name}$`) : new RegExp(`^/apis?/[^/]+(/[^/]+)?/[a-z]+/${obj.metadata.name.replace(/\./g, '\\.')}$`));
    }
    expect(() => resourceTypeOf({ apiVersion: 'v9', kind: 'Gizmo' })).toThrow('no REST mapping for v9 Gizmo: add it to operator/src/kube/install.ts');
  });
});
