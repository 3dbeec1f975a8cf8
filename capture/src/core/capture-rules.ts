/**
 * The iptables rules of `skein init-network`, built as data (docs/traffic-capture.md).
 *
 * Everything here is pure: a validated CaptureConfig (plus, for apply and cleanup, the current
 * `iptables-save -t nat` text) goes in, rules and `iptables-restore --noflush` scripts come out.
 * The io module (capture/src/iptables.ts) runs the binaries, for `skein init-network` in the pod and
 * for the CNI agent (cni/) in the pod's network namespace.
 */
import { ExcludedInboundPorts, InboundPassthroughSource, InboundPassthroughSourceV6, ProxyGid, ProxyPorts, ProxyUid } from '../../../api/src/names';

import { type Cidr, type IpFamily } from '../../../api/src/net';

export type { Cidr, IpFamily };

export interface CaptureConfig {
  proxyUid: number;
  proxyGid: number;
  /** REDIRECT target for traffic entering the pod. */
  inboundCapturePort: number;
  /** REDIRECT target for traffic leaving the pod. */
  outboundCapturePort: number;
  /** `*`: every inbound port except the excluded ones; a list: only these. */
  includeInboundPorts: '*' | readonly number[];
  /** Never captured inbound (the proxy's own ports are always added, see alwaysExcludedInboundPorts). */
  excludeInboundPorts: readonly number[];
  excludeOutboundPorts: readonly number[];
  /** `*`: every destination; a list: only these destinations are redirected. */
  includeOutboundCidrs: '*' | readonly Cidr[];
  excludeOutboundCidrs: readonly Cidr[];
}

/** The chains Skein owns in the nat table; nothing else is ever flushed or deleted. */
export const CaptureChains = {
  inbound: 'SKEIN_INBOUND',
  inRedirect: 'SKEIN_IN_REDIRECT',
  output: 'SKEIN_OUTPUT',
  redirect: 'SKEIN_REDIRECT',
} as const;
const ownChains: readonly string[] = [CaptureChains.inbound, CaptureChains.inRedirect, CaptureChains.output, CaptureChains.redirect];
/** Every chain with this prefix is Skein's (also chains of older versions, removed by cleanup). */
export const OwnChainPrefix = 'SKEIN_';

export { InboundPassthroughSourceV6 };

/**
 * The proxy's own externally reachable ports (agent, health, Prometheus). They are excluded from
 * inbound capture whatever the flags say: capturing them would break kubelet probes and scraping.
 */
export const alwaysExcludedInboundPorts: readonly number[] = ExcludedInboundPorts;

export const defaultCaptureConfig: CaptureConfig = {
  proxyUid: ProxyUid,
  proxyGid: ProxyGid,
  inboundCapturePort: ProxyPorts.inbound,
  outboundCapturePort: ProxyPorts.outbound,
  includeInboundPorts: '*',
  excludeInboundPorts: ExcludedInboundPorts,
  excludeOutboundPorts: [],
  includeOutboundCidrs: '*',
  excludeOutboundCidrs: [],
};

const familyAddresses: Record<IpFamily, { loopback: string; passthroughSource: string }> = {
  ipv4: { loopback: '127.0.0.1/32', passthroughSource: `${InboundPassthroughSource}/32` },
  ipv6: { loopback: '::1/128', passthroughSource: `${InboundPassthroughSourceV6}/128` },
};

/** One rule: `-A <chain> <match…> -m comment --comment <comment> <target…>`. */
export interface CaptureRule {
  chain: string;
  match: readonly string[];
  comment: string;
  target: readonly string[];
}

function rule(chain: string, match: readonly string[], comment: string, target: readonly string[]): CaptureRule {
  return { chain, match, comment: `skein: ${comment}`, target };
}

const tcpPort = (port: number): string[] => ['-p', 'tcp', '-m', 'tcp', '--dport', String(port)];
const jumpTo = (chain: string): string[] => ['-j', chain];
const sortedUnique = (ports: Iterable<number>): number[] => [...new Set(ports)].sort((a, b) => a - b);

/** The jumps from the built-in chains into Skein's chains (added once, kept on re-apply). */
export function jumpRules(): CaptureRule[] {
  return [
    rule('PREROUTING', ['-p', 'tcp'], 'inbound TCP goes through the sidecar', jumpTo(CaptureChains.inbound)),
    rule('OUTPUT', ['-p', 'tcp'], 'outbound TCP goes through the sidecar', jumpTo(CaptureChains.output)),
  ];
}

function inboundRules(config: CaptureConfig): CaptureRule[] {
  const chain = CaptureChains.inbound;
  const excluded = sortedUnique([...alwaysExcludedInboundPorts, ...config.excludeInboundPorts]);
  if (config.includeInboundPorts === '*') {
    return [
      ...excluded.map((port) => rule(chain, tcpPort(port), `inbound port ${port} is not captured`, ['-j', 'RETURN'])),
      rule(chain, ['-p', 'tcp'], 'every other inbound port goes to the inbound proxy', jumpTo(CaptureChains.inRedirect)),
    ];
  }
  const included = sortedUnique(config.includeInboundPorts).filter((port) => !excluded.includes(port));
  return included.map((port) => rule(chain, tcpPort(port), `inbound port ${port} goes to the inbound proxy`, jumpTo(CaptureChains.inRedirect)));
}

