/**
 * Skein's policy API: the CRD kinds (types), THE validator and the CRD schemas, all derived from
 * the schemas written once with the DSL in ./schema/dsl.ts. See docs/policy-api.md.
 */
export { type FieldError, type Infer } from './schema/dsl';
export { formatPath } from './schema/validate';
export { type OpenApiSchema } from './schema/openapi';
export {
  type AuthorizationPolicy,
  type DestinationRule,
  type KindDefinition,
  type PeerAuthentication,
  type PrinterColumn,
  type SkeinKind,
  type SkeinResource,
  type ValidationResult,
  type VirtualService,
  Kinds,
  NetworkingApiVersion,
  SecurityApiVersion,
  SkeinKinds,
  isSkeinApiVersion,
  kindsByApiVersion,
  validateResource,
} from './resources';
export { type CrdSchema, crdManifests, crdOpenApiSchemas } from './manifests';
export { type Condition, type ObjectMeta, type ResourceStatus } from './metadata';
export { AcceptedCondition, AcceptedReasons, acceptedStatus, formatFieldError, formatFieldErrors } from './status';
export { DefaultClusterDomain, hostMatches, resolveHost } from './hosts';
export { type Destination, type HeaderMatch, type Percent, type QueryParamMatch, type StringMatch, type WorkloadSelector } from './common';
export {
  type Headers,
  type HttpFaultInjection,
  type HttpMatchRequest,
  type HttpRedirect,
  type HttpRetry,
  type HttpRewrite,
  type HttpRoute,
  type HttpRouteDestination,
  type L4MatchAttributes,
  type RouteDestination,
  type TcpRoute,
  type VirtualServiceSpec,
  GrpcStatusNames,
  RetryOnConditions,
} from './virtual-service';
export {
  type ClientTlsSettings,
  type ConnectionPoolSettings,
  type DestinationRuleSpec,
  type LoadBalancerSettings,
  type OutlierDetection,
  type PortTrafficPolicy,
  type Subset,
  type TrafficPolicy,
} from './destination-rule';
export { type MtlsMode, type MutualTls, type PeerAuthenticationSpec } from './peer-authentication';
export {
  type AuthorizationOperation,
  type AuthorizationPolicySpec,
  type AuthorizationRule,
  type AuthorizationSource,
} from './authorization-policy';
export { type LocalRateLimit, RateLimitAnnotation, parseRateLimit } from './rate-limit';
export { HealthCheckAnnotation, type ServiceHealthCheck, parseHealthCheck } from './health-check';
export { type YamlDocument, parseYamlDocuments } from './yaml';
