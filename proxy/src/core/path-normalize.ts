/**
 * THE request-target rule (pure): what routing, RBAC and the upstream see of a request's path,
 * computed once per request before anything looks at it. Istio's `meshConfig.pathNormalization`
 * (Envoy's `normalize_path`, `merge_slashes`, `path_with_escaped_slashes_action`):
 *
 * - `rfc3986` (Istio BASE): percent-encoded unreserved characters decoded (`%61` → `a`, `%2e` →
 *   `.`), other escapes upper-cased, `\` → `/`, dot segments removed (`/a/./b/../c` → `/a/c`);
 * - `mergeSlashes` (Istio MERGE_SLASHES): `//` → `/`;
 * - `escapedSlashes`: `%2F`/`%5C` kept (default), decoded (`unescape`, Istio
 *   DECODE_AND_MERGE_SLASHES), or the request refused (`reject`).
 *
 * Always, whatever the options: `%00`, a malformed escape, a fragment, a control or non-ASCII byte
 * in the path, and a dot segment carrying parameters (`..;x`, which servlet containers resolve as
 * `..`) refuse the request (400). An absolute-form target (`GET http://host/p`) is reduced to its
 * path, and its authority replaces Host (RFC 9112 §3.2.2). The query string is never changed.
 *
 *   normalizeTarget('/a/%2e%2e/admin?x', 'GET', MergeSlashes) → { ok: true, path: '/admin?x' }
 */
import type { PathNormalization } from '../config/model';

export type NormalizedTarget = { ok: true; path: string; authority?: string } | { ok: false; reason: string };

/** Istio's presets, by their meshConfig names. */
export const PathNormalizations = {
  NONE: { rfc3986: false, mergeSlashes: false, escapedSlashes: 'keep' },
  BASE: { rfc3986: true, mergeSlashes: false, escapedSlashes: 'keep' },
  MERGE_SLASHES: { rfc3986: true, mergeSlashes: true, escapedSlashes: 'keep' },
  DECODE_AND_MERGE_SLASHES: { rfc3986: true, mergeSlashes: true, escapedSlashes: 'unescape' },
} as const satisfies Record<string, PathNormalization>;

/**
 * Skein's default: Istio's MERGE_SLASHES. Istio's own default (BASE) leaves `//admin` unmerged,
 * which its security guide calls out (CVE-2021-31920) and recommends against.
 */
export const DefaultPathNormalization: PathNormalization = PathNormalizations.MERGE_SLASHES;

const refuse = (reason: string): NormalizedTarget => ({ ok: false, reason });

// RFC 3986 unreserved: ALPHA DIGIT - . _ ~
const unreserved = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~') unreserved[c.charCodeAt(0)] = 1;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** `authority-form` for CONNECT, `*` for OPTIONS, absolute-form, or origin-form (`/…`). */
export function normalizeTarget(target: string, method: string, n: PathNormalization): NormalizedTarget {
  if (method === 'CONNECT') return target.includes('/') ? refuse('CONNECT needs an authority-form target') : { ok: true, path: target, authority: target };
  if (target === '*') return method === 'OPTIONS' ? { ok: true, path: '*' } : refuse('"*" is only for OPTIONS');
  let authority: string | undefined;
  let path = target;
  const c0 = target.charCodeAt(0);
  if (c0 !== 0x2f /* / */ && c0 !== 0x5c /* \ */) {
    const abs = /^https?:\/\/([^/?#\\]*)(.*)$/i.exec(target);
    if (!abs) return refuse('request target is not a path');
    authority = abs[1]!;
    if (authority === '' || authority.includes('@')) return refuse('absolute-form target without a plain authority');
    path = abs[2] === '' || abs[2]!.startsWith('?') ? `/${abs[2]}` : abs[2]!;
    if (path.charCodeAt(0) !== 0x2f && path.charCodeAt(0) !== 0x5c) return refuse('request target is not a path');
  }
  const q = path.indexOf('?');
  const only = q < 0 ? path : path.slice(0, q);
  const query = q < 0 ? '' : path.slice(q);
  const normalized = normalizePath(only, n);
  if (typeof normalized !== 'string') return normalized;
  if (query.includes('#') || !visibleAscii(query)) return refuse(query.includes('#') ? 'fragment in request target' : 'invalid byte in query');
  const out = normalized === only ? path : normalized + query;
  return authority === undefined ? { ok: true, path: out } : { ok: true, path: out, authority };
}

function visibleAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/** The path (no query) normalized, or the refusal. One scan when nothing needs doing. */
function normalizePath(p: string, n: PathNormalization): string | NormalizedTarget {
  let work = false;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return refuse('invalid byte in path');
    if (c === 0x23 /* # */) return refuse('fragment in request target');
    if (c === 0x25 /* % */ || c === 0x5c /* \ */ || c === 0x3b /* ; */) work = true;
    else if (c === 0x2f /* / */ && i + 1 < p.length) {
      const d = p.charCodeAt(i + 1);
      if (d === 0x2f || d === 0x2e /* . */) work = true;
    }
  }
  if (!work) return p;
  const decoded = decodeEscapes(p, n);
  if (typeof decoded !== 'string') return decoded;
  let out = n.rfc3986 ? decoded.replace(/\\/g, '/') : decoded;
  const ambiguous = dotSegmentWithParameters(out);
  if (ambiguous) return refuse(`ambiguous path segment "${ambiguous}"`);
  if (n.rfc3986) out = removeDotSegments(out);
  if (n.mergeSlashes) out = out.replace(/\/{2,}/g, '/');
  return out;
}

/** Checks every escape; decodes what the options say (unreserved, and escaped slashes when asked). */
function decodeEscapes(p: string, n: PathNormalization): string | NormalizedTarget {
  if (!p.includes('%')) return p;
  let out = '';
  let from = 0;
  for (let i = p.indexOf('%'); i >= 0; i = p.indexOf('%', i)) {
    const hi = hexValue(p.charCodeAt(i + 1));
    const lo = hexValue(p.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return refuse('malformed percent-encoding in path');
    const v = hi * 16 + lo;
    if (v === 0) return refuse('%00 in path');
    // Kept escapes are upper-cased under RFC 3986 normalization (§6.2.2.1), left alone otherwise.
    let replacement = n.rfc3986 ? `%${p.slice(i + 1, i + 3).toUpperCase()}` : p.slice(i, i + 3);
    if (v === 0x2f || v === 0x5c) {
      if (n.escapedSlashes === 'reject') return refuse('escaped slash in path');
      if (n.escapedSlashes === 'unescape') replacement = String.fromCharCode(v);
    } else if (n.rfc3986 && v < 0x80 && unreserved[v] === 1) {
      replacement = String.fromCharCode(v);
    }
    out += p.slice(from, i) + replacement;
    i += 3;
    from = i;
  }
  return out + p.slice(from);
}

/** A segment that is `.` or `..` followed by `;parameters` (resolved as a dot segment by some servers). */
function dotSegmentWithParameters(p: string): string | undefined {
  if (!p.includes(';')) return undefined;
  for (const seg of p.split('/')) {
    const semi = seg.indexOf(';');
    if (semi < 0) continue;
    const name = seg.slice(0, semi);
    if (name === '.' || name === '..') return seg;
  }
  return undefined;
}

/** RFC 3986 §5.2.4 remove_dot_segments, on an absolute path. */
export function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  // segments[0] is '' (the path starts with '/').
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(s);
    }
  }
  return `/${out.join('/')}`;
}
