// socks-proxy-agent ships ESM that jest.config's transformIgnorePatterns does not let through (lead: add it); SOCKS proxies are unused here.
jest.mock('socks-proxy-agent', () => ({ SocksProxyAgent: class SocksProxyAgent {} }));
import { LeaderElector } from './leader-election';
import { KubeRestClient, kubeConfigFor } from './rest';
import { FakeApiServer } from './testing/fake-apiserver';
import { waitFor } from './testing/wait-for';

const leases = 'coordination.k8s.io/v1/leases';

describe('LeaderElector against the API double', () => {
  let api: FakeApiServer;
  let client: KubeRestClient;
  const electors: LeaderElector[] = [];

  beforeEach(async () => {
    api = new FakeApiServer();
    client = new KubeRestClient(kubeConfigFor(await api.start()));
  });
  afterEach(async () => {
    await Promise.all(electors.splice(0).map((e) => e.stop()));
    await api.close();
  });

  function elector(identity: string, log: string[] = []) {
    const e = new LeaderElector({
      api: client, identity, leaseDurationMs: 400, renewDeadlineMs: 250, retryPeriodMs: 20,
      onStartedLeading: () => log.push(`${identity} started`), onStoppedLeading: () => log.push(`${identity} stopped`),
    });
    electors.push(e);
    return e;
  }

  it('exactly one of two replicas leads; the Lease names it', async () => {
    const a = elector('pod-a');
    const b = elector('pod-b');
    a.start();
    b.start();
    await waitFor(() => a.isLeader() || b.isLeader(), 'a leader');
    await new Promise((r) => setTimeout(r, 100)); // several renew cycles
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const holder = api.get(leases, 'skein-system', 'skein-controlplane')!.spec as { holderIdentity: string };
    expect(holder.holderIdentity).toBe(a.isLeader() ? 'pod-a' : 'pod-b');
  });

  it('releases the Lease on shutdown and the other replica takes over at once', async () => {
    const log: string[] = [];
    const a = elector('pod-a', log);
    a.start();
    await waitFor(() => a.isLeader(), 'pod-a leading');
    const b = elector('pod-b', log);
    b.start();
    await a.stop();
    expect((api.get(leases, 'skein-system', 'skein-controlplane')!.spec as { holderIdentity: string }).holderIdentity).not.toBe('pod-a');
    await waitFor(() => b.isLeader(), 'pod-b leading', 2000);
    expect(log).toEqual(['pod-a started', 'pod-a stopped', 'pod-b started']);
    const spec = api.get(leases, 'skein-system', 'skein-controlplane')!.spec as { leaseTransitions: number };
    expect(spec.leaseTransitions).toBe(1);
  });

  it('takes over a Lease whose holder stopped renewing (crashed leader)', async () => {
    api.put(leases, {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'skein-controlplane', namespace: 'skein-system' },
      spec: { holderIdentity: 'crashed', leaseDurationSeconds: 1, renewTime: new Date().toISOString() },
    });
    const b = elector('pod-b');
    b.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(b.isLeader()).toBe(false); // the crashed holder's lease has not run out yet
    await waitFor(() => b.isLeader(), 'takeover after the lease duration', 3000);
  });

  it('a 409 Conflict on the update means another replica won: no leadership', async () => {
    api.put(leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'skein-controlplane', namespace: 'skein-system' }, spec: { holderIdentity: '' } });
    api.failNext('PUT', /leases\/skein-controlplane$/, 409, 1, 'Conflict');
    const a = elector('pod-a');
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(await a.tryAcquireOrRenew()).toBe(true);
  });

  it('steps down when it cannot renew within the renew deadline', async () => {
    const log: string[] = [];
    const a = elector('pod-a', log);
    a.start();
    await waitFor(() => a.isLeader(), 'pod-a leading');
    api.failNext('GET', /leases\/skein-controlplane$/, 503, 1000, 'ServiceUnavailable');
    await waitFor(() => !a.isLeader(), 'stepping down', 3000);
    expect(log).toEqual(['pod-a started', 'pod-a stopped']);
  });
});
