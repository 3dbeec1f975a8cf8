/**
 * The Aggregated Discovery Service (envoy.service.discovery.v3.AggregatedDiscoveryService) for
 * @grpc/grpc-js: the control plane serves it, the proxy's xDS client calls it.
 *
 *   server.addService(adsServiceDefinition, { streamAggregatedResources(call) {…}, deltaAggregatedResources(call) {…} });
 *   const client = new AdsClient('127.0.0.1:15012', credentials);
 *   const stream = client.streamAggregatedResources();
 */
import { AggregatedDiscoveryService } from '../../gen/envoy/service/discovery/v3/ads_pb';
import {
  grpcClientConstructor,
  grpcMethodPath,
  grpcServiceDefinition,
  type GrpcClient,
  type GrpcServiceDefinition,
  type GrpcServiceImplementation,
  type ServiceMethods,
} from './grpc-service';

type AdsMethods = ServiceMethods<typeof AggregatedDiscoveryService>;

export { AggregatedDiscoveryService };

/** `/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources` (state of the world). */
export const ADS_STREAM_PATH = grpcMethodPath(AggregatedDiscoveryService.method.streamAggregatedResources);
/** `/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources` (incremental). */
export const ADS_DELTA_PATH = grpcMethodPath(AggregatedDiscoveryService.method.deltaAggregatedResources);

export type AdsServiceDefinition = GrpcServiceDefinition<AdsMethods>;
/** Server handlers: `streamAggregatedResources(call)` and `deltaAggregatedResources(call)` (bidi streams). */
export type AdsServiceImplementation = GrpcServiceImplementation<AdsMethods>;
export type AdsClient = GrpcClient<AdsMethods>;

export const adsServiceDefinition: AdsServiceDefinition = grpcServiceDefinition(AggregatedDiscoveryService);

/** Client class: `new AdsClient(address, credentials, options)`. */
export const AdsClient = grpcClientConstructor(AggregatedDiscoveryService);
