import { hostsFile, podNsswitch, serviceFqdn } from './hosts';

describe('pod hosts file', () => {
  const services = [
    { name: 'web', namespace: 'default', vip: '10.77.200.10' },
    { name: 'db', namespace: 'data', vip: '10.77.200.11' },
  ];

  it('maps every service name to its VIP, short names only in the same namespace', () => {
    const hosts = hostsFile({ name: 'client', namespace: 'default', ip: '10.77.0.2' }, services);
    expect(hosts).toContain('10.77.0.2\tclient\n');
    expect(hosts).toContain('10.77.200.10\tweb.default.svc.cluster.local web.default.svc web.default web\n');
    expect(hosts).toContain('10.77.200.11\tdb.data.svc.cluster.local db.data.svc db.data\n');
  });

  it('builds FQDNs with the cluster domain', () => {
    expect(serviceFqdn({ name: 'web', namespace: 'shop' })).toBe('web.shop.svc.cluster.local');
  });

  it('resolves hosts from files only, keeping the other databases', () => {
    expect(podNsswitch('passwd: files\nhosts:          files dns\nnetworks: files\n')).toBe('passwd: files\nnetworks: files\nhosts: files\n');
    expect(podNsswitch('')).toBe('hosts: files\n');
  });
});