function outputRules(config: CaptureConfig, family: IpFamily): CaptureRule[] {
  const chain = CaptureChains.output;
  const { loopback, passthroughSource } = familyAddresses[family];
  const ret = ['-j', 'RETURN'];
  const owners: Array<['--uid-owner' | '--gid-owner', number, string]> = [
    ['--uid-owner', config.proxyUid, 'UID'],
    ['--gid-owner', config.proxyGid, 'GID'],
  ];
  const rules: CaptureRule[] = [
    ...sortedUnique(config.excludeOutboundPorts).map((port) => rule(chain, tcpPort(port), `outbound port ${port} is not captured`, ret)),
    ...config.excludeOutboundCidrs
      .filter((cidr) => cidr.family === family)
      .map((cidr) => rule(chain, ['-d', cidr.text], `destination ${cidr.text} is not captured`, ret)),
    rule(chain, ['-s', passthroughSource, '-o', 'lo'], 'the inbound proxy talking to the app is not captured again', ret),
  ];
  for (const [option, id, what] of owners) {
    rules.push(
      rule(chain, ['!', '-d', loopback, '-o', 'lo', '-m', 'owner', option, String(id)],
        `proxy (${what}) calling the pod address goes through inbound`, jumpTo(CaptureChains.inbound)),
      rule(chain, ['-o', 'lo', '-m', 'owner', '!', option, String(id)], `app calling itself over loopback is not captured (${what})`, ret),
      rule(chain, ['-m', 'owner', option, String(id)], `traffic of the proxy (${what}) is not captured`, ret),
    );
  }
  rules.push(rule(chain, ['-d', loopback], 'loopback destination is not captured', ret));
  if (config.includeOutboundCidrs === '*') {
    rules.push(rule(chain, [], 'every other destination goes to the outbound proxy', jumpTo(CaptureChains.redirect)));
  } else {
    for (const cidr of config.includeOutboundCidrs.filter((c) => c.family === family)) {
      rules.push(rule(chain, ['-d', cidr.text], `destination ${cidr.text} goes to the outbound proxy`, jumpTo(CaptureChains.redirect)));
    }
  }
  return rules;
}

/** The rules inside Skein's own chains for one address family, in order. */
export function chainRules(config: CaptureConfig, family: IpFamily): CaptureRule[] {
  const redirect = (port: number) => ['-j', 'REDIRECT', '--to-ports', String(port)];
  return [
    ...inboundRules(config),
    rule(CaptureChains.inRedirect, ['-p', 'tcp'], 'to the inbound proxy', redirect(config.inboundCapturePort)),
    ...outputRules(config, family),
    rule(CaptureChains.redirect, ['-p', 'tcp'], 'to the outbound proxy', redirect(config.outboundCapturePort)),
  ];
}

/** A rule as iptables arguments after `-t nat`: `['-A', chain, …]` (for `iptables -t nat …`). */
export function ruleArgv(r: CaptureRule, action: '-A' | '-D' | '-C' = '-A'): string[] {
  return [action, r.chain, ...r.match, '-m', 'comment', '--comment', r.comment, ...r.target];
}

/** A rule as an iptables-restore line (the comment quoted the way iptables-save prints it). */
export function ruleLine(r: CaptureRule, action: '-A' | '-D' = '-A'): string {
  return restoreLine(ruleArgv(r, action));
}

