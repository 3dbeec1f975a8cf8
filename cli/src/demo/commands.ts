/**
 * The commands the demo prints, built so that each runs as printed (pure): `npx skein …` when the
 * demo runs from the repository (npm resolves the package's own `skein` bin after `npm run build`),
 * `node <path>/dist/cli/src/main.js …` from anywhere else; `proxy-config` with the node id and the
 * node metadata the control plane's translation reads, taken from the very Node the sidecar sends
 * (proxy/src/xds: one place builds it), so the offline answer is the sidecar's config.
 */
import path from 'node:path';
import { NodeMetadata } from '../../../operator/src/core/translate/translate';
import { readProxyEnv } from '../../../proxy/src/env';
import { buildNode } from '../../../proxy/src/xds/core/node';
import { nodeSettingsFromEnv } from '../../../proxy/src/xds/from-env';

/** A shell word: as is when it is plain, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** How to call this build's CLI from `cwd`: `npx skein` in the repository, else node and the script's path. */
export function skeinInvocation(cwd: string, main: string): string {
  const repo = path.resolve(main, '..', '..', '..', '..');
  return path.resolve(cwd) === repo ? 'npx skein' : `node ${shellQuote(main)}`;
}

/** The sidecar's xDS node id and the metadata translation reads, from the environment the sidecar is started with. */
export function sidecarNode(env: Record<string, string>): { id: string; metadata: Record<string, unknown> } {
  const node = buildNode(nodeSettingsFromEnv(readProxyEnv(env, () => '')));
  const read = new Set<string>(Object.values(NodeMetadata));
  const metadata = Object.fromEntries(Object.entries(node.metadata ?? {}).filter(([k]) => read.has(k)));
  return { id: node.id, metadata };
}

export function proxyConfigCommand(skein: string, configDir: string, node: { id: string; metadata: Record<string, unknown> }): string {
  const metadata = Object.keys(node.metadata).length ? ` --metadata ${shellQuote(JSON.stringify(node.metadata))}` : '';
  return `${skein} proxy-config --config-dir ${shellQuote(configDir)} --node ${shellQuote(node.id)}${metadata}`;
}
