/**
 * Validation of built-in objects, the subset that catches what a client of the mesh gets wrong:
 * object names (RFC 1123 subdomain/label, RFC 1035 for Services), label keys and values, required
 * pod and container fields, Deployment/ReplicaSet selectors against their templates, Service ports,
 * and the immutable fields of updates (pod spec, selectors, clusterIP). Messages are
 * k8s.io/apimachinery's validation wording. Pure.
 */
import { deepEqual, isObject, type JsonObject, type KubeObject } from './json';
import { labelSelectorMatcher, type LabelSelector } from './selectors';
import { type FieldError, duplicate, forbiddenField, invalid, notSupported, required } from './status';

const dns1123LabelText = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const dns1123SubdomainText = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const dns1035LabelText = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path';

/** Which name rule a kind's names follow. */
export function nameRule(group: string, kind: string): NameRule {
  if (!group && kind === 'Namespace') return 'label';
  if (!group && kind === 'Service') return 'dns1035';
  if (group === 'rbac.authorization.k8s.io') return 'path';
  return 'subdomain';
}

export function validateName(name: string, rule: NameRule, field = 'metadata.name'): FieldError[] {
  if (rule === 'path') {
    // path.IsValidPathSegmentName (RBAC objects: `system:node` is fine).
    if (name === '.' || name === '..') return [invalid(field, name, `may not be '${name}'`)];
    const bad = ['/', '%'].find((c) => name.includes(c));
    return bad ? [invalid(field, name, `may not contain '${bad}'`)] : [];
  }
  if (rule === 'label') return name.length > 63 ? [invalid(field, name, 'must be no more than 63 characters')] : dns1123Label.test(name) ? [] : [invalid(field, name, dns1123LabelText)];
  if (rule === 'dns1035') return name.length > 63 ? [invalid(field, name, 'must be no more than 63 characters')] : dns1035Label.test(name) ? [] : [invalid(field, name, dns1035LabelText)];
  if (name.length > 253) return [invalid(field, name, 'must be no more than 253 characters')];
  return dns1123Subdomain.test(name) ? [] : [invalid(field, name, dns1123SubdomainText)];
}

function validateLabels(labels: unknown, field: string): FieldError[] {
  if (labels === undefined) return [];
  if (!isObject(labels)) return [invalid(field, labels, 'must be a map of strings')];
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const [prefix, name] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : [undefined, k];
    if ((prefix !== undefined && (!dns1123Subdomain.test(prefix) || prefix.length > 253)) || !qualifiedName.test(name) || name.length > 63) {
      errors.push(invalid(field, k, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
    }
    if (typeof v !== 'string' || v.length > 63 || !labelValue.test(v)) {
      errors.push(invalid(`${field}`, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
    }
  }
  return errors;
}

export function validateMetadata(obj: KubeObject, rule: NameRule, namespaced: boolean): FieldError[] {
  const m = obj.metadata;
  const errors: FieldError[] = [];
  if (!m.name) errors.push(required('metadata.name', 'name or generateName is required'));
  else errors.push(...validateName(m.name, rule));
  if (namespaced && !m.namespace) errors.push(required('metadata.namespace'));
  errors.push(...validateLabels(m.labels, 'metadata.labels'));
  if (m.annotations !== undefined && (!isObject(m.annotations) || Object.values(m.annotations).some((v) => typeof v !== 'string'))) {
    errors.push(invalid('metadata.annotations', m.annotations, 'annotations must be a map of strings'));
  }
  return errors;
}

const list = (v: unknown): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);

export function validatePodSpec(spec: unknown, path: string): FieldError[] {
  if (!isObject(spec)) return [required(path)];
  const errors: FieldError[] = [];
  const containers = list(spec.containers);
  if (containers.length === 0) errors.push(required(`${path}.containers`));
  const names = new Set<string>();
  const check = (c: JsonObject, at: string) => {
    if (!c.name) errors.push(required(`${at}.name`));
    else if (typeof c.name === 'string') {
      errors.push(...validateName(c.name, 'label', `${at}.name`));
      if (names.has(c.name)) errors.push(duplicate(`${at}.name`, c.name));
      names.add(c.name);
    }
    if (!c.image) errors.push(required(`${at}.image`));
    for (const [i, p] of list(c.ports).entries()) {
      const port = p.containerPort;
      if (typeof port !== 'number' || port < 1 || port > 65535) errors.push(invalid(`${at}.ports[${i}].containerPort`, port ?? 0, 'must be between 1 and 65535, inclusive'));
    }
  };
  list(spec.initContainers).forEach((c, i) => check(c, `${path}.initContainers[${i}]`));
  containers.forEach((c, i) => check(c, `${path}.containers[${i}]`));
  const policies = ['Always', 'OnFailure', 'Never'];
  if (spec.restartPolicy !== undefined && !policies.includes(String(spec.restartPolicy))) errors.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, policies));
  return errors;
}

