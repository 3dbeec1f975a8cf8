/**
 * The TCP proxy network filter: RBAC once per connection (a denial closes it), cluster choice
 * (single, weighted, or passthrough to the original destination), then a plain pipe both ways.
 * Byte counts and connection counts go to the metrics when the connection ends.
 */
import type net from 'node:net';
import type { Cluster, LbEndpoint, NodeInfo, TcpProxy } from '../config/model';
import { evaluateRbac } from '../core/rbac';
import { pickWeighted } from '../core/router';
import type { ProxyMetrics } from '../admin/metrics';
import { tcpLabels } from '../admin/workload-labels';
import type { ConnInfo } from '../http/decide';
import { endpointKey, type Snapshot } from '../runtime/snapshot';
import type { Upstreams } from '../upstream/upstreams';

export interface TcpDeps {
  snapshot(): Snapshot;
  upstreams: Upstreams;
  metrics: ProxyMetrics;
  random(): number;
  ownId(): string | undefined;
  node(): NodeInfo;
  inboundSource(): string | undefined;
}

const passthroughCluster: Cluster = { name: 'PassthroughCluster', type: 'original-dst', transport: { kind: 'plaintext' }, connectTimeoutMs: 10_000 };

export function proxyTcp(down: net.Socket, conn: ConnInfo, tcp: TcpProxy, deps: TcpDeps): void {
  down.on('error', () => down.destroy());
  if (tcp.rbac && !evaluateRbac([tcp.rbac], { principal: conn.peer?.spiffeId, namespace: conn.peer?.namespace, destinationPort: conn.destinationPort }).allowed) {
    down.destroy();
    return;
  }
  const snap = deps.snapshot();
  let cluster: Cluster | undefined;
  let endpoint: LbEndpoint | undefined;
  const name = tcp.weightedClusters ? pickWeighted(tcp.weightedClusters, deps.random()).name : tcp.cluster;
  const rt = name === undefined ? undefined : snap.clusters.get(name);
  if (tcp.passthrough || rt?.config.type === 'original-dst') {
    cluster = rt?.config ?? passthroughCluster;
    endpoint = conn.destinationAddress ? { address: conn.destinationAddress, port: conn.destinationPort } : undefined;
  } else if (rt) {
    cluster = rt.config;
    endpoint = rt.pick({ random: deps.random, activeRequests: deps.upstreams.activeRequests, hash: undefined });
  }
  if (!cluster || !endpoint) {
    down.destroy();
    return;
  }
  const inbound = conn.direction === 'inbound';
  const labels = tcpLabels({ inbound, node: deps.node(), ownId: deps.ownId(), peerId: conn.peer?.spiffeId, cluster: cluster.name });
  const release = deps.upstreams.track(endpointKey(endpoint));
  const idle = tcp.idleTimeoutMs ?? 3_600_000;
  deps.upstreams
    .connect(cluster, endpoint, undefined, inbound ? { localAddress: deps.inboundSource() } : {}, true)
    .then((up) => {
      if (down.destroyed) {
        up.destroy();
        release();
        return;
      }
      const series = deps.metrics.recordTcpOpened(labels);
      const startRead = down.bytesRead;
      const startWritten = down.bytesWritten;
      up.on('error', () => up.destroy());
      up.setTimeout(idle, () => up.destroy());
      down.setTimeout(idle, () => down.destroy());
      // Half-close is passed through (pipe ends the other side's writable on 'end').
      down.pipe(up);
      up.pipe(down);
      let closed = 0;
      const onClose = (): void => {
        if (++closed < 2) return;
        release();
        deps.metrics.recordTcpClosed(series, down.bytesRead - startRead, down.bytesWritten - startWritten);
      };
      // One side gone: an error or reset resets the other; a clean close lets it flush and FIN.
      // (`end()` on a side that already ended would only build an error object to throw away.)
      up.once('close', (hadError) => {
        if (hadError) down.destroy();
        else if (!down.writableEnded) down.end();
        onClose();
      });
      down.once('close', (hadError) => {
        if (hadError) up.destroy();
        else if (!up.writableEnded) up.end();
        onClose();
      });
    })
    .catch(() => {
      release();
      down.destroy();
    });
}
