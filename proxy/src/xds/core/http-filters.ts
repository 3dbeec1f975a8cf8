/** HTTP filters of an HttpConnectionManager → model (pure): fault → rbac → local_ratelimit → router. */
import { FaultDelaySchema } from '../../../../api/gen/envoy/extensions/filters/common/fault/v3/fault_pb';
import { FaultAbortSchema, HTTPFaultSchema, type HTTPFault } from '../../../../api/gen/envoy/extensions/filters/http/fault/v3/fault_pb';
import { LocalRateLimitSchema, type LocalRateLimit } from '../../../../api/gen/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit_pb';
import { RBACSchema as HttpRbacSchema } from '../../../../api/gen/envoy/extensions/filters/http/rbac/v3/rbac_pb';
import { RouterSchema } from '../../../../api/gen/envoy/extensions/filters/http/router/v3/router_pb';
import { HttpFilterSchema, type HttpFilter } from '../../../../api/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb';
import { TokenBucketSchema } from '../../../../api/gen/envoy/type/v3/token_bucket_pb';
import type { RuntimeFractionalPercent } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import type * as M from '../../config/model';
import { translateRbacFilter } from './rbac';
import { at, durationMs, fail, fractionToPercent, idx, onlyFields, typeNameAt, unpackAt, unsupported } from './fields';

/** HTTPFault (filter config or per-route override) → FaultPolicy. Unset percentages are 0 %, as in the proto. */
export function translateFault(f: HTTPFault, path: string): M.FaultPolicy {
  onlyFields(HTTPFaultSchema, f, path, ['delay', 'abort']);
  const out: M.FaultPolicy = {};
  if (f.delay) {
    const dp = at(path, 'delay');
    onlyFields(FaultDelaySchema, f.delay, dp, ['fixed_delay', 'percentage']);
    const s = f.delay.faultDelaySecifier;
    if (s.case !== 'fixedDelay') fail(dp, 'only fixed_delay is supported');
    out.delay = { fixedDelayMs: durationMs(s.value, at(dp, 'fixed_delay')), percent: fractionToPercent(f.delay.percentage, at(dp, 'percentage'), 0) };
  }
  if (f.abort) {
    const ap = at(path, 'abort');
    onlyFields(FaultAbortSchema, f.abort, ap, ['http_status', 'grpc_status', 'percentage']);
    const e = f.abort.errorType;
    const percent = fractionToPercent(f.abort.percentage, at(ap, 'percentage'), 0);
    if (e.case === 'httpStatus') out.abort = { httpStatus: e.value, percent };
    else if (e.case === 'grpcStatus') out.abort = { grpcStatus: e.value, percent };
    else fail(ap, 'http_status or grpc_status is required (header_abort is not supported)');
  }
  return out;
}

/** 100 % of requests, or unset (undefined). Anything in between cannot be expressed. */
function allOrNothing(r: RuntimeFractionalPercent | undefined, path: string): boolean | undefined {
  if (r === undefined) return undefined;
  const p = fractionToPercent(r.defaultValue, at(path, 'default_value'), 0);
  if (p !== 0 && p !== 100) fail(at(path, 'default_value'), `${p} % cannot be expressed (0 or 100)`);
  return p === 100;
}

/** Envoy: filter_enabled/filter_enforced default to 0 %, so an unset one makes the filter a no-op (undefined). */
function localRateLimit(l: LocalRateLimit, path: string): M.LocalRateLimit | undefined {
  onlyFields(LocalRateLimitSchema, l, path, ['stat_prefix', 'token_bucket', 'filter_enabled', 'filter_enforced']);
  const enabled = allOrNothing(l.filterEnabled, at(path, 'filter_enabled'));
  const enforced = allOrNothing(l.filterEnforced, at(path, 'filter_enforced'));
  if (!enabled || !enforced) return undefined;
  const bp = at(path, 'token_bucket');
  if (!l.tokenBucket) fail(bp, 'is required when the filter is enabled and enforced');
  onlyFields(TokenBucketSchema, l.tokenBucket, bp, ['max_tokens', 'tokens_per_fill', 'fill_interval']);
  if (!l.tokenBucket.fillInterval) fail(at(bp, 'fill_interval'), 'is required');
  return { maxTokens: l.tokenBucket.maxTokens, tokensPerFill: l.tokenBucket.tokensPerFill ?? 1, fillIntervalMs: durationMs(l.tokenBucket.fillInterval, at(bp, 'fill_interval')) };
}

/** The filters in order; filters that are no-ops in Envoy (RBAC without rules, disabled rate limit, optional unknown) are left out. */
export function translateHttpFilters(filters: HttpFilter[], path: string): M.HttpFilter[] {
  const out: M.HttpFilter[] = [];
  filters.forEach((f, i) => {
    const fp = idx(path, i);
    onlyFields(HttpFilterSchema, f, fp, ['name', 'typed_config', 'is_optional']);
    if (f.configType.case !== 'typedConfig') fail(fp, `filter ${f.name}: typed_config is required (config_discovery is not supported)`);
    const tp = at(fp, 'typed_config');
    const any = f.configType.value;
    const typeName = typeNameAt(any, tp);
    switch (typeName) {
      case RouterSchema.typeName:
        onlyFields(RouterSchema, unpackAt(any, RouterSchema, tp), tp, []);
        out.push({ type: 'router' });
        return;
      case HTTPFaultSchema.typeName:
        out.push({ type: 'fault', fault: translateFault(unpackAt(any, HTTPFaultSchema, tp), tp) });
        return;
      case HttpRbacSchema.typeName: {
        const r = unpackAt(any, HttpRbacSchema, tp);
        onlyFields(HttpRbacSchema, r, tp, ['rules', 'rules_stat_prefix']);
        const rbac = translateRbacFilter(r.rules, tp);
        if (rbac) out.push({ type: 'rbac', rbac });
        return;
      }
      case LocalRateLimitSchema.typeName: {
        const rateLimit = localRateLimit(unpackAt(any, LocalRateLimitSchema, tp), tp);
        if (rateLimit) out.push({ type: 'local-rate-limit', rateLimit });
        return;
      }
      default:
        // Envoy skips an optional filter it does not know; so does the proxy.
        if (f.isOptional) return;
        unsupported(fp, 'HTTP filter', f.name, typeName);
    }
  });
  return out;
}
