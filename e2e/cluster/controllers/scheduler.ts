/**
 * The scheduler (default-scheduler): binds each pod without `spec.nodeName` to a registered Node
 * that is Ready, schedulable, matches the pod's nodeSelector and whose NoSchedule/NoExecute taints
 * the pod tolerates — the one with the fewest pods — through the pods/binding subresource, as
 * kube-scheduler does. Without a fitting node the pod gets `PodScheduled=False, Unschedulable` and
 * waits for nodes to change. Affinity and resources are not considered.
 */
import { isObject, type JsonObject, type KubeObject, timestamp } from '../apiserver/core/json';
import { type Change } from '../apiserver/storage';
import { Controller, type ControllerContext, keyOf, splitKey } from './controller';
import { nodeName } from './pods';

const pods = { group: '', version: 'v1', plural: 'pods' };

interface Taint {
  key: string;
  value?: string;
  effect: string;
}
interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

const tolerates = (tols: Toleration[], taint: Taint) => tols.some((t) =>
  (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
  ((t.operator === 'Exists' && (t.key === undefined || t.key === '' || t.key === taint.key)) || (t.key === taint.key && (t.value ?? '') === (taint.value ?? ''))));

function nodeReady(node: Readonly<KubeObject>): boolean {
  const conditions = isObject(node.status) && Array.isArray(node.status.conditions) ? (node.status.conditions as { type?: string; status?: string }[]) : [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export class Scheduler extends Controller {
  constructor(ctx: ControllerContext) {
    super('default-scheduler', ctx);
  }

  private wants(p: Readonly<KubeObject>): boolean {
    const spec = isObject(p.spec) ? p.spec : {};
    return !nodeName(p) && !p.metadata.deletionTimestamp && (spec.schedulerName ?? 'default-scheduler') === 'default-scheduler' && (!Array.isArray(spec.schedulingGates) || spec.schedulingGates.length === 0);
  }

  protected keysFor(change: Change): string[] {
    if (change.resource === 'pods') return change.type !== 'DELETED' && this.wants(change.object) ? [keyOf(change.object)] : [];
    if (change.resource === 'nodes' && change.type !== 'DELETED') return this.ctx.storage.scan('pods').filter((p) => this.wants(p)).map(keyOf);
    return [];
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = this.ctx.storage.peek('pods', namespace, name);
    if (!pod || !this.wants(pod)) return;
    const spec = (isObject(pod.spec) ? pod.spec : {}) as JsonObject;
    const selector = (isObject(spec.nodeSelector) ? spec.nodeSelector : {}) as Record<string, string>;
    const tolerations = (Array.isArray(spec.tolerations) ? spec.tolerations : []) as Toleration[];
    const nodes = this.ctx.storage.scan('nodes');
    const fits = nodes.filter((n) => {
      const nspec = isObject(n.spec) ? n.spec : {};
      if (!nodeReady(n) || nspec.unschedulable === true) return false;
      if (!Object.entries(selector).every(([k, v]) => n.metadata.labels?.[k] === v)) return false;
      const taints = (Array.isArray(nspec.taints) ? nspec.taints : []) as Taint[];
      return taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute').every((t) => tolerates(tolerations, t));
    });
    if (fits.length === 0) {
      const message = `0/${nodes.length} nodes are available: ${nodes.length === 0 ? 'no nodes available to schedule pods' : `${nodes.length} node(s) didn't match Pod's node affinity/selector, were not ready or had untolerated taints`}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`;
      await this.markUnschedulable(pod as KubeObject, message);
      return;
    }
    const load = (n: Readonly<KubeObject>) => this.ctx.storage.scan('pods').filter((p) => nodeName(p) === n.metadata.name).length;
    const chosen = fits.map((n) => ({ n, l: load(n) })).sort((a, b) => a.l - b.l || (a.n.metadata.name! < b.n.metadata.name! ? -1 : 1))[0]!.n;
    await this.ctx.client.subresource(pods, namespace, name, 'binding', {
      apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: chosen.metadata.name },
    }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409 && (err as { code?: number }).code !== 404) throw err;
    });
  }

  private async markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    const status = (isObject(pod.status) ? pod.status : {}) as JsonObject;
    const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as JsonObject[];
    const prev = conditions.find((c) => c.type === 'PodScheduled');
    if (prev?.status === 'False' && prev.message === message) return;
    const condition = { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: timestamp(this.ctx.now()), reason: 'Unschedulable', message };
    await this.ctx.client.patch(pods, pod.metadata.namespace, pod.metadata.name!, { status: { conditions: [condition] } }, 'strategic', { subresource: 'status' }).catch(() => undefined);
  }
}
