/**
 * The proxy side of an xDS push for a mesh of 500 HTTP services (each: an outbound EDS cluster with
 * mTLS, a ClusterLoadAssignment with 3 endpoints, a filter chain on virtualOutbound and a virtual
 * host in route configuration 9080): decoding alone (the floor) against decoding + translation into
 * the model + the per-resource check, per type, and a whole warm-up (CDS → EDS → LDS → RDS) through
 * the ADS state machine ending in one validated snapshot. Each row runs for at most 1.5 s or 200
 * iterations, whichever comes first.
 */
import { performance } from 'node:perf_hooks';
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ClusterSchema } from '../api/gen/envoy/config/cluster/v3/cluster_pb';
import { ClusterLoadAssignmentSchema } from '../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema } from '../api/gen/envoy/config/listener/v3/listener_pb';
import { RouteConfigurationSchema } from '../api/gen/envoy/config/route/v3/route_pb';
import { DiscoveryResponseSchema, type DiscoveryResponse } from '../api/gen/envoy/service/discovery/v3/discovery_pb';
import { packAny, unpackAnyAs } from '../api/src/xds/any';
import { TypeUrls } from '../api/src/xds/type-urls';
import { AdsState } from '../proxy/src/xds/core/ads-state';
import { buildNode, nodeInfo } from '../proxy/src/xds/core/node';
import { translateResources, type SubscribedType } from '../proxy/src/xds/core/resources';
import { edsCluster, hcmFilter, loadAssignment, outboundListener, passthroughCluster, routeConfig } from '../proxy/src/xds/testing/resources';

const SERVICES = 500;
const MAX_MS = 1500;
const MAX_ITERATIONS = 200;

function measure(step: string, body: () => void): { step: string; ms: number; iterations: number } {
  body();
  const start = performance.now();
  let iterations = 0;
  while (iterations < MAX_ITERATIONS && performance.now() - start < MAX_MS) {
    body();
    iterations += 1;
  }
  return { step, ms: (performance.now() - start) / iterations, iterations };
}

function response<D extends DescMessage>(typeUrl: string, schema: D, resources: MessageShape<D>[]): Uint8Array {
  return toBinary(DiscoveryResponseSchema, create(DiscoveryResponseSchema, { typeUrl, versionInfo: '1', nonce: typeUrl, resources: resources.map((r) => packAny(schema, r)) }));
}

export async function run(): Promise<void> {
  const names = Array.from({ length: SERVICES }, (_, i) => `outbound|9080||svc-${i}.default.svc.cluster.local`);
  const clusters = [passthroughCluster(), ...names.map((name) => edsCluster((c) => { c.name = name; c.edsClusterConfig!.serviceName = name; }))];
  const clas = names.map((name, i) => loadAssignment(name, [`10.1.${i >> 8}.${i & 255}`, `10.2.${i >> 8}.${i & 255}`, `10.3.${i >> 8}.${i & 255}`]));
  const listener = outboundListener([hcmFilter()], (l) => {
    const template = l.filterChains[0]!;
    l.filterChains = names.map((_, i) => {
      const chain = structuredClone(template);
      chain.name = `10.96.${i >> 8}.${i & 255}_9080`;
      chain.filterChainMatch!.prefixRanges[0]!.addressPrefix = `10.96.${i >> 8}.${i & 255}`;
      return chain;
    });
  });
  const routes = routeConfig(names[0], (rc) => {
    const template = rc.virtualHosts[0]!;
    rc.virtualHosts = names.map((name, i) => {
      const vh = structuredClone(template);
      vh.name = `svc-${i}:9080`;
      vh.domains = [`svc-${i}.default.svc.cluster.local`, `svc-${i}`, `svc-${i}:9080`];
      const action = vh.routes[0]!.action;
      if (action.case === 'route') action.value.clusterSpecifier = { case: 'cluster', value: name };
      return vh;
    });
  });
  const pushes: Array<[SubscribedType, DescMessage, Uint8Array]> = [
    [TypeUrls.cluster, ClusterSchema, response(TypeUrls.cluster, ClusterSchema, clusters)],
    [TypeUrls.clusterLoadAssignment, ClusterLoadAssignmentSchema, response(TypeUrls.clusterLoadAssignment, ClusterLoadAssignmentSchema, clas)],
    [TypeUrls.listener, ListenerSchema, response(TypeUrls.listener, ListenerSchema, [listener])],
    [TypeUrls.routeConfiguration, RouteConfigurationSchema, response(TypeUrls.routeConfiguration, RouteConfigurationSchema, [routes])],
  ];
  const ctx = { explicitOutboundPorts: new Map<number, number>() };
  const rows = pushes.flatMap(([typeUrl, schema, bytes]) => {
    const label = typeUrl.split('.').pop()!;
    return [
      measure(`${label}: decode only (${(bytes.byteLength / 1024).toFixed(0)} KiB)`, () => fromBinary(DiscoveryResponseSchema, bytes).resources.forEach((r) => unpackAnyAs(r, schema))),
      measure(`${label}: decode + translate + check`, () => translateResources(typeUrl, fromBinary(DiscoveryResponseSchema, bytes).resources, ctx)),
    ];
  });
  const settings = { podName: 'bench-1', namespace: 'default', podIp: '10.0.0.1' };
  const decoded: DiscoveryResponse[] = pushes.map(([, , bytes]) => fromBinary(DiscoveryResponseSchema, bytes));
  rows.push(measure('warm-up CDS→EDS→LDS→RDS to one validated snapshot', () => {
    const state = new AdsState({ node: buildNode(settings), nodeInfo: nodeInfo(settings), listenerContext: ctx, now: () => 0 });
    state.streamStart();
    for (const r of decoded) {
      const step = state.onResponse(r);
      if (step.kind !== 'accept') throw new Error(step.message);
      step.commit();
    }
    if (!state.config) throw new Error('no snapshot');
  }));
  console.log(`mesh: ${SERVICES} HTTP services, 3 endpoints each`);
  console.log('step'.padEnd(58), 'ms'.padStart(9), 'iterations'.padStart(11));
  for (const row of rows) console.log(row.step.padEnd(58), row.ms.toFixed(2).padStart(9), String(row.iterations).padStart(11));
}
