/** The xDS types the control plane serves, for both protocols. */
import { TypeUrls, type XdsTypeUrl, XdsTypeOrder } from '../core/translate/envoy';

/** State of the world: CDS and LDS without names are wildcard subscriptions. */
export const wildcardTypes = new Set<string>([TypeUrls.cluster, TypeUrls.listener]);

export function isServedType(typeUrl: string): typeUrl is XdsTypeUrl {
  return (XdsTypeOrder as readonly string[]).includes(typeUrl);
}
