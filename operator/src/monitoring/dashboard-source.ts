/**
 * What the dashboard (dashboard/) reads of the control plane: the proxies it holds ADS streams with
 * (node id, pod IP, the metadata they sent), their xDS sync state in istioctl's words, and the
 * policy objects of the mesh model. Plain data; the dashboard never sees the ControlPlane itself.
 */
import { type MeshSnapshot, type MeshSource } from '../../../dashboard/src/server';
import { type ControlPlane } from '../controlplane';
import { syncStatus } from '../core/sync-state';
import { TypeUrls } from '../core/translate/envoy';

/** The types, in istioctl proxy-status' order. */
const types = [['CDS', TypeUrls.cluster], ['LDS', TypeUrls.listener], ['EDS', TypeUrls.endpoint], ['RDS', TypeUrls.route]] as const;

export function dashboardSource(cp: ControlPlane): MeshSource {
  return {
    snapshot(): MeshSnapshot {
      const model = cp.index.model();
      const sync = cp.sync.view();
      return {
        trustDomain: model.trustDomain,
        proxies: cp.connectedProxies().map(({ node, metadata }) => {
          const state = sync[node.id];
          return {
            proxy: { id: node.id, ip: node.ip, pod: node.podName, namespace: node.namespace, metadata },
            sync: types.map(([type, url]) => {
              const s = state?.types[url];
              return {
                type,
                status: syncStatus(s),
                ...(s?.sentVersion !== undefined ? { version: s.sentVersion } : {}),
                ...(s?.nack ? { message: s.nack.message } : {}),
              };
            }),
            ...(state?.connectedAt ? { connectedAt: state.connectedAt } : {}),
          };
        }),
        policy: {
          clusterDomain: model.clusterDomain,
          rootNamespace: model.rootNamespace,
          virtualServices: model.virtualServices,
          destinationRules: model.destinationRules,
          peerAuthentications: model.peerAuthentications,
        },
      };
    },
  };
}
