/**
 * The downward API: what `fieldRef` and `resourceFieldRef` resolve to, for env vars and for
 * downwardAPI volume files, as the kubelet computes them (pkg/kubelet/kubelet_pods.go
 * podFieldSelectorRuntimeValue, pkg/fieldpath, pkg/api/v1/resource).
 */
import { parseQuantity } from './quantity';
import { type Container, type Pod } from './types';

/** What only the node knows about a pod when it resolves a field. */
export interface RuntimeFields {
  podIPs: readonly string[];
  hostIPs: readonly string[];
}

/** Node allocatable: the value of a limit the container does not set. */
export interface Allocatable {
  cpu: number;
  memory: number;
  ephemeralStorage: number;
}

const subscripted = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/**
 * The value of `fieldPath` for `pod`. `forVolume` allows whole-map paths (`metadata.labels`,
 * `metadata.annotations`), which env vars may not use.
 */
export function fieldValue(pod: Pod, fieldPath: string, runtime: RuntimeFields, forVolume = false): string {
  const meta = pod.metadata ?? {};
  const sub = subscripted.exec(fieldPath);
  if (sub) {
    const map = (sub[1] === 'labels' ? meta.labels : meta.annotations) ?? {};
    return map[sub[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return runtime.podIPs[0] ?? '';
    case 'status.podIPs': return runtime.podIPs.join(',');
    case 'status.hostIP': return runtime.hostIPs[0] ?? '';
    case 'status.hostIPs': return runtime.hostIPs.join(',');
    case 'metadata.labels':
    case 'metadata.annotations':
      if (forVolume) return formatMap((fieldPath === 'metadata.labels' ? meta.labels : meta.annotations) ?? {});
  }
  throw new Error(`unsupported fieldPath "${fieldPath}"${forVolume ? '' : ' for an environment variable'}`);
}

/** `key="value"` lines sorted by key, values quoted like Go's %q, no trailing newline (fieldpath.FormatMap). */
export function formatMap(map: Readonly<Record<string, string>>): string {
  return Object.keys(map).sort().map((k) => `${k}=${goQuote(map[k]!)}`).join('\n');
}

/** Go's strconv.Quote: printable characters as they are, the rest escaped. */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (named[ch]) out += named[ch];
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/**
 * The value of a `resourceFieldRef` (`limits.cpu`, `requests.memory`, …) for `container`, divided
 * by `divisor` and rounded up. A limit the container does not set is the node's allocatable.
 */
export function resourceValue(container: Container, resource: string, divisor: string | number | undefined, allocatable: Allocatable): string {
  const m = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/.exec(resource);
  if (!m) throw new Error(`unsupported resource "${resource}" (use limits.cpu, limits.memory, limits.ephemeral-storage or the same under requests)`);
  const [, kind, name] = m as unknown as [string, 'limits' | 'requests', 'cpu' | 'memory' | 'ephemeral-storage'];
  const declared = container.resources?.[kind]?.[name];
  const fallback = kind === 'limits' ? { cpu: allocatable.cpu, memory: allocatable.memory, 'ephemeral-storage': allocatable.ephemeralStorage }[name] : 0;
  const value = declared === undefined ? fallback : parseQuantity(declared);
  const div = parseQuantity(divisor ?? 1);
  if (div <= 0) throw new Error(`resourceFieldRef divisor must be positive, got "${divisor}"`);
  // CPU is compared in millicores as the kubelet does, so `divisor: 1m` is exact.
  const result = name === 'cpu' ? Math.ceil(Math.round(value * 1000) / Math.round(div * 1000)) : Math.ceil(value / div);
  return String(result);
}
