/**
 * Admission as kube-apiserver runs it for a write: the built-in mutating plugins (ServiceAccount,
 * Priority, DefaultTolerationSeconds for pods), then every matching MutatingWebhookConfiguration's
 * webhooks in order (configurations sorted by name), with the JSONPatch of each answer applied and
 * a second round for `reinvocationPolicy: IfNeeded`; later the validating webhooks. failurePolicy
 * decides whether a webhook that cannot be called refuses the request or is skipped.
 */
import { randomUUID } from 'node:crypto';
import {
  type AdmissionAttributes, admissionReview, callFailure, denial, exemptFromWebhooks, ReinvocationTracker, verifyResponse, type Webhook, webhookMatches,
} from '../core/admission';
import { clone, deepEqual, isObject, type KubeObject } from '../core/json';
import { jsonPatch, PatchError } from '../core/patch';
import { admitSchedulingDefaults, admitServiceAccount } from '../core/pod-admission';
import { badRequest, failure, internalError } from '../core/status';
import { type Storage } from '../storage';
import { callWebhook, type Dialer, type ServiceLookup, WebhookCallError } from './webhook-client';

export interface AdmissionLog {
  (line: { msg: string; [k: string]: unknown }): void;
}

export interface ChainDeps {
  storage: Storage;
  dialer: () => Dialer;
  random: () => number;
  log: AdmissionLog;
}

interface Hook {
  id: string;
  configuration: string;
  hook: Webhook;
}

export class AdmissionChain {
  constructor(private readonly deps: ChainDeps) {}

