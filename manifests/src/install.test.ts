import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { crdManifests } from '../../api/src/crd';
import { structuralProblems } from '../../api/src/crd/testdata/openapi-check';
import fs from 'node:fs';
import path from 'node:path';
import { mutatingWebhooks } from '../../webhook/src/registration';
import { installYaml } from './install';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

const yamlText = installYaml();
const objects = parseAllDocuments(yamlText).map((d) => d.toJS() as Obj);
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const one = (kind: string) => {
  const found = byKind(kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};

const models: Record<string, new (data: never) => { validate(): void }> = {
  Namespace, ServiceAccount, Service, Deployment, PodDisruptionBudget, ClusterRole, ClusterRoleBinding, Role, RoleBinding,
  MutatingWebhookConfiguration, CustomResourceDefinition,
};
const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration']);

describe('install manifests', () => {
  it('match the reviewed snapshot (CRD schemas elided: they are compared with api/src/crd below)', () => {
    const elided = objects.map((o) => (o.kind !== 'CustomResourceDefinition' ? o : {
      ...o, spec: { ...(o.spec as object), versions: (o.spec as { versions: object[] }).versions.map((v) => ({ ...v, schema: '<from api/src/crd>' })) },
    }));
    expect(elided).toMatchSnapshot();
  });

  it('hold exactly the expected objects', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/skein-controlplane', 'ClusterRoleBinding/skein-controlplane',
      'CustomResourceDefinition/authorizationpolicies.security.skein.dev', 'CustomResourceDefinition/destinationrules.networking.skein.dev',
      'CustomResourceDefinition/peerauthentications.security.skein.dev', 'CustomResourceDefinition/virtualservices.networking.skein.dev',
      'Deployment/skein-controlplane', 'MutatingWebhookConfiguration/skein-sidecar-injector', 'Namespace/skein-system',
      'PodDisruptionBudget/skein-controlplane', 'Role/skein-controlplane', 'RoleBinding/skein-controlplane',
      'Service/skein-controlplane', 'ServiceAccount/skein-controlplane',
    ]);
  });

  it.each(objects.map((o) => [`${o.kind}/${o.metadata.name}`, o] as const))('%s is valid against the Kubernetes schema of its kind', (_name, obj) => {
    const Model = models[obj.kind];
    expect(Model).toBeDefined();
    expect(() => new Model!(obj as never).validate()).not.toThrow();
  });

  it('the Kubernetes schema check is real: a malformed object is refused', () => {
    const d = structuredClone(one('Deployment')) as unknown as { spec: { replicas: unknown } };
    d.spec.replicas = 'two';
    expect(() => new Deployment(d as never).validate()).toThrow();
  });

  it('manifests/install.yaml (what users apply) is the current synthesis', () => {
    const committed = fs.readFileSync(path.join(__dirname, '..', 'install.yaml'), 'utf8');
    if (committed !== yamlText) throw new Error('manifests/install.yaml is stale: run `npm run build && node dist/manifests/src/main.js > manifests/install.yaml`');
  });

  it('CRD schemas are structural (no keyword or junctor the API server refuses)', () => {
    for (const crd of byKind('CustomResourceDefinition')) {
      const schema = (crd.spec as { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] }).versions[0]!.schema.openAPIV3Schema;
      expect(structuralProblems(schema)).toEqual([]);
    }
  });

  it('cluster-scoped objects carry no namespace; namespaced ones are in skein-system', () => {
    for (const o of objects) {
      if (clusterScoped.has(o.kind)) expect(o.metadata.namespace).toBeUndefined();
      else expect(o.metadata.namespace).toBe('skein-system');
    }
  });

  it('CRDs are the ones derived from the validator\'s schemas, with the status subresource', () => {
    const crds = byKind('CustomResourceDefinition');
    const expected = crdManifests();
    for (const e of expected as Obj[]) {
      const crd = crds.find((c) => c.metadata.name === e.metadata.name)!;
      expect(crd.spec).toEqual(e.spec);
      expect((crd.spec as { versions: { subresources: unknown }[] }).versions[0]!.subresources).toEqual({ status: {} });
    }
  });

  it('the webhook configuration is the one webhook/src/registration.ts renders, pointing at the Service port 443', () => {
    const config = one('MutatingWebhookConfiguration');
    expect(config.webhooks).toEqual(mutatingWebhooks({ serviceName: 'skein-controlplane', serviceNamespace: 'skein-system' }));
    const svc = one('Service').spec as { ports: { name: string; port: number; targetPort: number }[]; selector: Record<string, string> };
    expect(svc.ports.map((p) => [p.port, p.targetPort])).toEqual([[15012, 15012], [443, 15017], [15014, 15014]]);
    expect(svc.selector).toEqual({ app: 'skein-controlplane' });
  });

  it('every port names its protocol: server-side apply keys ports by (port, protocol), so a re-apply merges instead of adding duplicates', () => {
    const svc = one('Service').spec as { ports: { protocol?: string }[] };
    const containers = (one('Deployment') as unknown as { spec: { template: { spec: { containers: { ports?: { protocol?: string }[] }[] } } } }).spec.template.spec.containers;
    const ports = [...svc.ports, ...containers.flatMap((c) => c.ports ?? [])];
    expect(ports.length).toBeGreaterThan(0);
    expect(ports.map((p) => p.protocol)).toEqual(ports.map(() => 'TCP'));
  });

  it('the Deployment: 2 replicas, probes on :15014, hardened security context, downward-API env, token mounted', () => {
    const d = one('Deployment') as unknown as { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    const pod = d.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.serviceAccountName).toBe('skein-controlplane');
    const c = pod.containers[0]! as Record<string, never>;
    expect(c.args).toEqual(expect.arrayContaining(['controlplane', 'kube', '--webhook-configuration', 'skein-sidecar-injector']));
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 15014 } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 15014 } });
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources).toMatchObject({ requests: { cpu: expect.anything(), memory: expect.anything() }, limits: { cpu: expect.anything(), memory: expect.anything() } });
    const env = (c.env as unknown as { name: string; valueFrom?: { fieldRef: { fieldPath: string } } }[]);
    expect(env.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef.fieldPath).toBe('metadata.namespace');
    expect(env.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef.fieldPath).toBe('metadata.name');
    const pdb = one('PodDisruptionBudget').spec as { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    expect(pdb).toEqual({ minAvailable: 1, selector: { matchLabels: d.spec.selector.matchLabels } });
  });

  describe('RBAC is least privilege', () => {
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
    const rules = (kind: string) => (one(kind).rules as Rule[]);
    const allowed = (rs: Rule[], group: string, resource: string, verb: string, name?: string) =>
      rs.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb) && (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))));

    it('no wildcards anywhere', () => {
      for (const r of [...rules('ClusterRole'), ...rules('Role')]) {
        expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
      }
    });

    it.each([
      ['', 'pods', 'watch', undefined, true],
      ['discovery.k8s.io', 'endpointslices', 'list', undefined, true],
      ['networking.skein.dev', 'virtualservices', 'watch', undefined, true],
      ['networking.skein.dev', 'virtualservices/status', 'patch', undefined, true],
      ['networking.skein.dev', 'virtualservices', 'update', undefined, false],
      ['authentication.k8s.io', 'tokenreviews', 'create', undefined, true],
      ['', 'configmaps', 'update', 'skein-root-cert', true],
      ['', 'configmaps', 'update', 'someone-elses', false],
      ['', 'secrets', 'get', 'skein-ca', false], // secrets only through the Role in skein-system
      ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations', 'patch', 'skein-sidecar-injector', true],
      ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations', 'patch', 'other', false],
      ['', 'pods', 'delete', undefined, false],
    ])('ClusterRole: %s %s %s (%s) → %s', (group, resource, verb, name, expected) => {
      expect(allowed(rules('ClusterRole'), group, resource, verb, name)).toBe(expected);
    });

    it.each([
      ['coordination.k8s.io', 'leases', 'update', 'skein-controlplane', true],
      ['coordination.k8s.io', 'leases', 'update', 'other', false],
      ['', 'secrets', 'get', 'skein-ca', true],
      ['', 'secrets', 'get', 'cacerts', true],
      ['', 'secrets', 'get', 'other', false],
      ['', 'secrets', 'list', undefined, false],
    ])('Role in skein-system: %s %s %s (%s) → %s', (group, resource, verb, name, expected) => {
      expect(allowed(rules('Role'), group, resource, verb, name)).toBe(expected);
    });
  });
});
