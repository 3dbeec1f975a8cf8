import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { parseAgentArgs } from '../../cni/src/cli';
import { DefaultAgentSocket } from '../../cni/src/names';
import { installYaml } from './install';
import { resolveValues, setLayer } from './values';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
const parse = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const plain = parse(installYaml());
const withCni = parse(installYaml(resolveValues([setLayer('cni.enabled=true')])));
const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;
const agentObjects = withCni.filter((o) => o.metadata.name === 'skein-cni-agent');
const find = (kind: string) => agentObjects.find((o) => o.kind === kind)!;

interface AgentPod {
  hostNetwork: boolean;
  serviceAccountName: string;
  priorityClassName: string;
  tolerations: unknown[];
  containers: Array<{ args: string[]; securityContext: Record<string, unknown>; readinessProbe: { exec: { command: string[] } }; volumeMounts: Array<{ name: string; mountPath: string; mountPropagation?: string }> }>;
  volumes: Array<{ name: string; hostPath: { path: string } }>;
}
const daemonSet = () => find('DaemonSet') as unknown as { spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: AgentPod } } };

describe('install with cni.enabled', () => {
  it('adds the agent\'s DaemonSet, service account and RBAC, and nothing else', () => {
    expect(withCni.map(key).filter((k) => !plain.map(key).includes(k)).sort()).toEqual([
      'ClusterRole/skein-cni-agent', 'ClusterRoleBinding/skein-cni-agent', 'DaemonSet/skein-cni-agent', 'Role/skein-cni-agent', 'RoleBinding/skein-cni-agent', 'ServiceAccount/skein-cni-agent',
    ]);
    expect(withCni.length - agentObjects.length).toBe(plain.length);
  });

  it('tells the control plane to inject in CNI mode (and the default install does not)', () => {
    const args = (objs: Obj[]) => ((objs.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }).spec.template.spec.containers[0]!.args);
    expect(args(withCni).join(' ')).toContain('--capture-mode cni');
    expect(args(plain)).not.toContain('--capture-mode');
  });

  it.each([['DaemonSet', DaemonSet], ['ServiceAccount', ServiceAccount], ['ClusterRole', ClusterRole], ['ClusterRoleBinding', ClusterRoleBinding], ['Role', Role], ['RoleBinding', RoleBinding]] as const)(
    '%s is valid against the Kubernetes schema and scoped right', (kind, Model) => {
      const obj = find(kind);
      expect(() => new Model(obj as never).validate()).not.toThrow();
      expect(obj.metadata.namespace).toBe(kind.startsWith('Cluster') ? undefined : 'skein-system');
    });

  it('the DaemonSet runs `skein cni agent` with flags its parser accepts, on every node, on the host network', () => {
    const ds = daemonSet();
    expect(ds.spec.template.metadata.labels).toMatchObject(ds.spec.selector.matchLabels);
    const pod = ds.spec.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, serviceAccountName: 'skein-cni-agent', priorityClassName: 'system-node-critical', tolerations: [{ operator: 'Exists' }] });
    const [container] = pod.containers;
    expect(container!.args.slice(0, 2)).toEqual(['cni', 'agent']);
    const { values } = parseAgentArgs(container!.args.slice(2));
    expect(values).toEqual({ 'conf-dir': '/host/etc/cni/net.d', 'bin-dir': '/host/opt/cni/bin', socket: DefaultAgentSocket, daemonset: 'skein-cni-agent' });
    expect(container!.readinessProbe.exec.command).toEqual(['test', '-S', DefaultAgentSocket]);
  });

  it('mounts the host\'s CNI dirs, the socket dir at the host\'s own path and the netns dir with propagation', () => {
    const pod = daemonSet().spec.template.spec;
    const mounts = Object.fromEntries(pod.containers[0]!.volumeMounts.map((m) => [m.name, m]));
    const hostPaths = Object.fromEntries(pod.volumes.map((v) => [v.name, v.hostPath.path]));
    expect(hostPaths).toEqual({ 'cni-conf': '/etc/cni/net.d', 'cni-bin': '/opt/cni/bin', 'skein-run': '/var/run/skein', netns: '/var/run/netns' });
    expect(mounts['skein-run']!.mountPath).toBe('/var/run/skein');
    expect(DefaultAgentSocket.startsWith(`${mounts['skein-run']!.mountPath}/`)).toBe(true);
    expect(mounts.netns).toEqual({ name: 'netns', mountPath: '/var/run/netns', mountPropagation: 'HostToContainer' });
    const custom = parse(installYaml(resolveValues([setLayer('cni.enabled=true'), setLayer('cni.confDir=/var/lib/rancher/k3s/agent/etc/cni/net.d')]))).find((o) => o.kind === 'DaemonSet') as unknown as ReturnType<typeof daemonSet>;
    expect(custom.spec.template.spec.volumes[0]!.hostPath.path).toBe('/var/lib/rancher/k3s/agent/etc/cni/net.d');
  });

  it('RBAC: read pods, read its own DaemonSet, nothing else', () => {
    expect(find('ClusterRole').rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
    expect(find('Role').rules).toEqual([{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['skein-cni-agent'], verbs: ['get'] }]);
    for (const binding of ['ClusterRoleBinding', 'RoleBinding']) {
      expect(find(binding).subjects).toEqual([{ kind: 'ServiceAccount', name: 'skein-cni-agent', namespace: 'skein-system' }]);
    }
  });
});
