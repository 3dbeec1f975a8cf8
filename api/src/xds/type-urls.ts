/**
 * xDS resource type URLs and the type registry behind every `google.protobuf.Any` in our configs
 * (resources in DiscoveryResponse, filter and transport-socket `typed_config`, …).
 * Generated code comes from `npm run gen` (scripts/gen-protos.js, docs/adr/0003-envoy-protos.md).
 */
import { createRegistry, type DescMessage, type Registry } from '@bufbuild/protobuf';
import * as wkt from '@bufbuild/protobuf/wkt';
import { ClusterSchema, type Cluster } from '../../gen/envoy/config/cluster/v3/cluster_pb';
import { ClusterLoadAssignmentSchema, type ClusterLoadAssignment } from '../../gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema, type Listener } from '../../gen/envoy/config/listener/v3/listener_pb';
import { RouteConfigurationSchema, type RouteConfiguration } from '../../gen/envoy/config/route/v3/route_pb';
import { SecretSchema, type Secret } from '../../gen/envoy/extensions/transport_sockets/tls/v3/secret_pb';
import { generatedFiles } from '../../gen/files';

/** The prefix Envoy and every xDS server use for type URLs. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** `type.googleapis.com/<full message name>` for a schema (or a full name). */
export function typeUrlOf(schemaOrName: DescMessage | string): string {
  return TYPE_URL_PREFIX + (typeof schemaOrName === 'string' ? schemaOrName : schemaOrName.typeName);
}

/**
 * The full message name a type URL names: the part after the last `/` (as the Any spec says, so
 * any host prefix is accepted). Throws on an empty URL or an empty name.
 */
export function typeNameOf(typeUrl: string): string {
  if (typeUrl === '') throw new Error('empty type URL: expected type.googleapis.com/<message name>');
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (name === '') throw new Error(`type URL "${typeUrl}" names no message: expected type.googleapis.com/<message name>`);
  return name;
}

/** The five resource kinds Skein serves over ADS, by short name. */
export const ResourceSchemas = {
  listener: ListenerSchema,
  routeConfiguration: RouteConfigurationSchema,
  cluster: ClusterSchema,
  clusterLoadAssignment: ClusterLoadAssignmentSchema,
  secret: SecretSchema,
} as const;

export type ResourceKind = keyof typeof ResourceSchemas;

/** The message type of each resource kind. */
export interface ResourceTypes {
  listener: Listener;
  routeConfiguration: RouteConfiguration;
  cluster: Cluster;
  clusterLoadAssignment: ClusterLoadAssignment;
  secret: Secret;
}

/** Resource type URLs, as literal types (usable in `switch` and as map keys). */
export const TypeUrls = {
  listener: `${TYPE_URL_PREFIX}${ListenerSchema.typeName}`,
  routeConfiguration: `${TYPE_URL_PREFIX}${RouteConfigurationSchema.typeName}`,
  cluster: `${TYPE_URL_PREFIX}${ClusterSchema.typeName}`,
  clusterLoadAssignment: `${TYPE_URL_PREFIX}${ClusterLoadAssignmentSchema.typeName}`,
  secret: `${TYPE_URL_PREFIX}${SecretSchema.typeName}`,
} as const satisfies Record<ResourceKind, string>;

export type ResourceTypeUrl = (typeof TypeUrls)[ResourceKind];

const kindByTypeUrl = new Map<string, ResourceKind>(
  (Object.keys(TypeUrls) as ResourceKind[]).map((kind) => [TypeUrls[kind], kind]),
);

/** The resource kind of an xDS type URL, or undefined for a type Skein does not serve. */
export function resourceKindOf(typeUrl: string): ResourceKind | undefined {
  return kindByTypeUrl.get(typeUrl);
}

/** Well-known types that Envoy configs carry inside Any (protobuf-es ships these built in). */
const wellKnownFiles = [
  wkt.file_google_protobuf_any,
  wkt.file_google_protobuf_duration,
  wkt.file_google_protobuf_empty,
  wkt.file_google_protobuf_field_mask,
  wkt.file_google_protobuf_struct,
  wkt.file_google_protobuf_timestamp,
  wkt.file_google_protobuf_wrappers,
];

/**
 * Every message that can appear inside an Any in Skein's configs: all generated Envoy/xds/udpa
 * files (and Skein's own) plus the well-known types.
 */
export function createXdsRegistry(): Registry {
  return createRegistry(...wellKnownFiles, ...generatedFiles);
}

/** The shared registry (built once, read-only). */
export const xdsRegistry: Registry = createXdsRegistry();
