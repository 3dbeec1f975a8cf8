/**
 * The install manifests (cdk8s): namespace skein-system, the four CRDs (schemas from api/src/crd, the
 * same source as the validator), RBAC, the control-plane Deployment (2 replicas), its PDB, the Service
 * (xDS/CA 15012, webhook 443→15017, monitoring 15014) and the MutatingWebhookConfiguration from
 * webhook/src/registration.ts; with `cni.enabled`, the CNI node agent (./cni.ts). Two charts:
 * cluster-scoped objects carry no namespace. What may vary is the values model (./values.ts);
 * `npm run manifests` and `skein install` both render from here.
 */
import { ApiObject, App, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { parseAllDocuments } from 'yaml';
import { crdManifests } from '../../api/src/crd';
import { ControlPlaneName, ControlPlanePorts, DefaultTrustDomain, SystemNamespace, WebhookConfigurationName } from '../../api/src/names';
import { mutatingWebhooks, webhookServicePort } from '../../webhook/src/registration';
import pkg from '../../package.json';
import { addCniAgent, cniControlPlaneArgs } from './cni';
import { addClusterRbac, addNamespaceRbac, type RbacNames } from './rbac';
import { cpuQuantity, defaultImage, type InstallValues, memoryQuantity, resolveValues } from './values';

export { ControlPlaneName, defaultImage, WebhookConfigurationName };
const labels = { 'app.kubernetes.io/name': ControlPlaneName, 'app.kubernetes.io/part-of': 'skein', 'app.kubernetes.io/version': pkg.version };
const selector = { app: ControlPlaneName };

const rbacNames: RbacNames = {
  name: ControlPlaneName, serviceAccount: ControlPlaneName, namespace: SystemNamespace,
  webhookConfiguration: WebhookConfigurationName, lease: ControlPlaneName, caSecrets: ['cacerts', 'skein-ca'],
};

function clusterChart(app: App): void {
  const chart = new Chart(app, 'skein-cluster', { disableResourceNameHashes: true, labels });
  new kplus.Namespace(chart, 'namespace', { metadata: { name: SystemNamespace } });
  crdManifests().forEach((crd, i) => new ApiObject(chart, `crd-${i}`, crd as never));
  addClusterRbac(chart, rbacNames, labels);
  new ApiObject(chart, 'webhook', {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
    metadata: { name: WebhookConfigurationName },
    // caBundle is filled in by the control plane's leader (its CA signs the webhook certificate).
    webhooks: mutatingWebhooks({ serviceName: ControlPlaneName, serviceNamespace: SystemNamespace }),
  });
}

function controlPlaneChart(app: App, values: InstallValues): void {
  const chart = new Chart(app, ControlPlaneName, { namespace: SystemNamespace, disableResourceNameHashes: true, labels });
  const sa = new kplus.ServiceAccount(chart, 'service-account', { metadata: { name: ControlPlaneName }, automountToken: true });
  addNamespaceRbac(chart, rbacNames, labels);
  const args = ['controlplane', 'kube', '--webhook-configuration', WebhookConfigurationName, '--proxy-image', values.image];
  if (values.trustDomain !== DefaultTrustDomain) args.push('--trust-domain', values.trustDomain);
  if (values['cni.enabled']) args.push(...cniControlPlaneArgs);
  const deployment = new kplus.Deployment(chart, 'deployment', {
    metadata: { name: ControlPlaneName },
    replicas: values.replicas,
    serviceAccount: sa,
    automountServiceAccountToken: true,
    select: false,
    podMetadata: { labels: selector },
    securityContext: { ensureNonRoot: true, user: 1337, group: 1337 },
    strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    containers: [{
      name: 'controlplane',
      image: values.image,
      imagePullPolicy: pullPolicies[values.imagePullPolicy],
      args,
      // protocol spelled out: with server-side apply it is part of the ports' list key (port, protocol).
      ports: [
        { name: 'grpc-xds', number: ControlPlanePorts.xds, protocol: kplus.Protocol.TCP },
        { name: 'https-webhook', number: ControlPlanePorts.webhook, protocol: kplus.Protocol.TCP },
        { name: 'http-monitoring', number: ControlPlanePorts.monitoring, protocol: kplus.Protocol.TCP },
      ],
      startup: kplus.Probe.fromHttpGet('/healthz', { port: ControlPlanePorts.monitoring, failureThreshold: 60, periodSeconds: Duration.seconds(2) }),
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: ControlPlanePorts.monitoring }),
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: ControlPlanePorts.monitoring }),
      resources: {
        cpu: { request: cpu(values['resources.requests.cpu']), limit: cpu(values['resources.limits.cpu']) },
        memory: { request: memory(values['resources.requests.memory']), limit: memory(values['resources.limits.memory']) },
      },
      securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, user: 1337, group: 1337 },
      envVariables: {
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        NODE_OPTIONS: kplus.EnvValue.fromValue('--max-old-space-size=768'),
      },
    }],
  });
  deployment.select(kplus.LabelSelector.of({ labels: selector }));
  // cdk8s-plus has no capabilities or seccomp fields: patch them in.
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    JsonPatch.add('/spec/template/spec/affinity', {
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } }] },
    }),
  );
  new ApiObject(chart, 'pdb', {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: ControlPlaneName },
    spec: { minAvailable: 1, selector: { matchLabels: selector } },
  });
  const service = new kplus.Service(chart, 'service', {
    metadata: { name: ControlPlaneName },
    ports: [
      { name: 'grpc-xds', port: ControlPlanePorts.xds, targetPort: ControlPlanePorts.xds, protocol: kplus.Protocol.TCP },
      { name: 'https-webhook', port: webhookServicePort, targetPort: ControlPlanePorts.webhook, protocol: kplus.Protocol.TCP },
      { name: 'http-monitoring', port: ControlPlanePorts.monitoring, targetPort: ControlPlanePorts.monitoring, protocol: kplus.Protocol.TCP },
    ],
  });
  service.selectLabel('app', ControlPlaneName);
}

