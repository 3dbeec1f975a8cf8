/**
 * Resources for proxyless gRPC clients (@grpc/grpc-js-xds and friends), selected by node metadata
 * `GENERATOR: grpc` as in Istio. gRPC asks LDS for the target's `host:port`, so every name a client
 * may dial gets an API listener; all of a service port's listeners share the RouteConfiguration
 * `<fqdn>:<port>`. Clusters carry no transport socket: gRPC's xDS TLS needs certificate providers
 * in its bootstrap, which Skein does not configure yet.
 */
import { isHttpProtocol } from '../protocol';
import { type Json, TypeUrls, typed } from './envoy';
import { httpConnectionManager } from './listeners';
import { serviceDomains, virtualHost } from './routes';
import { type MeshScope } from './scope';

export function grpcListenersAndRoutes(scope: MeshScope): { listeners: Json[]; routes: Json[] } {
  const listeners: Json[] = [];
  const routes: Json[] = [];
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (!isHttpProtocol(port.protocol)) continue;
      const routeName = `${service.fqdn}:${port.port}`;
      routes.push(typed(TypeUrls.route, { name: routeName, virtual_hosts: [virtualHost(scope, service, port, ['*'])] }));
      const names = serviceDomains(service, port.port, scope.namespace).filter((d) => d.endsWith(`:${port.port}`));
      for (const name of names) {
        const hcm = httpConnectionManager(name, { rds: routeName }).typed_config as Json;
        listeners.push(typed(TypeUrls.listener, { name, api_listener: { api_listener: hcm } }));
      }
    }
  }
  return { listeners, routes };
}
