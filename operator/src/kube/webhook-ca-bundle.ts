/**
 * Keeps the caBundle of Skein's MutatingWebhookConfiguration equal to the CA's trust bundle, so the
 * API server trusts the webhook's serving certificate (issued by that CA). Leader only. A JSON patch
 * with a `test` of each webhook's name guards against patching an entry that moved.
 */
import { WebhookConfigurationName } from '../../../api/src/names';
import { type KubeApi } from './api';
import { MutatingWebhookResource, resourcePath } from './resources';

export const DefaultWebhookConfigurationName = WebhookConfigurationName;

interface WebhookConfiguration {
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

/** JSON-patch operations that set every webhook's caBundle to `caBundle` (empty when all match). */
export function caBundlePatch(config: WebhookConfiguration, caBundle: string): unknown[] {
  const ops: unknown[] = [];
  (config.webhooks ?? []).forEach((w, i) => {
    if (w.clientConfig?.caBundle === caBundle) return;
    ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: w.name });
    ops.push({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle });
  });
  return ops;
}

/** Patches the named configuration when needed; returns whether it wrote. */
export async function syncWebhookCaBundle(api: KubeApi, name: string, trustBundlePem: string): Promise<boolean> {
  const path = resourcePath(MutatingWebhookResource, undefined, name);
  const config = await api.get<WebhookConfiguration>(path);
  const ops = caBundlePatch(config, Buffer.from(trustBundlePem, 'utf8').toString('base64'));
  if (!ops.length) return false;
  await api.patch(path, ops, 'json');
  return true;
}
