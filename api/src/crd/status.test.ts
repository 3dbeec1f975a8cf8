import { acceptedStatus, formatFieldErrors } from './status';

const now = '2026-11-21T23:00:00Z';

describe('acceptedStatus', () => {
  it('says Accepted=True for a valid resource at its generation', () => {
    expect(acceptedStatus([], 4, now)).toEqual({
      observedGeneration: 4,
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Accepted by Skein', lastTransitionTime: now, observedGeneration: 4 }],
    });
  });

  it('says Accepted=False with every error, path first', () => {
    const status = acceptedStatus(
      [
        { path: 'spec.http[0].route[1].weight', message: 'must be an integer 0..100' },
        { path: 'spec.http[0].corsPolicy', message: 'not supported by Skein' },
      ],
      undefined,
      now,
    );
    expect(status.conditions![0]).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: 'spec.http[0].route[1].weight: must be an integer 0..100; spec.http[0].corsPolicy: not supported by Skein',
    });
    expect(status.observedGeneration).toBeUndefined();
  });
});

describe('formatFieldErrors', () => {
  it('prints a root error without a path', () => {
    expect(formatFieldErrors([{ path: '', message: 'must be a Kubernetes object' }])).toBe('must be a Kubernetes object');
  });

  it('stays within the limit and counts what it left out', () => {
    const errors = Array.from({ length: 50 }, (_, i) => ({ path: `spec.hosts[${i}]`, message: 'must be a host name such as "reviews"' }));
    const text = formatFieldErrors(errors, 300);
    expect(text.length).toBeLessThanOrEqual(300);
    expect(text).toMatch(/^spec\.hosts\[0\]: must be .*; … and \d+ more$/);
  });
});