/** Quantities as the values model checked them (./values.ts) → cdk8s-plus units. */
function cpu(quantity: string): kplus.Cpu {
  const m = cpuQuantity.exec(quantity)!;
  return m[1] !== undefined ? kplus.Cpu.millis(Number(m[1])) : kplus.Cpu.units(Number(m[2]));
}

function memory(quantity: string): Size {
  const m = memoryQuantity.exec(quantity)!;
  return m[2] === 'Gi' ? Size.gibibytes(Number(m[1])) : Size.mebibytes(Number(m[1]));
}

const pullPolicies: Record<InstallValues['imagePullPolicy'], kplus.ImagePullPolicy> = {
  Always: kplus.ImagePullPolicy.ALWAYS, IfNotPresent: kplus.ImagePullPolicy.IF_NOT_PRESENT, Never: kplus.ImagePullPolicy.NEVER,
};

/** The install manifests as one multi-document YAML string (defaults: `npm run manifests`). */
export function installYaml(values: InstallValues = resolveValues([])): string {
  const app = new App();
  clusterChart(app);
  controlPlaneChart(app, values);
  if (values['cni.enabled']) addCniAgent(app, { enabled: true, confDir: values['cni.confDir'], binDir: values['cni.binDir'], image: values.image, labels });
  return app.synthYaml();
}

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [field: string]: unknown;
}

/** The same manifests as objects, in apply order (what `skein install` applies): parsed from the YAML, so both are one. */
export function installObjects(values: InstallValues = resolveValues([])): { yaml: string; objects: RenderedObject[] } {
  const yaml = installYaml(values);
  return { yaml, objects: parseAllDocuments(yaml).map((d) => d.toJS() as RenderedObject).filter((o) => o != null) };
}
