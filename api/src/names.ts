/**
 * Names shared by every part of Skein: ports, labels, annotations, the proxy UID, env variables.
 * The webhook renders pods from these, the init container captures with them, the proxy listens
 * on them. Change a value here and every part follows.
 */

/** Ports of the sidecar proxy (same numbers as Istio's, so operators' muscle memory works). */
export const ProxyPorts = {
  /** Admin API, loopback only: config dump, stats, drain, quit. */
  admin: 15000,
  /** Transparent outbound capture (iptables REDIRECT target for traffic leaving the pod). */
  outbound: 15001,
  /** Transparent inbound capture (iptables REDIRECT target for traffic entering the pod). */
  inbound: 15006,
  /** Agent / app probe rewrite port. */
  agent: 15020,
  /** Health: `/healthz/ready`. */
  health: 15021,
  /** Prometheus metrics. */
  prometheus: 15090,
} as const;

/** Ports of the control plane. */
export const ControlPlanePorts = {
  /** ADS (xDS) and the CA, one gRPC server with TLS. */
  xds: 15012,
  /** Monitoring: /metrics, /healthz, /readyz, /debug/*. */
  monitoring: 15014,
  /** HTTPS admission webhook (Service port 443). */
  webhook: 15017,
} as const;

/** Inbound ports never captured by the init rules (the proxy's own externally reachable ports). */
export const ExcludedInboundPorts: readonly number[] = [ProxyPorts.agent, ProxyPorts.health, ProxyPorts.prometheus];

/** The proxy runs as this UID and GID; traffic it originates is never captured again. */
export const ProxyUid = 1337;
export const ProxyGid = 1337;

/** Source address the inbound proxy uses towards the app, excluded from capture. */
export const InboundPassthroughSource = '127.0.0.6';
/** IPv6 analogue of 127.0.0.6 (added to lo by init-network). */
export const InboundPassthroughSourceV6 = '::6';

/** Namespace the control plane runs in. */
export const SystemNamespace = 'skein-system';

/** The control plane's Deployment, Service and Lease name. */
export const ControlPlaneName = 'skein-controlplane';
/** The control plane Service's in-cluster DNS name: always a SAN of its serving certificate. */
export const ControlPlaneHost = `${ControlPlaneName}.${SystemNamespace}.svc`;
/** DNS names of the control plane's serving certificate (xDS, CA and webhook). */
export const ControlPlaneDnsNames: readonly string[] = ['localhost', ControlPlaneHost, `${ControlPlaneHost}.cluster.local`];

/** The MutatingWebhookConfiguration the install creates and the control plane's leader keeps the caBundle of. */
export const WebhookConfigurationName = 'skein-sidecar-injector';

/** Default SPIFFE trust domain. */
export const DefaultTrustDomain = 'cluster.local';

/** Audience of the projected service-account token presented to the CA. */
export const CaTokenAudience = 'skein-ca';

/** ConfigMap holding the trust bundle in every meshed namespace. */
export const RootCertConfigMap = 'skein-root-cert';

export const Labels = {
  /** On a namespace: `enabled` turns injection on. On a pod: `true`/`false` opts in/out. */
  inject: 'skein.dev/inject',
  /** Workload version label used for subsets in examples (Istio convention). */
  version: 'version',
  app: 'app',
} as const;

export const Annotations = {
  /** Pod opt-out (`"false"`) as an annotation. */
  inject: 'skein.dev/inject',
  /** Set by the webhook on injected pods: JSON describing what was injected. */
  status: 'skein.dev/status',
  excludeInboundPorts: 'traffic.skein.dev/excludeInboundPorts',
  includeInboundPorts: 'traffic.skein.dev/includeInboundPorts',
  excludeOutboundPorts: 'traffic.skein.dev/excludeOutboundPorts',
  excludeOutboundIPRanges: 'traffic.skein.dev/excludeOutboundIPRanges',
  includeOutboundIPRanges: 'traffic.skein.dev/includeOutboundIPRanges',
  proxyCpu: 'sidecar.skein.dev/proxyCPU',
  proxyMemory: 'sidecar.skein.dev/proxyMemory',
  proxyCpuLimit: 'sidecar.skein.dev/proxyCPULimit',
  proxyMemoryLimit: 'sidecar.skein.dev/proxyMemoryLimit',
  /**
   * Per pod, `"true"`/`"false"`: inject the proxy as a native sidecar (restartable init container)
   * or as a classic one, whatever the cluster version and the injection config say (Istio's
   * `sidecar.istio.io/nativeSidecar`).
   */
  nativeSidecar: 'sidecar.skein.dev/nativeSidecar',
  /** Original app probes, kept when the webhook rewrites them to the proxy's health port. */
  originalProbes: 'sidecar.skein.dev/originalProbes',
  /** Per-workload local rate limit (tokens per second), see docs. */
  rateLimit: 'traffic.skein.dev/rateLimit',
  /**
   * CNI mode: set by the webhook instead of the skein-init container. JSON list of the
   * `skein init-network` flags; the Skein CNI agent applies exactly these in the pod's network
   * namespace when the pod's sandbox is created. Its presence marks the pod for capture.
   */
  cniCapture: 'cni.skein.dev/capture',
} as const;

