/**
 * Filter chain selection (pure), Envoy's most-specific-match: among chains whose every set field
 * matches, prefer one that matches the destination port, then the destination address, then the
 * transport, then the application protocol; ties go to the first chain in the list.
 */
import type { FilterChain, FilterChainMatch } from '../config/model';

export interface ConnectionFacts {
  destinationAddress?: string;
  destinationPort?: number;
  transport?: 'tls' | 'plaintext';
  applicationProtocol?: 'http' | 'tcp';
}

export function selectFilterChain(chains: readonly FilterChain[], facts: ConnectionFacts): FilterChain | undefined {
  let best: FilterChain | undefined;
  let bestScore = -1;
  for (const c of chains) {
    const score = chainScore(c.match, facts);
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

function chainScore(m: FilterChainMatch, f: ConnectionFacts): number {
  let score = 0;
  if (m.destinationPort !== undefined) {
    if (m.destinationPort !== f.destinationPort) return -1;
    score += 8;
  }
  if (m.destinationAddresses !== undefined) {
    if (f.destinationAddress === undefined || !m.destinationAddresses.includes(normalizeIp(f.destinationAddress))) return -1;
    score += 4;
  }
  if (m.transport !== undefined) {
    if (m.transport !== f.transport) return -1;
    score += 2;
  }
  if (m.applicationProtocol !== undefined) {
    if (m.applicationProtocol !== f.applicationProtocol) return -1;
    score += 1;
  }
  return score;
}

/** `::ffff:10.0.0.1` (a v4 peer on a dual-stack socket) → `10.0.0.1`. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Whether selecting a chain for these chains needs the first bytes of the connection. */
export function needsSniffing(chains: readonly FilterChain[]): { transport: boolean; applicationProtocol: boolean } {
  return {
    transport: chains.some((c) => c.match.transport !== undefined),
    applicationProtocol: chains.some((c) => c.match.applicationProtocol !== undefined),
  };
}
