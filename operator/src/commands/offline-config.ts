/**
 * Offline `skein proxy-config --config-dir DIR --node ID`: the Envoy resources the control plane would
 * serve that node, translated from the files (config_dump-style `{ node, configs }`), without a
 * control plane or a proxy.
 */
import { usageErrors } from '../../../api/src/command';
import { formatConfigError } from '../core/config-error';
import { type MeshSettings } from '../core/mesh-index';
import { parseNodeId } from '../core/node-id';
import { Translator } from '../core/translate/translate';
import { loadDirectory } from './config-files';

export interface OfflineDump {
  node: string;
  configs: { type_url: string; resources: unknown[] }[];
}

export function offlineConfigDump(o: { configDir: string; nodeId: string; metadata: Record<string, unknown>; settings: MeshSettings }): { dump: OfflineDump; warnings: string[] } {
  const node = usageErrors(() => parseNodeId(o.nodeId));
  const { index, errors } = loadDirectory(o.configDir, o.settings);
  const translation = new Translator(index.model()).translate({ node, metadata: o.metadata });
  const configs = Object.entries(translation.resources).map(([typeUrl, resources]) => ({ type_url: typeUrl, resources }));
  return { dump: { node: node.id, configs }, warnings: [...errors.map(formatConfigError), ...translation.warnings] };
}
