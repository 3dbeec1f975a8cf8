/** Listener → model (pure): address, kind, filter chains and their network filters. */
import { HttpProtocolOptionsSchema as CoreHttpProtocolOptionsSchema } from '../../../../api/gen/envoy/config/core/v3/protocol_pb';
import { SocketAddressSchema, SocketAddress_Protocol, type Address } from '../../../../api/gen/envoy/config/core/v3/address_pb';
import { TrafficDirection } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import type { ConfigSource } from '../../../../api/gen/envoy/config/core/v3/config_source_pb';
import { FilterChainMatchSchema, FilterChainSchema, FilterSchema, ListenerFilterSchema, type FilterChain, type FilterChainMatch } from '../../../../api/gen/envoy/config/listener/v3/listener_components_pb';
import { ListenerSchema, type Listener } from '../../../../api/gen/envoy/config/listener/v3/listener_pb';
import { HttpInspectorSchema } from '../../../../api/gen/envoy/extensions/filters/listener/http_inspector/v3/http_inspector_pb';
import { OriginalDstSchema } from '../../../../api/gen/envoy/extensions/filters/listener/original_dst/v3/original_dst_pb';
import { TlsInspectorSchema } from '../../../../api/gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb';
import {
  HttpConnectionManagerSchema, HttpConnectionManager_CodecType, HttpConnectionManager_ForwardClientCertDetails, HttpConnectionManager_PathWithEscapedSlashesAction,
  HttpConnectionManager_UpgradeConfigSchema, RdsSchema, type HttpConnectionManager,
} from '../../../../api/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb';
import { RBACSchema as NetworkRbacSchema } from '../../../../api/gen/envoy/extensions/filters/network/rbac/v3/rbac_pb';
import { TcpProxySchema, TcpProxy_WeightedClusterSchema, TcpProxy_WeightedCluster_ClusterWeightSchema, type TcpProxy } from '../../../../api/gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb';
import type * as M from '../../config/model';
import { translateHttpFilters } from './http-filters';
import { translateRbacFilter } from './rbac';
import { translateRouteConfiguration } from './route';
import { downstreamTls } from './tls';
import { at, durationMs, fail, idx, onlyFields, typeNameAt, unpackAt, unsupported } from './fields';

/** What the listener translation needs to know about this proxy. */
export interface ListenerContext {
  /**
   * Local mode: listen port → the service port it stands for (node metadata SKEIN_OUTBOUND_PORTS,
   * `15101=echo.default:8080` gives 15101 → 8080). Needed for explicit outbound listeners.
   */
  explicitOutboundPorts: ReadonlyMap<number, number>;
}

/** Envoy's default idle timeouts: HCM (common_http_protocol_options.idle_timeout) and TCP proxy, both 1 h. */
export const DefaultIdleTimeoutMs = 3_600_000;

export function socketAddress(a: Address | undefined, path: string): { address: string; port: number } {
  if (a?.address.case !== 'socketAddress') fail(path, 'a socket_address is required (pipes and internal addresses are not supported)');
  const s = a.address.value;
  const sp = at(path, 'socket_address');
  onlyFields(SocketAddressSchema, s, sp, ['protocol', 'address', 'port_value']);
  if (s.protocol !== SocketAddress_Protocol.TCP) fail(at(sp, 'protocol'), 'only TCP is supported');
  if (s.portSpecifier.case !== 'portValue') fail(sp, 'port_value is required');
  return { address: s.address, port: s.portSpecifier.value };
}

export function adsSource(c: ConfigSource | undefined, path: string): void {
  if (c && c.configSourceSpecifier.case !== 'ads') fail(path, 'only the ADS stream is supported as config source (ads: {})');
}

const codecs: Partial<Record<HttpConnectionManager_CodecType, M.HttpConnectionManager['codec']>> = {
  [HttpConnectionManager_CodecType.AUTO]: 'auto',
  [HttpConnectionManager_CodecType.HTTP1]: 'http1',
  [HttpConnectionManager_CodecType.HTTP2]: 'http2',
};
const xfcc: Partial<Record<HttpConnectionManager_ForwardClientCertDetails, M.HttpConnectionManager['forwardClientCert']>> = {
  [HttpConnectionManager_ForwardClientCertDetails.SANITIZE]: 'sanitize',
  [HttpConnectionManager_ForwardClientCertDetails.SANITIZE_SET]: 'sanitize-set',
  [HttpConnectionManager_ForwardClientCertDetails.FORWARD_ONLY]: 'forward-only',
  [HttpConnectionManager_ForwardClientCertDetails.APPEND_FORWARD]: 'append-forward',
};

