import { type Probe, kindBlocker } from './gate';

const probeWith = (working: string[]): Probe => (command, args) => working.includes(`${command} ${args[0]}`);

describe('kindBlocker', () => {
  it.each([
    [[], /no docker CLI/],
    [['docker --version'], /no working engine/], // this machine: a docker CLI without an engine
    [['docker --version', 'docker info'], /no kind/],
    [['docker --version', 'docker info', 'kind version'], /no kubectl/],
  ])('with %j → %s', (working, reason) => {
    expect(kindBlocker(probeWith(working))).toMatch(reason);
  });

  it('lets the suite run when everything is there', () => {
    expect(kindBlocker(probeWith(['docker --version', 'docker info', 'kind version', 'kubectl version']))).toBeUndefined();
  });
});
