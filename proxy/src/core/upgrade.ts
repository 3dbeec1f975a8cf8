/**
 * THE upgrade rule (pure), Envoy's `upgrade_configs`: what to do with a request that asks to
 * switch protocols (`Connection: upgrade` + `Upgrade: X`, or the CONNECT method).
 *
 * - `tunnel`: X is a configured upgrade type (default: `websocket`, as Istio configures every
 *   listener). The request is routed, authorized and forwarded like any other; the connection
 *   becomes a tunnel only when the upstream answers 101 (a 2xx for CONNECT). Any other answer is
 *   a normal response and the connection stays HTTP, request by request.
 * - `strip`: `Upgrade: h2c` (an HTTP/1.1 → h2c switch the proxy does not offer): the request goes
 *   on as a plain request without Upgrade and HTTP2-Settings, as Envoy's codec does.
 * - `refuse`: any other upgrade, and CONNECT unless configured: 403, as Envoy.
 */

export type UpgradeDecision = { kind: 'none' } | { kind: 'strip' } | { kind: 'tunnel'; type: string } | { kind: 'refuse'; type: string };

/** Envoy's default: upgrade_configs with websocket (what Istio sets on every HTTP connection manager). */
export const DefaultUpgradeTypes: readonly string[] = ['websocket'];

const none: UpgradeDecision = { kind: 'none' };

/** `connection` and `upgrade` are the request's header values (lists joined, any case). */
export function upgradeDecision(method: string, connection: string | undefined, upgrade: string | undefined, allowed: readonly string[]): UpgradeDecision {
  if (method === 'CONNECT') return allowed.some((t) => t.toUpperCase() === 'CONNECT') ? { kind: 'tunnel', type: 'CONNECT' } : { kind: 'refuse', type: 'CONNECT' };
  if (upgrade === undefined || connection === undefined) return none;
  if (!tokens(connection).includes('upgrade')) return none;
  const offered = tokens(upgrade);
  if (offered.length === 0) return none;
  if (offered.every((t) => t === 'h2c')) return { kind: 'strip' };
  const type = offered.length === 1 ? allowed.find((t) => t.toLowerCase() === offered[0]) : undefined;
  return type === undefined ? { kind: 'refuse', type: offered.join(',') } : { kind: 'tunnel', type };
}

/** The response that switches a tunnel on: 101 to an Upgrade, a 2xx to CONNECT. */
export function switchesProtocols(method: string, status: number): boolean {
  return method === 'CONNECT' ? status >= 200 && status < 300 : status === 101;
}

function tokens(list: string): string[] {
  return list.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '');
}