/** Joins words into one iptables-restore line, quoting the way iptables-save does (inverse of splitRuleLine). */
export function restoreLine(words: readonly string[]): string {
  return words.map((word) => (/[\s"\\]/.test(word) || word === '' ? `"${word.replace(/(["\\])/g, '\\$1')}"` : word)).join(' ');
}

/** The nat table of an `iptables-save` dump: chain declarations and rule lines. */
export interface NatTable {
  chains: string[];
  rules: string[][];
}

/** Splits an iptables-save line into words (double quotes and backslash escapes as iptables-save writes them). */
export function splitRuleLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (/\s/.test(c) && !quoted) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quoted) throw new Error(`unbalanced quote in iptables rule: ${line}`);
  if (inWord) words.push(word);
  return words;
}

/** Reads the `*nat` section of `iptables-save` output (empty when the table does not exist yet). */
export function parseNatTable(save: string): NatTable {
  const table: NatTable = { chains: [], rules: [] };
  let inNat = false;
  for (const raw of save.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) inNat = line === '*nat';
    else if (!inNat || line === '' || line.startsWith('#')) continue;
    else if (line === 'COMMIT') inNat = false;
    else if (line.startsWith(':')) table.chains.push(line.slice(1).split(/\s+/)[0]!);
    else if (line.startsWith('-A ')) table.rules.push(splitRuleLine(line));
  }
  return table;
}

const targetOf = (words: readonly string[]): string | undefined => {
  const i = words.lastIndexOf('-j');
  return i >= 0 ? words[i + 1] : undefined;
};
const isOwnChain = (name: string | undefined): boolean => name !== undefined && name.startsWith(OwnChainPrefix);

/** Rules outside Skein's chains that jump into them (the hooks apply adds and cleanup removes). */
function hooksIntoOwnChains(table: NatTable): string[][] {
  return table.rules.filter((words) => !isOwnChain(words[1]) && isOwnChain(targetOf(words)));
}

const sameWords = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((w, i) => w === b[i]);

function restoreScript(lines: readonly string[]): string {
  return ['*nat', ...lines, 'COMMIT', ''].join('\n');
}

/**
 * The `iptables-restore --noflush` script that installs the rules for one family, given the
 * current nat table. Declaring a chain flushes it, so Skein's chains are rewritten every time;
 * the jumps from PREROUTING/OUTPUT are added only when they are missing (or replaced when they
 * differ, e.g. written by an older version). Applying it twice gives the same rules.
 */
export function applyScript(config: CaptureConfig, family: IpFamily, currentSave: string): string {
  const table = parseNatTable(currentSave);
  const hooks = hooksIntoOwnChains(table);
  const lines = ownChains.map((chain) => `:${chain} - [0:0]`);
  lines.push(...chainRules(config, family).map((r) => ruleLine(r)));
  for (const jump of jumpRules()) {
    const wanted = ruleArgv(jump);
    const existing = hooks.filter((words) => words[1] === jump.chain);
    if (existing.length === 1 && sameWords(existing[0]!, wanted)) continue;
    lines.push(...existing.map((words) => restoreLine(['-D', ...words.slice(1)])));
    lines.push(ruleLine(jump));
  }
  return restoreScript(lines);
}

/**
 * The `iptables-restore --noflush` script that removes everything Skein installed: the jumps
 * into its chains, then the chains. Undefined when there is nothing to remove. Other rules and
 * chains are left as they are.
 */
export function cleanupScript(currentSave: string): string | undefined {
  const table = parseNatTable(currentSave);
  const hooks = hooksIntoOwnChains(table);
  const chains = table.chains.filter(isOwnChain);
  if (hooks.length === 0 && chains.length === 0) return undefined;
  const deletes = hooks.map((words) => restoreLine(['-D', ...words.slice(1)]));
  return restoreScript([...deletes, ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`)]);
}

/**
 * Checks an `iptables-save` dump taken after applying: every Skein chain holds as many rules as
 * the config gives and each jump exists exactly once. Returns the problems found (empty = good).
 * Rules are counted, not compared word by word, because iptables-save normalises addresses
 * (and its formatting may differ between iptables versions).
 */
export function verifyInstalled(config: CaptureConfig, family: IpFamily, save: string): string[] {
  const table = parseNatTable(save);
  const problems: string[] = [];
  const expected = chainRules(config, family);
  for (const chain of ownChains) {
    const want = expected.filter((r) => r.chain === chain).length;
    const have = table.rules.filter((words) => words[1] === chain).length;
    if (!table.chains.includes(chain)) problems.push(`chain ${chain} is missing`);
    else if (have !== want) problems.push(`chain ${chain} has ${have} rules, expected ${want}`);
  }
  const hooks = hooksIntoOwnChains(table);
  for (const jump of jumpRules()) {
    const count = hooks.filter((words) => words[1] === jump.chain && targetOf(words) === targetOf(jump.target)).length;
    if (count !== 1) problems.push(`${jump.chain} has ${count} jumps to ${jump.target[1]}, expected 1`);
  }
  return problems;
}

/** The two kernel interfaces iptables can write to (`iptables-nft`, `iptables-legacy`). */
export type IptablesBackend = 'nft' | 'legacy';

/**
 * Which backend the pod's rules live in, from each available backend's full `iptables-save`
 * (+ `ip6tables-save`) output: the one holding Skein's chains (re-apply and cleanup stay on the
 * same side), else the only one with any rules (so Skein's rules are not split from the rules
 * already there). Undefined when there is no reason to prefer one: use the image's default.
 */
export function chooseBackend(saves: Partial<Record<IptablesBackend, string>>): IptablesBackend | undefined {
  const backends = (Object.keys(saves) as IptablesBackend[]).filter((b) => saves[b] !== undefined);
  const holding = (pattern: RegExp) => backends.filter((b) => pattern.test(saves[b]!));
  const withSkein = holding(new RegExp(`^:${OwnChainPrefix}`, 'm'));
  if (withSkein.length === 1) return withSkein[0];
  const withRules = holding(/^-A /m);
  return withRules.length === 1 ? withRules[0] : undefined;
}

/** What `--dry-run` prints: the scripts for a pod without any Skein rules yet. */
export function dryRunText(config: CaptureConfig, families: readonly IpFamily[]): string {
  return families.map((family) => `# ${family === 'ipv4' ? 'iptables' : 'ip6tables'}-restore --noflush\n${applyScript(config, family, '')}`).join('\n');
}
