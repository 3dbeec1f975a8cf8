import { ClusterSchema } from '../../gen/envoy/config/cluster/v3/cluster_pb';
import { ResourceSchemas, TypeUrls, resourceKindOf, typeNameOf, typeUrlOf, xdsRegistry, type ResourceKind } from './type-urls';

describe('resource type URLs', () => {
  it.each([
    ['listener', 'type.googleapis.com/envoy.config.listener.v3.Listener'],
    ['routeConfiguration', 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration'],
    ['cluster', 'type.googleapis.com/envoy.config.cluster.v3.Cluster'],
    ['clusterLoadAssignment', 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment'],
    ['secret', 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'],
  ] as Array<[ResourceKind, string]>)('%s is %s, in the registry, and maps back to its kind', (kind, url) => {
    expect(TypeUrls[kind]).toBe(url);
    expect(typeUrlOf(ResourceSchemas[kind])).toBe(url);
    expect(xdsRegistry.getMessage(typeNameOf(url))).toBe(ResourceSchemas[kind]);
    expect(resourceKindOf(url)).toBe(kind);
  });

  it('has no kind for types Skein does not serve', () => {
    expect(resourceKindOf('type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration')).toBeUndefined();
    expect(resourceKindOf('envoy.config.cluster.v3.Cluster')).toBeUndefined();
  });

  it('typeUrlOf takes a schema or a name', () => {
    expect(typeUrlOf(ClusterSchema)).toBe(typeUrlOf('envoy.config.cluster.v3.Cluster'));
  });

  it.each([
    ['', /empty type URL/],
    ['type.googleapis.com/', /names no message/],
  ])('typeNameOf(%j) throws %s', (url, message) => {
    expect(() => typeNameOf(url)).toThrow(message);
  });

  it('typeNameOf takes the part after the last slash', () => {
    expect(typeNameOf('example.com/a/b/envoy.config.cluster.v3.Cluster')).toBe('envoy.config.cluster.v3.Cluster');
    expect(typeNameOf('envoy.config.cluster.v3.Cluster')).toBe('envoy.config.cluster.v3.Cluster');
  });
});
