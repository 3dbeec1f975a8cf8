/**
 * The Kubernetes journeys (issue 12) on the simulated cluster, init-container mode: install.yaml
 * applied to the simulated API server, the control plane and every meshed pod run by the simulated
 * node from their pod specs, traffic in network namespaces. See e2e/cluster/journeys/suite.ts for
 * what each journey checks, docs/kubernetes.md ("The journeys") for how to run them.
 */
import { describeSystem } from '../support/system';
import { journeySuite } from './journeys/suite';
import { startSimulatedCluster } from './simulated';

describeSystem('Kubernetes journeys on the simulated cluster', () => {
  journeySuite({ cni: false, start: () => startSimulatedCluster(), startTimeoutMs: 120_000, keep: process.env.SKEIN_KEEP_CLUSTER === '1' });
}, ['ip', 'iptables', 'iptables-restore', 'nsenter', 'unshare', 'setpriv', 'tcpdump']);
