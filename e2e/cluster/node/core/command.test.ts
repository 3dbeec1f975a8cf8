import { containerArgv } from './command';

const image = { entrypoint: ['node', '/opt/skein/dist/cli/src/main.js'], cmd: ['help'] };
const env = { POD_NAME: 'web-1', PORT: '8080' };

describe('container argv (Kubernetes command/args rules)', () => {
  it.each([
    ['neither: ENTRYPOINT + CMD', {}, ['node', '/opt/skein/dist/cli/src/main.js', 'help']],
    ['args only: ENTRYPOINT + args', { args: ['proxy', '--pod', '$(POD_NAME)'] }, ['node', '/opt/skein/dist/cli/src/main.js', 'proxy', '--pod', 'web-1']],
    ['command only: CMD is dropped', { command: ['sh', '-c', 'echo $(PORT)'] }, ['sh', '-c', 'echo 8080']],
    ['command + args', { command: ['echo'], args: ['$(UNKNOWN)', '$$(PORT)'] }, ['echo', '$(UNKNOWN)', '$(PORT)']],
    ['empty arrays count as unset', { command: [], args: [] }, ['node', '/opt/skein/dist/cli/src/main.js', 'help']],
  ])('%s', (_name, container, argv) => {
    expect(containerArgv({ name: 'c', ...container }, image, env)).toEqual(argv);
  });

  it('no command at all is an error', () => {
    expect(() => containerArgv({ name: 'c' }, { entrypoint: [], cmd: [] }, {})).toThrow('no command specified');
  });
});
