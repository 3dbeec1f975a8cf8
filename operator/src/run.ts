/** Starts a complete control plane (local mode): file source, ADS/CA gRPC server, monitoring. */
import { ControlPlaneMetrics } from './monitoring/metrics';
import { startMonitoring } from './monitoring/http-server';
import { ControlPlane } from './controlplane';
import { type MeshSettings } from './core/mesh-index';
import { type ResourceValidator } from './core/validation';
import { type DebounceOptions } from './debounce';
import { FileSource } from './sources/file-source';
import { startXdsServer } from './xds/grpc-server';
import { caMetrics } from '../../ca/src/service/metrics';
import { type LoadedCa } from '../../ca/src/store/ca-dir';

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
  log?: (line: string) => void;
}

export interface RunningControlPlane {
  controlPlane: ControlPlane;
  xdsPort?: number;
  plaintextXdsPort?: number;
  monitorPort: number;
  stop(): Promise<void>;
}

export async function runControlPlane(options: RunOptions): Promise<RunningControlPlane> {
  const controlPlane = new ControlPlane({ settings: options.settings, debounce: options.debounce, log: options.log, metrics: new ControlPlaneMetrics() });
  const source = new FileSource({ dir: options.configDir, listener: controlPlane, pollIntervalMs: options.pollIntervalMs, crdValidator: options.crdValidator });
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    controlPlane.stop();
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const monitoring = await startMonitoring(controlPlane, options.monitorHost, options.monitorPort);
    stops.push(monitoring.close);
    await source.start();
    stops.push(() => source.stop());
    const recordCaEvent = caMetrics(controlPlane.metrics.registry);
    const xds = await startXdsServer({
      ads: controlPlane.ads, ca: options.ca, host: options.xdsHost, port: options.xdsPort, plaintextPort: options.plaintextXdsPort,
      onCaEvent: (event) => {
        recordCaEvent(event);
        controlPlane.recordCaEvent(event);
        options.log?.(event.type === 'issued' ? `ca: issued ${event.spiffeId} (${event.authenticator}) until ${event.notAfter}` : `ca: refused: ${event.reason}`);
      },
    });
    stops.push(xds.close);
    return { controlPlane, xdsPort: xds.port, plaintextXdsPort: xds.plaintextPort, monitorPort: monitoring.port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
