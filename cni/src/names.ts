/**
 * Names of the CNI mode shared by the node agent, the install manifests and the tests. The plugin
 * shim (cni/native/skein-cni.c) compiles in the same default socket path; a test holds them equal.
 */

/** `type` of Skein's entry in the conflist, and the file name of the plugin in the CNI bin dir. */
export const PluginType = 'skein-cni';

/** Where the agent listens and the plugin connects (a conflist entry may name another path). */
export const DefaultAgentSocket = '/var/run/skein/cni.sock';

/** The usual directories of a node (kubelet / containerd / CRI-O defaults). */
export const DefaultConfDir = '/etc/cni/net.d';
export const DefaultBinDir = '/opt/cni/bin';

/**
 * The runtime capability that passes the pod's annotations to the plugin (containerd 1.5+,
 * CRI-O 1.28+). The plugin uses them only to fail closed for marked pods while the agent is down.
 */
export const PodAnnotationsCapability = 'io.kubernetes.cri.pod-annotations';

/** DaemonSet, ServiceAccount and RBAC name of the node agent. */
export const AgentName = 'skein-cni-agent';
