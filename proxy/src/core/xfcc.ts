/**
 * x-forwarded-client-cert, Envoy format: `By=<own SPIFFE id>;Hash=<sha256 of peer cert>;URI=<peer SPIFFE id>`.
 * Values with `,;="` are quoted. Pure: the caller passes ids and the hash.
 */

export function formatXfcc(parts: { by?: string; hash?: string; uri?: string }): string {
  const out: string[] = [];
  if (parts.by) out.push(`By=${quote(parts.by)}`);
  if (parts.hash) out.push(`Hash=${quote(parts.hash)}`);
  if (parts.uri) out.push(`URI=${quote(parts.uri)}`);
  return out.join(';');
}

function quote(v: string): string {
  return /[,;="]/.test(v) ? `"${v.replace(/"/g, '\\"')}"` : v;
}

/** Parses one XFCC element (`By=…;URI=…`) into lower-cased keys; used by tests and apps. */
export function parseXfcc(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z]+)=("(?:[^"\\]|\\.)*"|[^;,]*)/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const v = m[2]!;
    out[m[1]!.toLowerCase()] = v.startsWith('"') ? v.slice(1, -1).replace(/\\"/g, '"') : v;
  }
  return out;
}