function validateSelectorMatchesTemplate(spec: JsonObject): FieldError[] {
  const selector = spec.selector;
  if (!isObject(selector)) return [required('spec.selector')];
  const template = isObject(spec.template) ? spec.template : {};
  const labels = (isObject(template.metadata) ? template.metadata.labels : undefined) as Record<string, string> | undefined;
  const sel = selector as LabelSelector;
  if (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) return [invalid('spec.selector', selector, 'empty selector is invalid for deployment')];
  if (!labelSelectorMatcher(sel)(labels)) {
    return [invalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`')];
  }
  return [];
}

export function validateBuiltin(group: string, obj: KubeObject): FieldError[] {
  const spec = isObject(obj.spec) ? obj.spec : undefined;
  switch (`${group}/${obj.kind}`) {
    case '/Pod':
      return validatePodSpec(obj.spec, 'spec');
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet': {
      if (!spec) return [required('spec')];
      const errors = validateSelectorMatchesTemplate(spec);
      const template = isObject(spec.template) ? spec.template : undefined;
      errors.push(...validatePodSpec(template?.spec, 'spec.template.spec'));
      if (template && isObject(template.spec) && obj.kind !== 'StatefulSet' && template.spec.restartPolicy !== undefined && template.spec.restartPolicy !== 'Always') {
        errors.push(notSupported('spec.template.spec.restartPolicy', template.spec.restartPolicy, ['Always']));
      }
      if (typeof spec.replicas === 'number' && spec.replicas < 0) errors.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
      return errors;
    }
    case 'batch/Job': {
      if (!spec) return [required('spec')];
      const template = isObject(spec.template) ? spec.template : undefined;
      const errors = validatePodSpec(template?.spec, 'spec.template.spec');
      const policy = isObject(template?.spec) ? template.spec.restartPolicy : undefined;
      if (policy !== 'OnFailure' && policy !== 'Never') errors.push(notSupported('spec.template.spec.restartPolicy', policy ?? '', ['OnFailure', 'Never']));
      return errors;
    }
    case '/Service': {
      if (!spec) return [required('spec')];
      const errors: FieldError[] = [];
      const ports = list(spec.ports);
      if (ports.length === 0 && spec.type !== 'ExternalName' && spec.clusterIP !== 'None') errors.push(required('spec.ports'));
      const seen = new Set<string>();
      ports.forEach((p, i) => {
        if (typeof p.port !== 'number' || p.port < 1 || p.port > 65535) errors.push(invalid(`spec.ports[${i}].port`, p.port ?? 0, 'must be between 1 and 65535, inclusive'));
        if (ports.length > 1 && !p.name) errors.push(required(`spec.ports[${i}].name`));
        if (typeof p.name === 'string') {
          if (seen.has(p.name)) errors.push(duplicate(`spec.ports[${i}].name`, p.name));
          seen.add(p.name);
        }
      });
      return errors;
    }
    case 'discovery.k8s.io/EndpointSlice': {
      const types = ['IPv4', 'IPv6', 'FQDN'];
      return types.includes(String(obj.addressType)) ? [] : [obj.addressType === undefined ? required('addressType') : notSupported('addressType', obj.addressType, types)];
    }
    case 'coordination.k8s.io/Lease':
      return [];
    default:
      return [];
  }
}

/** Fields an update may not change (the API server's "field is immutable" / pod update rules). */
export function validateUpdate(group: string, old: KubeObject, next: KubeObject): FieldError[] {
  const o = (isObject(old.spec) ? old.spec : {}) as JsonObject;
  const n = (isObject(next.spec) ? next.spec : {}) as JsonObject;
  switch (`${group}/${next.kind}`) {
    case '/Pod': {
      // Only images, activeDeadlineSeconds, tolerations (additions) and terminationGracePeriodSeconds may change.
      const strip = (s: JsonObject) => {
        const c = structuredClone(s);
        for (const key of ['containers', 'initContainers']) for (const ct of list(c[key])) delete ct.image;
        delete c.activeDeadlineSeconds;
        delete c.tolerations;
        delete c.terminationGracePeriodSeconds;
        return c;
      };
      if (!deepEqual(strip(o), strip(n))) {
        return [forbiddenField('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)')];
      }
      return [];
    }
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
    case 'apps/StatefulSet':
    case 'apps/DaemonSet':
      return deepEqual(o.selector, n.selector) ? [] : [invalid('spec.selector', n.selector ?? {}, 'field is immutable')];
    case 'batch/Job':
      return deepEqual(o.selector, n.selector) && deepEqual(o.template, n.template) ? [] : [invalid('spec.template', n.template ?? {}, 'field is immutable')];
    case '/Service':
      return o.clusterIP === undefined || n.clusterIP === o.clusterIP ? [] : [invalid('spec.clusterIPs[0]', n.clusterIP ?? '', 'may not change once set')];
    default:
      return [];
  }
}
