/**
 * Starts a complete control plane (local mode): file source, ADS/CA gRPC server, monitoring. The CA
 * directory is reloaded when it changes (root rotation: `skein ca bundle`, `skein ca switch`).
 */
import { ControlPlaneMetrics } from './monitoring/metrics';
import { debugAccess } from './monitoring/debug-access';
import { startMonitoring } from './monitoring/http-server';
import { ControlPlane } from './controlplane';
import { type MeshSettings } from './core/mesh-index';
import { type ResourceValidator } from './core/validation';
import { type DebounceOptions } from './debounce';
import { FileSource } from './sources/file-source';
import { startXdsServer } from './xds/grpc-server';
import { SystemNamespace } from '../../api/src/names';
import { type IssuanceLimits } from '../../ca/src/core/rate-limit';
import { bearerAuthenticator } from '../../ca/src/service/ca-server';
import { LiveCa } from '../../ca/src/service/live-ca';
import { caMetrics } from '../../ca/src/service/metrics';
import { type LoadedCa } from '../../ca/src/store/ca-dir';
import { watchCaDir } from '../../ca/src/store/ca-dir-watch';

export interface RunOptions {
  configDir: string;
  settings: MeshSettings;
  ca?: LoadedCa;
  xdsHost: string;
  xdsPort: number;
  plaintextXdsPort?: number;
  monitorHost: string;
  monitorPort: number;
  pollIntervalMs?: number;
  debounce?: DebounceOptions;
  crdValidator?: ResourceValidator;
  /** CA issuance rate limits (default ca/src/core/rate-limit.ts). */
  caLimits?: IssuanceLimits;
  /** Lifetime of the xDS/CA serving certificate (default 24 h, renewed at half-life). */
  servingTtlMs?: number;
  log?: (line: string) => void;
}

export interface RunningControlPlane {
  controlPlane: ControlPlane;
  xdsPort?: number;
  plaintextXdsPort?: number;
  monitorPort: number;
  /** The CA as it signs now (reloaded from its directory). */
  ca?: LiveCa;
  stop(): Promise<void>;
}

export async function runControlPlane(options: RunOptions): Promise<RunningControlPlane> {
  const controlPlane = new ControlPlane({ settings: options.settings, debounce: options.debounce, log: options.log, metrics: new ControlPlaneMetrics(), nodeRules: { localPorts: true } });
  const source = new FileSource({ dir: options.configDir, listener: controlPlane, pollIntervalMs: options.pollIntervalMs, crdValidator: options.crdValidator });
  const live = options.ca ? new LiveCa(options.ca) : undefined;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    controlPlane.stop();
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    // Remote debug readers prove themselves with a join token of the control plane's namespace.
    const authenticator = live && bearerAuthenticator(live);
    const debug = debugAccess({ namespaces: [SystemNamespace], ...(authenticator ? { authenticator } : {}) });
    // Local mode: the dashboard answers wherever the monitoring server listens (127.0.0.1 by default).
    const monitoring = await startMonitoring(controlPlane, options.monitorHost, options.monitorPort, undefined, { debug, dashboard: 'any' });
    stops.push(monitoring.close);
    await source.start();
    stops.push(() => source.stop());
    if (live) {
      const watch = watchCaDir(live.ca.dir, live, { intervalMs: options.pollIntervalMs, log: options.log });
      stops.push(async () => watch.stop());
    }
    const recordCaEvent = caMetrics(controlPlane.metrics.registry);
    const xds = await startXdsServer({
      ads: controlPlane.ads, ca: live, host: options.xdsHost, port: options.xdsPort, plaintextPort: options.plaintextXdsPort,
      limits: options.caLimits, servingTtlMs: options.servingTtlMs, log: options.log,
      onCaEvent: (event) => {
        recordCaEvent(event);
        controlPlane.recordCaEvent(event);
        options.log?.(event.type === 'issued' ? `ca: issued ${event.spiffeId} (${event.authenticator}) until ${event.notAfter}` : `ca: refused: ${event.reason}`);
      },
    });
    stops.push(xds.close);
    return { controlPlane, xdsPort: xds.port, plaintextXdsPort: xds.plaintextPort, monitorPort: monitoring.port, ...(live ? { ca: live } : {}), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
