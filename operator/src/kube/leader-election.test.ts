import { type Lease, leaseAction } from './leader-election';

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
