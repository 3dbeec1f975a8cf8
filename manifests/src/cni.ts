/**
 * CNI mode in the install (`cni.enabled`): the Skein CNI node agent as a DaemonSet on every node,
 * its service account and least-privilege RBAC (read pods; read its own DaemonSet, to tell an
 * uninstall from an upgrade), and the control plane's flag that makes the webhook inject in CNI
 * mode. The agent is the one privileged piece (root, host network, host paths): it does on the
 * node what skein-init did in every pod. See docs/traffic-capture.md and docs/adr/0005-cni-plugin.md.
 */
import { ApiObject, type App, Chart } from 'cdk8s';
import { SystemNamespace } from '../../api/src/names';
import { AgentName, DefaultAgentSocket, DefaultBinDir, DefaultConfDir } from '../../cni/src/names';

export interface CniInstallOptions {
  /** Install the node agent and inject pods in CNI mode (no NET_ADMIN in meshed pods). */
  enabled?: boolean;
  /** The node's CNI configuration dir (default /etc/cni/net.d; k3s: /var/lib/rancher/k3s/agent/etc/cni/net.d). */
  confDir?: string;
  /** The node's CNI plugin dir (default /opt/cni/bin; k3s: /var/lib/rancher/k3s/data/current/bin). */
  binDir?: string;
}

/** What the control plane needs to inject in CNI mode (appended to its arguments). */
export const cniControlPlaneArgs: readonly string[] = ['--capture-mode', 'cni'];

/** Where the agent sees the host's CNI dirs inside its container. */
const hostMounts = { confDir: '/host/etc/cni/net.d', binDir: '/host/opt/cni/bin' };
const selector = { app: AgentName };

export function agentRules() {
  return {
    // The pod the runtime is starting: its cni.skein.dev/capture annotation (any namespace).
    cluster: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    // Its own DaemonSet, on SIGTERM: gone or being deleted means uninstall.
    namespace: [{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: [AgentName], verbs: ['get'] }],
  };
}

function roleAndBinding(chart: Chart, kind: 'ClusterRole' | 'Role', rules: unknown[], labels: Record<string, string>): void {
  const id = kind === 'ClusterRole' ? 'cluster-role' : 'role';
  new ApiObject(chart, id, { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: { name: AgentName, labels }, rules });
  new ApiObject(chart, `${id}-binding`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: `${kind}Binding`, metadata: { name: AgentName, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: AgentName },
    subjects: [{ kind: 'ServiceAccount', name: AgentName, namespace: SystemNamespace }],
  });
}

/** Adds the agent's charts to the install (two charts: cluster-scoped objects carry no namespace). */
export function addCniAgent(app: App, options: CniInstallOptions & { image: string; labels: Record<string, string> }): void {
  const labels = { ...options.labels, 'app.kubernetes.io/name': AgentName };
  const rules = agentRules();
  const cluster = new Chart(app, `${AgentName}-cluster`, { disableResourceNameHashes: true, labels });
  roleAndBinding(cluster, 'ClusterRole', rules.cluster, labels);

  const chart = new Chart(app, AgentName, { namespace: SystemNamespace, disableResourceNameHashes: true, labels });
  new ApiObject(chart, 'service-account', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: AgentName } });
  roleAndBinding(chart, 'Role', rules.namespace, labels);
  const hostPath = (name: string, path: string, type: string) => ({ name, hostPath: { path, type } });
  new ApiObject(chart, 'daemonset', {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: AgentName },
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          serviceAccountName: AgentName,
          // Host network: no CNI call for the agent itself, so it starts even while the plugin it
          // installs cannot serve; node-critical and tolerating every taint, like the network plugin.
          hostNetwork: true,
          priorityClassName: 'system-node-critical',
          tolerations: [{ operator: 'Exists' }],
          terminationGracePeriodSeconds: 30,
          containers: [{
            name: 'cni-agent',
            image: options.image,
            imagePullPolicy: 'IfNotPresent',
            args: ['cni', 'agent', '--conf-dir', hostMounts.confDir, '--bin-dir', hostMounts.binDir, '--socket', DefaultAgentSocket, '--daemonset', AgentName],
            env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } }],
            // Root and privileged: it writes the host's CNI files and enters pods' network
            // namespaces (setns needs CAP_SYS_ADMIN) to run iptables (CAP_NET_ADMIN).
            securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false, privileged: true },
            readinessProbe: { exec: { command: ['test', '-S', DefaultAgentSocket] }, periodSeconds: 5 },
            resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
            volumeMounts: [
              { name: 'cni-conf', mountPath: hostMounts.confDir },
              { name: 'cni-bin', mountPath: hostMounts.binDir },
              // The socket at the same path as on the host: the plugin (run by the runtime on the host) connects there.
              { name: 'skein-run', mountPath: '/var/run/skein' },
              // Pods' network namespaces, including those created after the agent started.
              { name: 'netns', mountPath: '/var/run/netns', mountPropagation: 'HostToContainer' },
            ],
          }],
          volumes: [
            hostPath('cni-conf', options.confDir ?? DefaultConfDir, 'DirectoryOrCreate'),
            hostPath('cni-bin', options.binDir ?? DefaultBinDir, 'DirectoryOrCreate'),
            hostPath('skein-run', '/var/run/skein', 'DirectoryOrCreate'),
            hostPath('netns', '/var/run/netns', 'DirectoryOrCreate'),
          ],
        },
      },
    },
  });
}
