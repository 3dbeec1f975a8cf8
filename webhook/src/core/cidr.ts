/** CIDR validation for capture annotations (no `node:net` in pure cores). */

function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIpv6(text: string): boolean {
  let rest = text;
  let groupsNeeded = 8;
  // An embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
  const lastColon = rest.lastIndexOf(':');
  if (rest.includes('.')) {
    if (!isIpv4(rest.slice(lastColon + 1))) return false;
    rest = rest.slice(0, lastColon + 1) + '0';
    groupsNeeded = 7;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return false;
  const group = /^[0-9a-fA-F]{1,4}$/;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const all = halves.flatMap(groups);
  if (!all.every((g) => group.test(g))) return false;
  return halves.length === 2 ? all.length < groupsNeeded : all.length === groupsNeeded;
}

/** `10.0.0.0/8`, `192.168.1.7/32`, `fd00::/8`; a bare address is not a CIDR. */
export function isCidr(text: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m || !/^(0|[1-9]\d*)$/.test(m[2]!)) return false;
  const prefix = Number(m[2]);
  if (isIpv4(m[1]!)) return prefix <= 32;
  if (isIpv6(m[1]!)) return prefix <= 128;
  return false;
}