/** Container names the webhook injects. */
export const Containers = {
  proxy: 'skein-proxy',
  init: 'skein-init',
  /** CNI mode: checks, without any capability, that the CNI agent set up the capture. */
  validation: 'skein-validation',
} as const;

/** Environment variables the proxy reads (declared once, in proxy's env module, from these names). */
export const ProxyEnv = {
  podName: 'POD_NAME',
  podNamespace: 'POD_NAMESPACE',
  instanceIp: 'INSTANCE_IP',
  serviceAccount: 'SERVICE_ACCOUNT',
  xdsAddress: 'SKEIN_XDS_ADDRESS',
  caAddress: 'SKEIN_CA_ADDRESS',
  trustDomain: 'SKEIN_TRUST_DOMAIN',
  tokenPath: 'SKEIN_TOKEN_PATH',
  rootCertPath: 'SKEIN_ROOT_CERT_PATH',
  joinToken: 'SKEIN_JOIN_TOKEN',
  clusterDomain: 'SKEIN_CLUSTER_DOMAIN',
  /** JSON of the app's original HTTP probes (from the originalProbes annotation, downward API). */
  appProbes: 'SKEIN_APP_PROBES',
  /** Pod labels as a JSON object of strings (local mode; sent to the control plane as node metadata). */
  podLabels: 'SKEIN_POD_LABELS',
  /** Pod labels as a downward API `labels` file (`key="value"` lines), what the webhook mounts. */
  podLabelsFile: 'SKEIN_POD_LABELS_FILE',
  /** Local mode without iptables: explicit outbound listeners `15101=reviews:9080,…`. */
  outboundPorts: 'SKEIN_OUTBOUND_PORTS',
  /** Local mode without iptables: explicit inbound listeners `15106=9080,…` (listen port = app port). */
  inboundPorts: 'SKEIN_INBOUND_PORTS',
  /** Requested workload certificate lifetime in seconds (default: the CA's). */
  certValiditySeconds: 'SKEIN_CERT_VALIDITY_SECONDS',
  /** Envoy stream_idle_timeout, seconds, for connection managers that set none (default 300; 0: none). */
  streamIdleTimeoutSeconds: 'SKEIN_STREAM_IDLE_TIMEOUT_SECONDS',
  /** The ADS variant: `delta` (default) or `sotw` (state of the world). */
  xdsProtocol: 'SKEIN_XDS_PROTOCOL',
} as const;

/**
 * Node metadata key: the port of the proxy's Prometheus endpoint (`/stats/prometheus` on its pod IP),
 * which the control plane scrapes for its dashboard. Absent: the default, ProxyPorts.prometheus.
 */
export const NodeMetadataPrometheusPort = 'SKEIN_PROMETHEUS_PORT';

/** Where the webhook mounts things in the proxy container. */
export const ProxyMounts = {
  token: '/var/run/secrets/tokens',
  tokenFile: '/var/run/secrets/tokens/skein-token',
  rootCert: '/var/run/secrets/skein/root',
  rootCertFile: '/var/run/secrets/skein/root/root-cert.pem',
  /** downwardAPI volume with the pod's labels (file `labels`). */
  podInfo: '/etc/skein/podinfo',
  podLabelsFile: '/etc/skein/podinfo/labels',
} as const;

/** API groups of Skein's CRDs. */
export const ApiGroups = {
  networking: 'networking.skein.dev',
  security: 'security.skein.dev',
} as const;
export const ApiVersion = 'v1alpha1';
