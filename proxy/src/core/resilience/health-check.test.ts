import { HealthTracker, type ProbeResult, probeResultForStatus } from './health-check';

describe('probeResultForStatus', () => {
  it.each<[number, ProbeResult]>([[200, 'pass'], [204, 'pass'], [301, 'fail'], [404, 'fail'], [503, 'fail']])('%d → %s', (s, r) => expect(probeResultForStatus(s)).toBe(r));
});

describe('HealthTracker (unhealthy after 2 fails, healthy again after 3 passes)', () => {
  it.each<[string, ProbeResult[], boolean, (string | undefined)[]]>([
    ['starts healthy', [], false, []],
    ['one fail is not enough', ['fail'], false, [undefined]],
    ['two fails in a row', ['fail', 'fail'], true, [undefined, 'unhealthy']],
    ['a pass in between resets', ['fail', 'pass', 'fail'], false, [undefined, undefined, undefined]],
    ['recovers after three passes', ['fail', 'fail', 'pass', 'pass', 'pass'], false, [undefined, 'unhealthy', undefined, undefined, 'healthy']],
    ['a fail during recovery restarts it', ['fail', 'fail', 'pass', 'pass', 'fail', 'pass', 'pass'], true, [undefined, 'unhealthy', undefined, undefined, undefined, undefined, undefined]],
  ])('%s', (_n, probes, unhealthy, transitions) => {
    const t = new HealthTracker(2, 3);
    expect(probes.map((p) => t.record('a', p))).toEqual(transitions);
    expect(t.isUnhealthy('a')).toBe(unhealthy);
  });
  it('forgets hosts that left', () => {
    const t = new HealthTracker(1, 1);
    t.record('a', 'fail');
    t.retain(['b']);
    expect(t.isUnhealthy('a')).toBe(false);
  });
});
