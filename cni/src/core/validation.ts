/**
 * What the `skein-validation` init container probes: a connection from the proxy's UID to the pod's
 * own address on a port that only the capture makes answer. The capture rules send that connection
 * (proxy UID, over lo, to a non-loopback address) through SKEIN_INBOUND to the inbound capture port,
 * where the validator listens; without the rules nothing listens on the probed port and the
 * connection is refused. Istio's validation works the same way.
 */
import { alwaysExcludedInboundPorts, type CaptureConfig } from '../../../capture/src/core/capture-rules';

/** Ports tried, in order, when every inbound port is captured (none of them is a proxy port). */
const candidates = [15002, 15003, 15004, 15005, 15007, 15008, 15009];

/**
 * The port to probe: one that the config captures inbound and that is not a capture port itself.
 * Undefined when the config captures no inbound port (validation cannot prove anything then).
 */
export function probePort(config: CaptureConfig): number | undefined {
  const excluded = new Set([...alwaysExcludedInboundPorts, ...config.excludeInboundPorts, config.inboundCapturePort, config.outboundCapturePort]);
  const options = config.includeInboundPorts === '*' ? candidates : [...config.includeInboundPorts].sort((a, b) => a - b);
  return options.find((port) => !excluded.has(port));
}

export type ProbeResult = 'redirected' | 'refused' | 'timeout' | 'answered-elsewhere';

/** The validator's verdict as one line for the container log (and the pod's termination message). */
export function verdict(result: ProbeResult, target: string, capturePort: number): { ok: boolean; message: string } {
  switch (result) {
    case 'redirected':
      return { ok: true, message: `skein-validation: traffic capture is in place (a connection to ${target} reached the inbound capture port ${capturePort})` };
    case 'refused':
    case 'timeout':
      return {
        ok: false,
        message: `skein-validation: traffic capture is NOT in place in this pod: a connection to ${target} ${result === 'refused' ? 'was refused' : 'timed out'} instead of being redirected to port ${capturePort}. ` +
          'The Skein CNI agent did not set up this pod\'s network (was skein-cni-agent running and chained on this node when the pod was created?). ' +
          'The pod will not start unmeshed: delete it to have it recreated once `kubectl -n skein-system get daemonset skein-cni-agent` is ready.',
      };
    case 'answered-elsewhere':
      return { ok: false, message: `skein-validation: something other than the capture answered on ${target}: cannot tell whether traffic is captured` };
  }
}
