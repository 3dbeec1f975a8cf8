import { SnapshotCache, checkConsistency, makeSnapshot } from './snapshot';
import { TypeUrls } from './translate/envoy';

const listener = (route: string) => ({ '@type': TypeUrls.listener, name: 'l', filter_chains: [{ filters: [{ typed_config: { rds: { route_config_name: route } } }] }] });
const cluster = (name: string) => ({ '@type': TypeUrls.cluster, name, type: 'EDS', eds_cluster_config: { service_name: name } });
const cla = (name: string) => ({ '@type': TypeUrls.endpoint, cluster_name: name, endpoints: [] });
const route = (name: string) => ({ '@type': TypeUrls.route, name });

function resources(l: string, c: string, e: string, r: string) {
  return { [TypeUrls.cluster]: [[cluster(c)]], [TypeUrls.endpoint]: [[cla(e)]], [TypeUrls.listener]: [[listener(l)]], [TypeUrls.route]: [[route(r)]] };
}

describe('snapshots', () => {
  it('versions each type by content: unchanged types keep their version', () => {
    const a = makeSnapshot(1, resources('80', 'c', 'c', '80'));
    const b = makeSnapshot(2, resources('80', 'c', 'c', '80'));
    expect(b.types[TypeUrls.cluster].version).toBe(a.types[TypeUrls.cluster].version);
    const c = makeSnapshot(3, { ...resources('80', 'c', 'c', '80'), [TypeUrls.route]: [[{ ...route('80'), virtual_hosts: [] }]] });
    expect(c.types[TypeUrls.route].version).not.toBe(a.types[TypeUrls.route].version);
    expect(c.types[TypeUrls.listener].version).toBe(a.types[TypeUrls.listener].version);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('finds references to missing RouteConfigurations and ClusterLoadAssignments', () => {
    expect(checkConsistency(makeSnapshot(1, resources('80', 'c', 'c', '80')))).toEqual([]);
    expect(checkConsistency(makeSnapshot(1, resources('81', 'c', 'd', '80')))).toEqual([
      'listener l refers to RouteConfiguration "81" which is not in the snapshot',
      'cluster c refers to ClusterLoadAssignment "c" which is not in the snapshot',
    ]);
  });

  it('the cache refuses an inconsistent snapshot and keeps the previous one', () => {
    const cache = new SnapshotCache();
    const seen: number[] = [];
    cache.observe((_id, s) => seen.push(s.generation));
    const good = makeSnapshot(1, resources('80', 'c', 'c', '80'));
    cache.set('n', good);
    expect(() => cache.set('n', makeSnapshot(2, resources('81', 'c', 'c', '80')))).toThrow(/refused: listener l refers to RouteConfiguration "81"/);
    expect(cache.get('n')).toBe(good);
    expect(seen).toEqual([1]);
  });
});
