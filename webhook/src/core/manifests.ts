/**
 * Manual injection (`skein inject`, like `istioctl kube-inject`): multi-document YAML in, the same
 * documents out with every pod template injected. Documents without a pod template are copied
 * byte for byte; injected documents keep their comments and layout outside the injected parts.
 * Already injected templates are left unchanged, so running it twice changes nothing.
 */
import { Labels } from '../../../api/src/names';
import { type InjectionConfig } from './config';
import { type Decision, decide } from './decide';
import { injectPod } from './inject';
import { InjectionError, type Pod } from './types';
import { podTemplates, valueAt } from './workloads';
import { reconcileAt } from './yaml-reconcile';
import { parseAllDocuments } from 'yaml';

export interface ManifestOptions {
  config: InjectionConfig;
  /** Namespace assumed for objects that name none (kubectl's current namespace). */
  defaultNamespace: string;
}

export interface TemplateReport {
  document: number;
  kind: string;
  name: string;
  decision: Decision;
}

export interface ManifestResult {
  output: string;
  templates: TemplateReport[];
}

export function injectManifests(source: string, options: ManifestOptions): ManifestResult {
  const docs = parseAllDocuments(source);
  const templates: TemplateReport[] = [];
  const changed: boolean[] = [];
  docs.forEach((doc, index) => {
    const where = `document ${index + 1}`;
    if (doc.errors.length > 0) throw new InjectionError(`${where}: invalid YAML: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    let touched = false;
    for (const ref of podTemplates(value)) {
      const pod = valueAt(value, ref.path) as Pod;
      // Manual injection is an explicit request: the namespace counts as enabled; opt-outs,
      // hostNetwork, system namespaces and already injected templates are still respected.
      const namespace = { name: ref.namespace ?? options.defaultNamespace, labels: { [Labels.inject]: 'enabled' } };
      const decision = decide(pod, namespace, options.config);
      templates.push({ document: index + 1, kind: ref.kind, name: ref.name, decision });
      if (!decision.inject) continue;
      let injected: Pod;
      try {
        injected = injectPod(pod, options.config);
      } catch (err) {
        throw new InjectionError(`${where} (${ref.kind} ${ref.name}): ${err instanceof Error ? err.message : String(err)}`);
      }
      reconcileAt(doc, ref.path, pod, injected);
      touched = true;
    }
    changed.push(touched);
  });
  if (docs.length === 0) return { output: source, templates };

  let output = changed[0] ? '' : source.slice(0, docs[0]!.range[0]);
  docs.forEach((doc, i) => {
    const [start, , end] = doc.range;
    output += changed[i] ? doc.toString({ lineWidth: 0 }) : source.slice(start, end);
  });
  output += source.slice(docs[docs.length - 1]!.range[2]);
  return { output, templates };
}
