import { addressPlan, parseCidr24, ReusableAddressPool } from './ipam';

describe('address plan', () => {
  it('gives the bridge .1, pods .2 onwards and VIPs from their own range', () => {
    const plan = addressPlan('10.77.0.0/24', '10.77.200.0/24');
    expect(plan.gateway).toBe('10.77.0.1');
    expect([plan.pods.allocate(), plan.pods.allocate()]).toEqual(['10.77.0.2', '10.77.0.3']);
    expect(plan.vips.allocate()).toBe('10.77.200.10');
  });

  it('runs out with a clear error instead of reusing an address', () => {
    const plan = addressPlan('10.1.2.0/24', '10.1.3.0/24');
    for (let i = 2; i <= 254; i++) plan.pods.allocate();
    expect(() => plan.pods.allocate()).toThrow(/no pod addresses left in 10\.1\.2\.0\/24/);
  });

  it.each(['10.0.0.0/16', '10.0.0.1/24', '300.0.0.0/24', '10.0.0/24', 'abc', ''])('rejects CIDR %j', (cidr) => {
    expect(() => parseCidr24(cidr)).toThrow(/invalid CIDR/);
  });

  it('rejects the same range for pods and VIPs', () => {
    expect(() => addressPlan('10.9.0.0/24', '10.9.0.0/24')).toThrow(/must differ/);
  });
});

describe('reusable address pool', () => {
  it('hands out addresses in order and reuses a released one only after the others', () => {
    const pool = new ReusableAddressPool(parseCidr24('10.244.0.0/24'), 252, 'pod');
    expect([pool.allocate(), pool.allocate()]).toEqual(['10.244.0.252', '10.244.0.253']);
    pool.release('10.244.0.252');
    expect(pool.allocate()).toBe('10.244.0.254');
    expect(pool.allocate()).toBe('10.244.0.252');
    expect(() => pool.allocate()).toThrow('no pod addresses left in 10.244.0.0/24');
  });

  it('ignores addresses that are not its own', () => {
    const pool = new ReusableAddressPool(parseCidr24('10.244.0.0/24'), 254, 'pod');
    pool.allocate();
    pool.release('10.9.9.254');
    expect(() => pool.allocate()).toThrow('no pod addresses left');
  });
});
