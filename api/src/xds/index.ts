/** The xDS layer shared by control plane and proxy; generated message types live in api/gen/. */
export * from './type-urls';
export * from './any';
export * from './json';
export * from './grpc-service';
export * from './ads-service';
