/** The simulated Kubernetes node. See docs/simulated-cluster.md. */
export { startSimulatedNode, type SimulatedNode, type SimulatedNodeOptions } from './node';
export { type ApiConnection } from './api';