function httpConnectionManager(h: HttpConnectionManager, path: string): M.HttpConnectionManager {
  onlyFields(HttpConnectionManagerSchema, h, path, [
    'codec_type', 'stat_prefix', 'rds', 'route_config', 'http_filters', 'use_remote_address', 'forward_client_cert_details',
    'set_current_client_cert_details', 'max_request_headers_kb', 'request_headers_timeout', 'common_http_protocol_options',
    'stream_idle_timeout', 'upgrade_configs', 'normalize_path', 'merge_slashes', 'path_with_escaped_slashes_action',
  ]);
  if (h.useRemoteAddress) fail(at(path, 'use_remote_address'), 'true is not supported (the sidecar never trusts its own peer address as the client address)');
  const codec = codecs[h.codecType];
  if (!codec) fail(at(path, 'codec_type'), `${HttpConnectionManager_CodecType[h.codecType] ?? h.codecType} is not supported (AUTO, HTTP1, HTTP2)`);
  const forwardClientCert = xfcc[h.forwardClientCertDetails];
  if (!forwardClientCert) fail(at(path, 'forward_client_cert_details'), `${HttpConnectionManager_ForwardClientCertDetails[h.forwardClientCertDetails] ?? h.forwardClientCertDetails} is not supported`);
  const out: M.HttpConnectionManager = { type: 'http', statPrefix: h.statPrefix, codec, forwardClientCert };
  const r = h.routeSpecifier;
  if (r.case === 'rds') {
    onlyFields(RdsSchema, r.value, at(path, 'rds'), ['config_source', 'route_config_name']);
    adsSource(r.value.configSource, at(path, 'rds.config_source'));
    out.rds = r.value.routeConfigName;
  } else if (r.case === 'routeConfig') out.routeConfig = translateRouteConfiguration(r.value, at(path, 'route_config'));
  else fail(path, 'rds or route_config is required (scoped_routes is not supported)');
  out.httpFilters = translateHttpFilters(h.httpFilters, at(path, 'http_filters'));
  if (h.maxRequestHeadersKb !== undefined) out.maxRequestHeadersBytes = h.maxRequestHeadersKb * 1024;
  if (h.requestHeadersTimeout !== undefined) {
    const ms = durationMs(h.requestHeadersTimeout, at(path, 'request_headers_timeout'));
    if (ms === 0) fail(at(path, 'request_headers_timeout'), '0 (no timeout) is not supported');
    out.requestHeadersTimeoutMs = ms;
  }
  // 0 disables it, as in Envoy; absent: the proxy's default (--stream-idle-timeout, 5 min).
  if (h.streamIdleTimeout) out.streamIdleTimeoutMs = durationMs(h.streamIdleTimeout, at(path, 'stream_idle_timeout'));
  const upgrades = upgradeTypes(h, at(path, 'upgrade_configs'));
  if (upgrades) out.upgradeTypes = upgrades;
  const normalization = pathNormalization(h, path);
  if (normalization) out.pathNormalization = normalization;
  out.idleTimeoutMs = DefaultIdleTimeoutMs;
  const common = h.commonHttpProtocolOptions;
  if (common) {
    const cp = at(path, 'common_http_protocol_options');
    onlyFields(CoreHttpProtocolOptionsSchema, common, cp, ['idle_timeout', 'max_headers_count']);
    if (common.idleTimeout) {
      const ms = durationMs(common.idleTimeout, at(cp, 'idle_timeout'));
      if (ms === 0) fail(at(cp, 'idle_timeout'), '0 (no idle timeout) is not supported');
      out.idleTimeoutMs = ms;
    }
    if (common.maxHeadersCount !== undefined) {
      if (common.maxHeadersCount < 1) fail(at(cp, 'max_headers_count'), 'must be at least 1');
      out.maxRequestHeadersCount = common.maxHeadersCount;
    }
  }
  return out;
}

