/**
 * Offline check of Envoy resources against the proxy (what `skein proxy xds-check` prints): each
 * resource translated on its own, then the whole set pushed through the ADS state machine in ADS
 * order to the snapshot the proxy would apply. No sockets, no clock.
 */
import { create, type JsonValue } from '@bufbuild/protobuf';
import { AnySchema, type Any } from '@bufbuild/protobuf/wkt';
import { DiscoveryResponseSchema } from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { fromConfigJson } from '../../../api/src/xds/json';
import type { ProxyConfig } from '../config/model';
import { AdsState } from './core/ads-state';
import { buildNode, explicitOutboundPorts, nodeInfo, type NodeSettings } from './core/node';
import { ResourceError, ResourceLabels, SubscribedTypes, isSubscribedType, translateResources, type SubscribedType } from './core/resources';

export class CheckInputError extends Error {
  override name = 'CheckInputError';
}

export interface CheckResult {
  /** One line per resource (`OK Listener virtualInbound` or `NACK <reason>`), then the snapshot verdict. */
  lines: string[];
  nacks: number;
  config?: ProxyConfig;
}

type Json = { [k: string]: JsonValue };

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Accepts `skein proxy-config` output (`{ configs: [{ type_url, resources }] }`), an array of
 * resources, or one resource; every resource is proto3 JSON with its `@type`.
 */
export function parseResources(json: unknown): Map<SubscribedType, Any[]> {
  let list: unknown[];
  if (isObject(json) && Array.isArray(json.configs)) {
    list = json.configs.flatMap((c, i) => {
      if (!isObject(c) || !Array.isArray(c.resources)) throw new CheckInputError(`configs[${i}]: expected { type_url, resources: [...] }`);
      return c.resources;
    });
  } else if (Array.isArray(json)) list = json;
  else if (isObject(json) && typeof json['@type'] === 'string') list = [json];
  else throw new CheckInputError('expected skein proxy-config output ({ configs: [...] }), an array of resources, or one resource with "@type"');
  const out = new Map<SubscribedType, Any[]>();
  list.forEach((r, i) => {
    if (!isObject(r) || typeof r['@type'] !== 'string') throw new CheckInputError(`resource ${i}: expected an object with "@type"`);
    const typeUrl = r['@type'];
    if (!isSubscribedType(typeUrl)) throw new CheckInputError(`resource ${i}: type ${typeUrl} is not one the proxy subscribes to (${SubscribedTypes.join(', ')})`);
    let any: Any;
    try {
      any = fromConfigJson(AnySchema, r);
    } catch (err) {
      throw new CheckInputError(`resource ${i}: ${(err as Error).message}`);
    }
    out.set(typeUrl, [...(out.get(typeUrl) ?? []), any]);
  });
  return out;
}

export function checkResources(groups: Map<SubscribedType, Any[]>, node: NodeSettings): CheckResult {
  const lines: string[] = [];
  let nacks = 0;
  const ctx = { explicitOutboundPorts: explicitOutboundPorts(node.outboundPorts) };
  for (const typeUrl of SubscribedTypes) {
    for (const any of groups.get(typeUrl) ?? []) {
      try {
        const [t] = translateResources(typeUrl, [any], ctx);
        lines.push(`OK   ${ResourceLabels[typeUrl]} ${t!.name}`);
      } catch (err) {
        if (!(err instanceof ResourceError)) throw err;
        nacks += 1;
        lines.push(`NACK ${err.message}`);
      }
    }
  }
  if (nacks > 0) return { lines: [...lines, `snapshot: not applied (${nacks} resource${nacks === 1 ? '' : 's'} would be NACKed)`], nacks };
  const state = new AdsState({ node: buildNode(node), nodeInfo: nodeInfo(node), listenerContext: ctx, now: () => 0 });
  state.streamStart();
  for (const typeUrl of SubscribedTypes) {
    const step = state.onResponse(create(DiscoveryResponseSchema, { typeUrl, versionInfo: 'check', nonce: typeUrl, resources: groups.get(typeUrl) ?? [] }));
    if (step.kind === 'nack') return { lines: [...lines, `snapshot: NACK ${step.message}`], nacks: nacks + 1 };
    step.commit();
  }
  const missing = state.missing();
  if (missing.length) {
    lines.push(`snapshot: missing ${missing.join(', ')} (applied after the initial fetch timeout as empty)`);
    const step = state.expireMissing();
    if (step.kind === 'accept') step.commit();
  }
  const config = state.config;
  const waiting = state.snapshotStatus().waitingFor;
  if (!config) return { lines: [...lines, `snapshot: not applied: ${waiting ?? 'incomplete'}`], nacks: nacks + 1 };
  lines.push(`snapshot: OK — ${config.listeners.length} listeners, ${config.routeConfigs.length} route configurations, ${config.clusters.length} clusters, ${config.endpoints.reduce((n, e) => n + e.endpoints.length, 0)} endpoints`);
  return { lines, nacks, config };
}
