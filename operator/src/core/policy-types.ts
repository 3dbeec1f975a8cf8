/**
 * The traffic-policy types translation reads: exactly the shared CRD types (api/src/crd), which
 * the one validator has admitted before an object reaches the index.
 */
import {
  type AuthorizationOperation, type AuthorizationPolicySpec, type AuthorizationRule, type AuthorizationSource,
  type Destination, type DestinationRuleSpec, type HttpMatchRequest, type HttpRoute, type MtlsMode,
  type PeerAuthenticationSpec, type Subset, type TcpRoute, type TrafficPolicy, type VirtualServiceSpec,
} from '../../../api/src/crd';

export type {
  AuthorizationPolicySpec, Destination, DestinationRuleSpec, HttpMatchRequest, HttpRoute, MtlsMode,
  PeerAuthenticationSpec, Subset, TcpRoute, TrafficPolicy, VirtualServiceSpec,
};
export type AuthzOperation = AuthorizationOperation;
export type AuthzRule = AuthorizationRule;
export type AuthzSource = AuthorizationSource;
export type Headers = NonNullable<HttpRoute['headers']>;
export type StringMatch = NonNullable<HttpMatchRequest['uri']>;