/**
 * upgrade_configs → the upgrade types tunnelled. Proto3 cannot tell an absent list from an empty
 * one, so an empty list keeps the proxy's default (websocket, what Istio configures); to allow
 * none, list websocket with `enabled: false`. Per-upgrade filter chains are not supported.
 */
function upgradeTypes(h: HttpConnectionManager, path: string): string[] | undefined {
  if (h.upgradeConfigs.length === 0) return undefined;
  return h.upgradeConfigs.flatMap((u, i) => {
    const up = idx(path, i);
    onlyFields(HttpConnectionManager_UpgradeConfigSchema, u, up, ['upgrade_type', 'enabled']);
    return u.enabled === false ? [] : [u.upgradeType];
  });
}

const escapedSlashActions: Partial<Record<HttpConnectionManager_PathWithEscapedSlashesAction, M.PathNormalization['escapedSlashes']>> = {
  [HttpConnectionManager_PathWithEscapedSlashesAction.IMPLEMENTATION_SPECIFIC_DEFAULT]: 'keep',
  [HttpConnectionManager_PathWithEscapedSlashesAction.KEEP_UNCHANGED]: 'keep',
  [HttpConnectionManager_PathWithEscapedSlashesAction.REJECT_REQUEST]: 'reject',
  [HttpConnectionManager_PathWithEscapedSlashesAction.UNESCAPE_AND_FORWARD]: 'unescape',
};

/**
 * normalize_path, merge_slashes, path_with_escaped_slashes_action → the path normalization, as
 * Istio sets them for meshConfig.pathNormalization (BASE: normalize_path; MERGE_SLASHES: and
 * merge_slashes; DECODE_AND_MERGE_SLASHES: and UNESCAPE_AND_FORWARD). None of them set: the
 * proxy's default (MERGE_SLASHES), not Envoy's "no normalization".
 */
function pathNormalization(h: HttpConnectionManager, path: string): M.PathNormalization | undefined {
  const action = h.pathWithEscapedSlashesAction;
  if (h.normalizePath === undefined && !h.mergeSlashes && action === HttpConnectionManager_PathWithEscapedSlashesAction.IMPLEMENTATION_SPECIFIC_DEFAULT) return undefined;
  const escapedSlashes = escapedSlashActions[action];
  if (!escapedSlashes) fail(at(path, 'path_with_escaped_slashes_action'), `${HttpConnectionManager_PathWithEscapedSlashesAction[action] ?? action} is not supported (KEEP_UNCHANGED, REJECT_REQUEST, UNESCAPE_AND_FORWARD)`);
  return { rfc3986: h.normalizePath ?? true, mergeSlashes: h.mergeSlashes, escapedSlashes };
}

function tcpProxy(t: TcpProxy, path: string): M.TcpProxy {
  onlyFields(TcpProxySchema, t, path, ['stat_prefix', 'cluster', 'weighted_clusters', 'idle_timeout']);
  const out: M.TcpProxy = { type: 'tcp', statPrefix: t.statPrefix };
  const c = t.clusterSpecifier;
  if (c.case === 'cluster') out.cluster = c.value;
  else if (c.case === 'weightedClusters') {
    const wp = at(path, 'weighted_clusters');
    onlyFields(TcpProxy_WeightedClusterSchema, c.value, wp, ['clusters']);
    out.weightedClusters = c.value.clusters.map((w, i) => {
      onlyFields(TcpProxy_WeightedCluster_ClusterWeightSchema, w, idx(at(wp, 'clusters'), i), ['name', 'weight']);
      return { name: w.name, weight: w.weight };
    });
  } else fail(path, 'cluster or weighted_clusters is required');
  out.idleTimeoutMs = DefaultIdleTimeoutMs;
  if (t.idleTimeout) {
    const ms = durationMs(t.idleTimeout, at(path, 'idle_timeout'));
    if (ms === 0) fail(at(path, 'idle_timeout'), '0 (no idle timeout) is not supported');
    out.idleTimeoutMs = ms;
  }
  return out;
}

