/**
 * Consistent-hash session affinity by cookie, Envoy's hash_policy.cookie: when the request has no
 * such cookie and the policy has a `ttl`, the proxy makes up a value, hashes the request with it,
 * and sets the cookie on the response so the client's next requests land on the same endpoint.
 * A zero ttl makes a session cookie (no Max-Age). Without a ttl nothing is generated (Envoy).
 * Pure: randomness is passed in.
 */

export interface CookiePolicy {
  name: string;
  path?: string;
  ttlMs?: number;
}

export function generateSessionCookie(policy: CookiePolicy, random: () => number): { value: string; setCookie: string } | undefined {
  if (policy.ttlMs === undefined) return undefined;
  let value = '';
  for (let i = 0; i < 4; i++) value += Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  const parts = [`${policy.name}="${value}"`];
  if (policy.ttlMs > 0) parts.push(`Max-Age=${Math.floor(policy.ttlMs / 1000)}`);
  if (policy.path) parts.push(`Path=${policy.path}`);
  parts.push('HttpOnly');
  return { value, setCookie: parts.join('; ') };
}

/** The value of cookie `name` in a Cookie header (quotes around the value removed). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}
