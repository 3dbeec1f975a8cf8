import { type KubeApi } from './api';
import { type Lease, LeaderElector, LeaseDefaults, leaseAction, leaseTimingProblem } from './leader-election';

const lease = (holder: string | undefined, durationSeconds = 15): Lease => ({
  apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', resourceVersion: '1' },
  spec: { ...(holder === undefined ? {} : { holderIdentity: holder }), leaseDurationSeconds: durationSeconds },
});

describe('leaseAction', () => {
  it.each([
    ['no Lease yet', undefined, 0, 'create'],
    ['we hold it', lease('me'), 0, 'renew'],
    ['released (empty holder)', lease(''), 0, 'take'],
    ['no holder field', lease(undefined), 0, 'take'],
    ['another holder, renewed recently', lease('other'), 14_999, 'wait'],
    ['another holder, not renewed for the lease duration', lease('other'), 15_000, 'take'],
  ] as const)('%s → %s', (_what, l, elapsedMs, expected) => {
    expect(leaseAction(l, 'me', 1_000_000 + elapsedMs, 1_000_000, 15_000)).toBe(expected);
  });

  it('uses the Lease\'s own duration, measured on our clock since we saw it change', () => {
    expect(leaseAction(lease('other', 60), 'me', 59_000, 0, 15_000)).toBe('wait');
    expect(leaseAction(lease('other', 60), 'me', 60_000, 0, 15_000)).toBe('take');
  });
});

describe('lease timings', () => {
  it.each([
    ['client-go defaults', LeaseDefaults, undefined],
    ['renewDeadline equal to leaseDuration', { leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }, /renewDeadline \(10000 ms\) must be shorter than leaseDuration/],
    ['retryPeriod too close to renewDeadline', { leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }, /longer than 1.2 × retryPeriod/],
    ['zero retryPeriod', { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }, /retryPeriod must be a positive duration/],
    ['NaN leaseDuration', { leaseDurationMs: Number.NaN, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }, /leaseDuration must be a positive duration/],
  ] as const)('%s', (_what, timings, expected) => {
    const problem = leaseTimingProblem(timings);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  it('keeps the defaults for options passed as undefined (unset CLI flags), as the control plane passes them', () => {
    const api = {} as KubeApi;
    expect(() => new LeaderElector({ api, identity: 'p', leaseDurationMs: undefined, renewDeadlineMs: undefined, retryPeriodMs: undefined })).not.toThrow();
    expect(() => new LeaderElector({ api, identity: 'p', leaseDurationMs: 5_000, renewDeadlineMs: 6_000 })).toThrow(/must be shorter than leaseDuration/);
  });
});