  private readonly lookup: ServiceLookup = {
    service: (ns, name) => this.deps.storage.peek('services', ns, name) as KubeObject | undefined,
    endpointSlices: (ns, name) => this.deps.storage.scan('discovery.k8s.io/endpointslices', ns).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === name) as KubeObject[],
  };

  private hooks(resource: string): Hook[] {
    return this.deps.storage.scan(resource)
      .flatMap((cfg) => (Array.isArray(cfg.webhooks) ? (cfg.webhooks as Webhook[]) : []).map((hook) => ({ id: `${cfg.metadata.name}/${hook.name}`, configuration: cfg.metadata.name!, hook })));
  }

  private namespaceLabels(a: AdmissionAttributes): Record<string, string> | undefined {
    if (a.namespace === undefined) return undefined;
    return this.deps.storage.peek('namespaces', undefined, a.namespace)?.metadata.labels;
  }

  /** Built-in mutating plugins for pods. Throws the plugin's refusal. */
  private builtins(a: AdmissionAttributes, obj: KubeObject): void {
    if (a.group !== '' || a.resource !== 'pods' || a.subresource || a.operation !== 'CREATE') return;
    const spec = isObject(obj.spec) ? obj.spec : {};
    const saName = typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? spec.serviceAccountName : typeof spec.serviceAccount === 'string' && spec.serviceAccount ? spec.serviceAccount : 'default';
    const sa = this.deps.storage.peek('serviceaccounts', a.namespace, saName);
    const outcome = admitServiceAccount(obj, sa, this.deps.random);
    if (!outcome.ok) throw failure(403, 'Forbidden', `pods "${a.name || obj.metadata.name || obj.metadata.generateName || ''}" is forbidden: ${outcome.message}`, { name: a.name ?? '', kind: 'pods' });
    admitSchedulingDefaults(obj);
  }

  /** Runs mutating admission; returns the admitted object and the webhooks' warnings. */
  async mutate(a: AdmissionAttributes, object: KubeObject): Promise<{ object: KubeObject; warnings: string[] }> {
    let obj = clone(object);
    const warnings: string[] = [];
    this.builtins(a, obj);
    if (exemptFromWebhooks(a)) return { object: obj, warnings };
    const nsLabels = this.namespaceLabels(a);
    const candidates = this.hooks('admissionregistration.k8s.io/mutatingwebhookconfigurations');
    const matching = (h: Hook) => webhookMatches(h.hook, { ...a, object: obj }, nsLabels);
    const tracker = new ReinvocationTracker();
    const called = new Set<string>();
    let changedAny = false;
    for (const h of candidates) {
      if (!matching(h)) continue;
      const changed = await this.callMutating(h, a, obj, warnings, (next) => (obj = next));
      called.add(h.id);
      if (changed) changedAny = true;
      tracker.called(h.id, h.hook, changed);
    }
    if (changedAny && tracker.secondRound.size > 0) {
      this.builtins(a, obj);
      for (const h of candidates) {
        if (!tracker.secondRound.has(h.id) || !called.has(h.id) || !matching(h)) continue;
        await this.callMutating(h, a, obj, warnings, (next) => (obj = next));
      }
    }
    return { object: obj, warnings };
  }

  private async call(h: Hook, a: AdmissionAttributes, obj: KubeObject | undefined, mutating: boolean) {
    const hook = h.hook;
    if (a.dryRun && hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun') throw badRequest(`admission webhook ${JSON.stringify(hook.name)} does not support dry run`);
    const uid = randomUUID();
    const review = admissionReview(uid, { ...a, ...(obj ? { object: obj } : {}) });
    try {
      const answer = await callWebhook(hook, review, { dialer: this.deps.dialer(), lookup: this.lookup });
      const verified = verifyResponse(uid, answer);
      if ('invalid' in verified) throw new WebhookCallError(`received invalid webhook response: ${verified.invalid}`);
      if ('unsupportedPatchType' in verified) throw new WebhookCallError(`unsupported patch type ${JSON.stringify(verified.unsupportedPatchType)}`);
      if (!mutating && verified.patch) delete verified.patch;
      return verified;
    } catch (err) {
      if (!(err instanceof WebhookCallError)) throw err;
      if (hook.failurePolicy === 'Ignore') {
        this.deps.log({ msg: 'failed calling webhook, failing open', webhook: hook.name, error: err.message });
        return undefined;
      }
      this.deps.log({ msg: 'failed calling webhook, failing closed', webhook: hook.name, error: err.message });
      throw callFailure(hook.name, err.message);
    }
  }

  /** Calls one mutating webhook; applies its patch through `set`; returns whether the object changed. */
  private async callMutating(h: Hook, a: AdmissionAttributes, obj: KubeObject, warnings: string[], set: (o: KubeObject) => void): Promise<boolean> {
    const result = await this.call(h, a, obj, true);
    if (!result) return false;
    warnings.push(...(result.warnings ?? []));
    if (!result.allowed) throw denial(h.hook.name, result.status);
    if (!result.patch?.length) return false;
    let patched: KubeObject;
    try {
      patched = jsonPatch(obj, result.patch) as KubeObject;
    } catch (err) {
      throw internalError(err instanceof PatchError ? err.message : String(err));
    }
    if (!isObject(patched) || !isObject(patched.metadata)) throw internalError(`admission webhook ${JSON.stringify(h.hook.name)} returned an object without metadata`);
    patched.apiVersion = obj.apiVersion;
    patched.kind = obj.kind;
    const changed = !deepEqual(patched, obj);
    set(patched);
    return changed;
  }

  /** Validating webhooks (all matching, in parallel as the API server calls them). */
  async validate(a: AdmissionAttributes, obj: KubeObject | undefined): Promise<string[]> {
    if (exemptFromWebhooks(a)) return [];
    const nsLabels = this.namespaceLabels(a);
    const matching = this.hooks('admissionregistration.k8s.io/validatingwebhookconfigurations').filter((h) => webhookMatches(h.hook, { ...a, ...(obj ? { object: obj } : {}) }, nsLabels));
    const results = await Promise.all(matching.map(async (h) => ({ h, result: await this.call(h, a, obj, false) })));
    const warnings: string[] = [];
    for (const { h, result } of results) {
      if (!result) continue;
      warnings.push(...(result.warnings ?? []));
      if (!result.allowed) throw denial(h.hook.name, result.status);
    }
    return warnings;
  }
}
