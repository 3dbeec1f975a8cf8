/** The simulated Kubernetes node. See docs/simulated-node.md. */
export { startSimulatedNode, type SimulatedNode, type SimulatedNodeOptions } from './node';
export { type ApiConnection } from './api';