/** RBAC filters in front of a TCP proxy, merged: all DENY policies plus at most one ALLOW filter (Envoy runs them in sequence). */
function mergeNetworkRbac(configs: Array<{ config: M.RbacConfig; path: string }>): M.RbacConfig | undefined {
  if (configs.length === 0) return undefined;
  const allowFilters = configs.filter((c) => c.config.policies.some((p) => p.action === 'ALLOW'));
  if (allowFilters.length > 1) fail(allowFilters[1]!.path, 'two ALLOW RBAC filters on one chain cannot be expressed (the proxy evaluates one ALLOW set per TCP chain)');
  const policies = configs.flatMap((c) => c.config.policies);
  const seen = new Set<string>();
  for (const c of configs) for (const p of c.config.policies) {
    if (seen.has(p.name)) fail(c.path, `policy "${p.name}" appears in two RBAC filters of this chain`);
    seen.add(p.name);
  }
  return { policies };
}

function networkFilters(chain: FilterChain, path: string): M.HttpConnectionManager | M.TcpProxy {
  const rbac: Array<{ config: M.RbacConfig; path: string }> = [];
  let terminal: M.HttpConnectionManager | M.TcpProxy | undefined;
  chain.filters.forEach((f, i) => {
    const fp = idx(at(path, 'filters'), i);
    onlyFields(FilterSchema, f, fp, ['name', 'typed_config']);
    if (f.configType.case !== 'typedConfig') fail(fp, `filter ${f.name}: typed_config is required (config_discovery is not supported)`);
    if (terminal) fail(fp, `filter ${f.name} follows the terminal filter`);
    const tp = at(fp, 'typed_config');
    const any = f.configType.value;
    const typeName = typeNameAt(any, tp);
    switch (typeName) {
      case HttpConnectionManagerSchema.typeName:
        if (rbac.length) fail(rbac[0]!.path, 'network RBAC in front of an HTTP connection manager is not supported; use the HTTP RBAC filter');
        terminal = httpConnectionManager(unpackAt(any, HttpConnectionManagerSchema, tp), tp);
        return;
      case TcpProxySchema.typeName:
        terminal = tcpProxy(unpackAt(any, TcpProxySchema, tp), tp);
        return;
      case NetworkRbacSchema.typeName: {
        const r = unpackAt(any, NetworkRbacSchema, tp);
        onlyFields(NetworkRbacSchema, r, tp, ['rules', 'stat_prefix']);
        const config = translateRbacFilter(r.rules, tp);
        if (config) rbac.push({ config, path: fp });
        return;
      }
      default:
        unsupported(fp, 'filter', f.name, typeName);
    }
  });
  if (!terminal) fail(at(path, 'filters'), 'needs a terminal filter (http_connection_manager or tcp_proxy)');
  if (terminal.type === 'tcp') {
    const merged = mergeNetworkRbac(rbac);
    if (merged) terminal.rbac = merged;
  }
  return terminal;
}

/** Application protocols http_inspector reports for plaintext HTTP. */
const httpProtocols = new Set(['http/1.0', 'http/1.1', 'h2c']);

function chainMatch(m: FilterChainMatch | undefined, path: string): M.FilterChainMatch {
  const out: M.FilterChainMatch = {};
  if (!m) return out;
  onlyFields(FilterChainMatchSchema, m, path, ['destination_port', 'prefix_ranges', 'transport_protocol', 'application_protocols']);
  if (m.destinationPort !== undefined) out.destinationPort = m.destinationPort;
  if (m.prefixRanges.length) {
    out.destinationAddresses = m.prefixRanges.map((r, i) => {
      const full = r.addressPrefix.includes(':') ? 128 : 32;
      if (r.prefixLen !== full) fail(at(idx(at(path, 'prefix_ranges'), i), 'prefix_len'), `only single addresses (/${full}) are supported, got /${r.prefixLen ?? 0}`);
      return r.addressPrefix;
    });
  }
  if (m.transportProtocol === 'tls') out.transport = 'tls';
  else if (m.transportProtocol === 'raw_buffer') out.transport = 'plaintext';
  else if (m.transportProtocol !== '') fail(at(path, 'transport_protocol'), `"${m.transportProtocol}" is not supported (tls or raw_buffer)`);
  if (m.applicationProtocols.length) {
    const bad = m.applicationProtocols.find((p) => !httpProtocols.has(p));
    if (bad !== undefined || out.transport === 'tls') fail(at(path, 'application_protocols'), `only plaintext HTTP detection (${[...httpProtocols].join(', ')}) is supported${bad ? `, got "${bad}"` : ''}`);
    if (!m.applicationProtocols.includes('http/1.1') || !m.applicationProtocols.includes('h2c')) fail(at(path, 'application_protocols'), 'must list both http/1.1 and h2c (the proxy detects HTTP as a whole)');
    out.applicationProtocol = 'http';
  }
  return out;
}

