/**
 * The install manifests (cdk8s): namespace skein-system, the four CRDs (schemas from api/src/crd, the
 * same source as the validator), RBAC, the control-plane Deployment (2 replicas), its PDB, the Service
 * (xDS/CA 15012, webhook 443→15017, monitoring 15014) and the MutatingWebhookConfiguration from
 * webhook/src/registration.ts. Two charts: cluster-scoped objects carry no namespace.
 */
import { ApiObject, App, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { crdManifests } from '../../api/src/crd';
import { ControlPlaneName, ControlPlanePorts, SystemNamespace } from '../../api/src/names';
import { mutatingWebhooks, webhookServicePort } from '../../webhook/src/registration';
import pkg from '../../package.json';
import { addCniAgent, cniControlPlaneArgs, type CniInstallOptions } from './cni';
import { addClusterRbac, addNamespaceRbac, type RbacNames } from './rbac';

export interface InstallOptions {
  /** The one Skein image (control plane, proxy, init). */
  image?: string;
  replicas?: number;
  trustDomain?: string;
  /** CNI mode (`cni.enabled`): the node agent DaemonSet, and pods injected without NET_ADMIN (manifests/src/cni.ts). */
  cni?: CniInstallOptions;
}

export { ControlPlaneName };
export const WebhookConfigurationName = 'skein-sidecar-injector';
export const defaultImage = `ghcr.io/skein-mesh/skein:${pkg.version}`;
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

function controlPlaneChart(app: App, options: InstallOptions): void {
  const chart = new Chart(app, ControlPlaneName, { namespace: SystemNamespace, disableResourceNameHashes: true, labels });
  const sa = new kplus.ServiceAccount(chart, 'service-account', { metadata: { name: ControlPlaneName }, automountToken: true });
  addNamespaceRbac(chart, rbacNames, labels);
  const args = ['controlplane', 'kube', '--webhook-configuration', WebhookConfigurationName, '--proxy-image', options.image ?? defaultImage];
  if (options.trustDomain) args.push('--trust-domain', options.trustDomain);
  if (options.cni?.enabled) args.push(...cniControlPlaneArgs);
  const deployment = new kplus.Deployment(chart, 'deployment', {
    metadata: { name: ControlPlaneName },
    replicas: options.replicas ?? 2,
    serviceAccount: sa,
    automountServiceAccountToken: true,
    select: false,
    podMetadata: { labels: selector },
    securityContext: { ensureNonRoot: true, user: 1337, group: 1337 },
    strategy: kplus.DeploymentStrategy.rollingUpdate({ maxSurge: kplus.PercentOrAbsolute.absolute(1), maxUnavailable: kplus.PercentOrAbsolute.absolute(0) }),
    containers: [{
      name: 'controlplane',
      image: options.image ?? defaultImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args,
      ports: [
        { name: 'grpc-xds', number: ControlPlanePorts.xds },
        { name: 'https-webhook', number: ControlPlanePorts.webhook },
        { name: 'http-monitoring', number: ControlPlanePorts.monitoring },
      ],
      startup: kplus.Probe.fromHttpGet('/healthz', { port: ControlPlanePorts.monitoring, failureThreshold: 60, periodSeconds: Duration.seconds(2) }),
      liveness: kplus.Probe.fromHttpGet('/healthz', { port: ControlPlanePorts.monitoring }),
      readiness: kplus.Probe.fromHttpGet('/readyz', { port: ControlPlanePorts.monitoring }),
      resources: {
        cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.units(2) },
        memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
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
      { name: 'grpc-xds', port: ControlPlanePorts.xds, targetPort: ControlPlanePorts.xds },
      { name: 'https-webhook', port: webhookServicePort, targetPort: ControlPlanePorts.webhook },
      { name: 'http-monitoring', port: ControlPlanePorts.monitoring, targetPort: ControlPlanePorts.monitoring },
    ],
  });
  service.selectLabel('app', ControlPlaneName);
}

/** The install manifests as one multi-document YAML string. */
export function installYaml(options: InstallOptions = {}): string {
  const app = new App();
  clusterChart(app);
  controlPlaneChart(app, options);
  if (options.cni?.enabled) addCniAgent(app, { ...options.cni, image: options.image ?? defaultImage, labels });
  return app.synthYaml();
}
