/** The body of `skein controlplane` (local mode): loads the CA, runs until SIGINT/SIGTERM. */
import { type CommandIo, UsageError } from '../../../api/src/command';
import { type IssuanceLimits } from '../../../ca/src/core/rate-limit';
import { loadCaDir } from '../../../ca/src/store/ca-dir';
import { type MeshSettings } from '../core/mesh-index';
import { runControlPlane, type RunOptions } from '../run';

/** Where it listens: as runControlPlane takes it. */
export interface LocalControlPlaneOptions extends Pick<RunOptions, 'configDir' | 'xdsHost' | 'xdsPort' | 'plaintextXdsPort' | 'monitorHost' | 'monitorPort' | 'pollIntervalMs'> {
  caDir?: string;
  /** The flag's value (checked against the CA's trust domain). */
  trustDomain?: string;
  settings: (trustDomain: string | undefined) => MeshSettings;
  caLimits?: IssuanceLimits;
}

export async function runLocalControlPlane(o: LocalControlPlaneOptions, io: CommandIo): Promise<number> {
  const ca = o.caDir ? await loadCaDir(o.caDir) : undefined;
  // The mesh's trust domain is the CA's: SANs the proxies expect must be what the CA signs.
  const caDomain = ca?.authority.trustDomain;
  if (caDomain && o.trustDomain && o.trustDomain !== caDomain) {
    throw new UsageError(`--trust-domain ${o.trustDomain} differs from the CA's trust domain ${caDomain}`);
  }
  const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const running = await runControlPlane({
    configDir: o.configDir, ca, log, settings: o.settings(o.trustDomain ?? caDomain),
    xdsHost: o.xdsHost, xdsPort: o.xdsPort, plaintextXdsPort: o.plaintextXdsPort,
    monitorHost: o.monitorHost, monitorPort: o.monitorPort, pollIntervalMs: o.pollIntervalMs, caLimits: o.caLimits,
  });
  if (running.xdsPort !== undefined) log(`controlplane: ADS+CA (TLS) on ${o.xdsHost}:${running.xdsPort}`);
  if (running.plaintextXdsPort !== undefined) log(`controlplane: WARNING plaintext ADS on 127.0.0.1:${running.plaintextXdsPort} (no TLS)`);
  log(`controlplane: monitoring on ${o.monitorHost}:${running.monitorPort}`);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  log('controlplane: shutting down');
  await running.stop();
  return 0;
}