function filterChain(c: FilterChain, path: string): M.FilterChain {
  onlyFields(FilterChainSchema, c, path, ['filter_chain_match', 'filters', 'transport_socket', 'name', 'metadata']);
  const tls = downstreamTls(c.transportSocket, at(path, 'transport_socket'));
  // Envoy allows unnamed chains; the model needs a name, so an unnamed chain is named by its position.
  const out: M.FilterChain = { name: c.name || path, match: chainMatch(c.filterChainMatch, at(path, 'filter_chain_match')), filter: networkFilters(c, path) };
  if (tls) out.tls = tls;
  return out;
}

/** Listener filters are capabilities the proxy always has; returns whether original_dst was asked for. */
function listenerFilters(l: Listener, path: string): boolean {
  let originalDst = false;
  l.listenerFilters.forEach((f, i) => {
    const fp = idx(path, i);
    onlyFields(ListenerFilterSchema, f, fp, ['name', 'typed_config']);
    if (f.configType.case !== 'typedConfig') fail(fp, `listener filter ${f.name}: typed_config is required`);
    const tp = at(fp, 'typed_config');
    const any = f.configType.value;
    const typeName = typeNameAt(any, tp);
    if (typeName === TlsInspectorSchema.typeName) onlyFields(TlsInspectorSchema, unpackAt(any, TlsInspectorSchema, tp), tp, []);
    else if (typeName === HttpInspectorSchema.typeName) onlyFields(HttpInspectorSchema, unpackAt(any, HttpInspectorSchema, tp), tp, []);
    else if (typeName === OriginalDstSchema.typeName) {
      onlyFields(OriginalDstSchema, unpackAt(any, OriginalDstSchema, tp), tp, []);
      originalDst = true;
    } else unsupported(fp, 'listener filter', f.name, typeName);
  });
  return originalDst;
}

export function translateListener(l: Listener, ctx: ListenerContext): M.Listener {
  onlyFields(ListenerSchema, l, '', ['name', 'address', 'stat_prefix', 'filter_chains', 'use_original_dst', 'default_filter_chain', 'metadata', 'listener_filters', 'traffic_direction', 'bind_to_port']);
  if (l.bindToPort === false) fail('bind_to_port', 'false is not supported (every listener binds its address)');
  const { address, port } = socketAddress(l.address, 'address');
  const originalDst = listenerFilters(l, 'listener_filters') || l.useOriginalDst === true;
  let kind: M.ListenerKind;
  let destinationPort: number | undefined;
  if (l.trafficDirection === TrafficDirection.INBOUND) {
    kind = 'inbound';
    // Without original_dst (local mode) the listener's own port is the destination.
    if (!originalDst) destinationPort = port;
  } else if (l.trafficDirection === TrafficDirection.OUTBOUND) {
    if (originalDst) kind = 'outbound-transparent';
    else {
      kind = 'outbound-explicit';
      destinationPort = ctx.explicitOutboundPorts.get(port);
      if (destinationPort === undefined) fail('address', `explicit outbound listener on port ${port}: this proxy did not ask for it (node metadata SKEIN_OUTBOUND_PORTS has no entry ${port}=HOST:PORT)`);
    }
  } else return fail('traffic_direction', 'must be INBOUND or OUTBOUND (the proxy needs to know which side a listener serves)');
  const out: M.Listener = {
    name: l.name,
    address,
    port,
    kind,
    filterChains: l.filterChains.map((c, i) => filterChain(c, idx('filter_chains', i))),
  };
  if (destinationPort !== undefined) out.destinationPort = destinationPort;
  if (l.defaultFilterChain) out.defaultChain = filterChain(l.defaultFilterChain, 'default_filter_chain');
  return out;
}

/** Route configuration names the listener's HTTP connection managers ask for over RDS (each once; chains share them). */
export function rdsNames(l: M.Listener): string[] {
  const chains = l.defaultChain ? [...l.filterChains, l.defaultChain] : l.filterChains;
  return [...new Set(chains.flatMap((c) => (c.filter.type === 'http' && c.filter.rds !== undefined ? [c.filter.rds] : [])))];
}
