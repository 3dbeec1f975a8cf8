import { checkDnsLabel, nextRunId, nodeNetnsName, ownerPid, podNetnsName, runId } from './names';
import { staleNames } from './sweeper';

describe('harness names', () => {
  it('carry the owning pid, which the sweeper reads back', () => {
    const run = runId(4242, 3);
    expect(run).toBe('skh4242x3');
    expect(ownerPid(nodeNetnsName(run))).toBe(4242);
    expect(podNetnsName(run, 'default', 'web-v1')).toBe('skh4242x3-default.web-v1');
    expect(podNetnsName(run, 'a-b', 'c')).not.toBe(podNetnsName(run, 'a', 'b-c'));
    expect(ownerPid(podNetnsName(run, 'default', 'web-v1'))).toBe(4242);
    expect(ownerPid(`${run}-AbC123`)).toBe(4242); // mkdtemp suffix
  });

  it('hands out one run id per harness object in this process', () => {
    const a = nextRunId();
    const b = nextRunId();
    expect(a).not.toBe(b);
    expect([ownerPid(a), ownerPid(b)]).toEqual([process.pid, process.pid]);
  });

  it.each(['skein-node', 'skh-1x0', 'skh12', 'skh12x', 'skh12x0y', 'xskh12x0', ''])('does not claim %j', (name) => {
    expect(ownerPid(name)).toBeUndefined();
  });

  it.each([[0, 0], [-1, 0], [1.5, 0], [1, -1]])('rejects pid %d / seq %d', (pid, seq) => {
    expect(() => runId(pid, seq)).toThrow(/invalid/);
  });

  it('finds only leftovers of dead runs', () => {
    const alive = (pid: number) => pid === 10;
    expect(staleNames(['skh10x0-node', 'skh11x0-node', 'skh11x2-default-web', 'systemd-private-x', 'skh12x0-Qq1'], alive))
      .toEqual(['skh11x0-node', 'skh11x2-default-web', 'skh12x0-Qq1']);
  });

  it.each(['web', 'web-v1', 'a1', 'x'.repeat(63)])('accepts DNS label %j', (name) => {
    expect(checkDnsLabel('pod', name)).toBe(name);
  });

  it.each(['', 'Web', 'web_v1', '-web', 'web-', 'x'.repeat(64), 'a.b'])('rejects %j with a readable message', (name) => {
    expect(() => checkDnsLabel('pod', name)).toThrow(/invalid pod name .*DNS label/);
  });
});
