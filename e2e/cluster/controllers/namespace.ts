/**
 * The namespace controllers of kube-controller-manager: every namespace gets its `default`
 * ServiceAccount (serviceaccount controller) and the `kube-root-ca.crt` ConfigMap with the
 * cluster CA (root-ca-cert-publisher); a namespace being deleted has its content deleted, then its
 * `kubernetes` finalizer removed, and goes away (namespace controller).
 */
import { isObject, type KubeObject } from '../apiserver/core/json';
import { storageKey } from '../apiserver/core/resource-types';
import { type Registry } from '../apiserver/core/registry';
import { type Change } from '../apiserver/storage';
import { Controller, type ControllerContext } from './controller';

const namespaces = { group: '', version: 'v1', plural: 'namespaces' };
const serviceAccounts = { group: '', version: 'v1', plural: 'serviceaccounts' };
const configMaps = { group: '', version: 'v1', plural: 'configmaps' };
export const RootCaConfigMapName = 'kube-root-ca.crt';
const rootCaDescription = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class NamespaceController extends Controller {
  constructor(ctx: ControllerContext, private readonly registry: Registry, private readonly caPem: string) {
    super('namespace-controller', ctx);
  }

  protected keysFor(change: Change): string[] {
    if (change.resource === 'namespaces' && change.type !== 'DELETED') return [change.object.metadata.name!];
    if (change.resource === 'serviceaccounts' && change.type === 'DELETED' && change.object.metadata.name === 'default') return [change.object.metadata.namespace!];
    if (change.resource === 'configmaps' && change.object.metadata.name === RootCaConfigMapName) return [change.object.metadata.namespace!];
    if (change.type === 'DELETED' && change.object.metadata.namespace) {
      const ns = this.ctx.storage.peek('namespaces', undefined, change.object.metadata.namespace);
      if (ns?.metadata.deletionTimestamp) return [change.object.metadata.namespace];
    }
    return [];
  }

  protected async reconcile(name: string): Promise<void> {
    const ns = this.ctx.storage.peek('namespaces', undefined, name);
    if (!ns) return;
    if (ns.metadata.deletionTimestamp) return this.finalize(ns as KubeObject);
    if (!this.ctx.storage.peek('serviceaccounts', name, 'default')) {
      await this.ctx.client.create(serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } }).catch(ignoreExists);
    }
    const cm = this.ctx.storage.peek('configmaps', name, RootCaConfigMapName);
    const data = { 'ca.crt': this.caPem };
    if (!cm) {
      await this.ctx.client.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: RootCaConfigMapName, namespace: name, annotations: { 'kubernetes.io/description': rootCaDescription } }, data }).catch(ignoreExists);
    } else if (!isObject(cm.data) || cm.data['ca.crt'] !== this.caPem) {
      await this.ctx.client.update(configMaps, { ...(cm as KubeObject), data });
    }
  }

  /** Deletes everything in the namespace; when it is empty, removes the `kubernetes` finalizer. */
  private async finalize(ns: KubeObject): Promise<void> {
    const name = ns.metadata.name!;
    let remaining = 0;
    for (const t of this.registry.all()) {
      if (!t.namespaced || t.virtual) continue;
      for (const o of this.ctx.storage.scan(storageKey(t), name)) {
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        await this.ctx.client.delete(t, name, o.metadata.name!, { propagationPolicy: 'Background' }).catch(() => undefined);
      }
    }
    if (remaining > 0) {
      this.enqueue(name, 200);
      return;
    }
    const spec = isObject(ns.spec) ? ns.spec : {};
    if (Array.isArray(spec.finalizers) && spec.finalizers.length) {
      await this.ctx.client.update({ ...namespaces }, { ...ns, spec: { ...spec, finalizers: [] } }, 'finalize');
    }
  }
}

function ignoreExists(err: unknown): void {
  if ((err as { code?: number }).code !== 409) throw err;
}
