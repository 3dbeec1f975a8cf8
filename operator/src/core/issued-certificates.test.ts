import { IssuedCertificates } from './issued-certificates';

const issued = (spiffeId: string, serialNumber: string, podName?: string) => ({ spiffeId, serialNumber, notAfter: `2030-01-0${serialNumber}T00:00:00.000Z`, ...(podName ? { podName } : {}) });

describe('IssuedCertificates', () => {
  it('matches a proxy by its pod first, then by its identity', () => {
    const c = new IssuedCertificates();
    c.record(issued('spiffe://td/ns/shop/sa/web', '1', 'web-1'), 't1');
    c.record(issued('spiffe://td/ns/shop/sa/web', '2'), 't2');
    expect(c.forProxy({ namespace: 'shop', podName: 'web-1' }, 'spiffe://td/ns/shop/sa/web')).toMatchObject({ serialNumber: '1', matchedBy: 'pod', issuedAt: 't1' });
    expect(c.forProxy({ namespace: 'shop', podName: 'web-2' }, 'spiffe://td/ns/shop/sa/web')).toMatchObject({ serialNumber: '2', matchedBy: 'identity' });
    expect(c.forProxy({ namespace: 'shop', podName: 'web-2' })).toBeUndefined();
    // The same pod name in another namespace is another pod.
    expect(c.forProxy({ namespace: 'other', podName: 'web-1' })).toBeUndefined();
  });

  it('keeps the newest per pod, and at most `limit` entries (the oldest go)', () => {
    const c = new IssuedCertificates(2);
    c.record(issued('spiffe://td/ns/a/sa/x', '1', 'p1'), 't1');
    c.record(issued('spiffe://td/ns/a/sa/x', '3', 'p1'), 't3');
    expect(c.forProxy({ namespace: 'a', podName: 'p1' })?.serialNumber).toBe('3');
    c.record(issued('spiffe://td/ns/a/sa/y', '4', 'p2'), 't4');
    c.record(issued('spiffe://td/ns/a/sa/z', '5', 'p3'), 't5');
    expect(c.forProxy({ namespace: 'a', podName: 'p1' })).toBeUndefined();
    expect(c.forProxy({ namespace: 'a', podName: 'p3' })?.serialNumber).toBe('5');
  });

  it('ignores a pod whose SPIFFE id does not parse (kept by identity only)', () => {
    const c = new IssuedCertificates();
    c.record(issued('not-a-spiffe-id', '1', 'p'), 't');
    expect(c.forProxy({ namespace: 'a', podName: 'p' }, 'not-a-spiffe-id')).toMatchObject({ matchedBy: 'identity' });
  });
});
