/**
 * What the Kubernetes journeys (e2e/cluster/journeys/) need from a cluster beyond its API: the
 * simulated cluster (e2e/cluster/simulated.ts) and kind (e2e/kind/backend.ts) implement it. The
 * journeys do everything else through the API server with the admin kubeconfig, as a user with
 * kubectl would: apply manifests, create namespaces and Deployments, watch pods, read status.
 */

/** The images a journey's pods name (the app images' ENTRYPOINT is `node /opt/skein/e2e/apps/build/<app>.js`). */
export interface JourneyImages {
  /** The Skein image: control plane, proxy, init and CNI agent. */
  skein: string;
  /** The echo server (HTTP/h2c/WebSocket, gRPC, TCP), which reports the caller's SPIFFE id. */
  echo: string;
  /** The load client; a long-running pod of it runs `sleep` and the journeys exec the client. */
  client: string;
}

/** The compiled test apps inside the app images (same path on every backend). */
export const AppsDirInImage = '/opt/skein/e2e/apps/build';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A packet capture of pod-to-pod traffic (pcap bytes when stopped). */
export interface TrafficCapture {
  stop(): Promise<Buffer>;
}

export interface ClusterBackend {
  /** `simulated`, `kind`. */
  readonly name: string;
  /** An admin kubeconfig for clients on this machine (client-node, `skein`, kubectl). */
  readonly kubeconfigPath: string;
  readonly images: JourneyImages;
  /** The pull policy that makes the nodes use the images they were given (`IfNotPresent` for kind-loaded ones). */
  readonly imagePullPolicy: 'IfNotPresent' | 'Never' | 'Always';
  /** Native sidecars: the cluster's version is 1.29 or later. */
  readonly nativeSidecars: boolean;
  /** `kubectl exec`: argv in a running container, as the container's user. */
  exec(namespace: string, pod: string, container: string, argv: readonly string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
  /** `kubectl logs` (`previous`: the last terminated instance). */
  logs(namespace: string, pod: string, container: string, options?: { previous?: boolean }): Promise<string>;
  /**
   * Captures the traffic between pods (the node's bridge), or undefined when this backend cannot
   * (the journeys then say the wire was not checked).
   */
  captureTraffic(): Promise<TrafficCapture | undefined>;
  /** What to print when a journey fails: container and node logs. */
  diagnostics(): Promise<string>;
  stop(options?: { keep?: boolean }): Promise<void>;
}
