/**
 * `skein cni validate`: the `skein-validation` init container of a CNI-mode pod. No capability,
 * the proxy's UID: it listens on the inbound capture port and connects to the pod's own address on
 * a port that only the capture rules make answer (core/validation.ts). A pod whose sandbox was
 * created without the agent's rules fails here, with a message saying so, instead of running
 * unmeshed.
 */
import net from 'node:net';
import os from 'node:os';
import { type CaptureConfig } from '../../capture/src/core/capture-rules';
import { probePort, type ProbeResult, verdict } from './core/validation';

/** The pod's own address: the first non-loopback IPv4 address, else a global IPv6 one. */
export function podAddress(interfaces = os.networkInterfaces()): { address: string; family: 4 | 6 } | undefined {
  const all = Object.values(interfaces).flatMap((list) => list ?? []).filter((a) => !a.internal);
  const v4 = all.find((a) => a.family === 'IPv4');
  if (v4) return { address: v4.address, family: 4 };
  const v6 = all.find((a) => a.family === 'IPv6' && !a.address.toLowerCase().startsWith('fe80'));
  return v6 ? { address: v6.address, family: 6 } : undefined;
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Connects to host:port and says whether `server` received that very connection. */
function probe(server: net.Server, host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const seen = new Set<number>();
    let clientPort: number | undefined;
    const finish = (result: ProbeResult) => {
      clearTimeout(timer);
      server.off('connection', onConnection);
      client.destroy();
      resolve(result);
    };
    const onConnection = (socket: net.Socket) => {
      if (socket.remotePort !== undefined) seen.add(socket.remotePort);
      socket.destroy();
      if (clientPort !== undefined && seen.has(clientPort)) finish('redirected');
    };
    server.on('connection', onConnection);
    const client = net.connect({ host, port });
    const timer = setTimeout(() => finish(clientPort === undefined ? 'timeout' : 'answered-elsewhere'), timeoutMs);
    client.on('connect', () => {
      clientPort = client.localPort;
      if (clientPort !== undefined && seen.has(clientPort)) finish('redirected');
    });
    client.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'refused' : 'timeout'));
  });
}

export interface ValidationResult {
  ok: boolean;
  message: string;
}

export async function validateCapture(config: CaptureConfig, options: { timeoutMs: number; uid?: number; gid?: number }): Promise<ValidationResult> {
  const port = probePort(config);
  if (port === undefined) {
    return { ok: false, message: 'skein-validation: this pod captures no inbound port, so the capture cannot be checked; CNI mode needs at least one captured inbound port (traffic.skein.dev/includeInboundPorts)' };
  }
  const [uid, gid] = [options.uid ?? process.getuid?.(), options.gid ?? process.getgid?.()];
  if (uid !== config.proxyUid && gid !== config.proxyGid) {
    return { ok: false, message: `skein-validation: must run as the proxy's UID ${config.proxyUid} (or GID ${config.proxyGid}), runs as ${uid}:${gid}: only the proxy's connections to the pod's own address are redirected` };
  }
  const own = podAddress();
  if (!own) return { ok: false, message: 'skein-validation: the pod has no network address besides loopback' };
  const server = net.createServer();
  try {
    await listen(server, config.inboundCapturePort, own.family === 4 ? '0.0.0.0' : '::');
  } catch (err) {
    return { ok: false, message: `skein-validation: cannot listen on the inbound capture port ${config.inboundCapturePort} (${(err as Error).message}); skein-validation must run before the proxy` };
  }
  try {
    const target = own.family === 4 ? `${own.address}:${port}` : `[${own.address}]:${port}`;
    return verdict(await probe(server, own.address, port, options.timeoutMs), target, config.inboundCapturePort);
  } finally {
    server.close();
  }
}
