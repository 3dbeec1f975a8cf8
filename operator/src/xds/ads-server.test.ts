import { EventEmitter } from 'node:events';
import { create } from '@bufbuild/protobuf';
import { DiscoveryRequestSchema, type DiscoveryResponse } from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { makeSnapshot } from '../core/snapshot';
import { SyncState } from '../core/sync-state';
import { TypeUrls, XdsTypeOrder } from '../core/translate/envoy';
import { AdsStream } from './ads-server';
import { localCallers } from './stream-auth';

const settle = () => new Promise((resolve) => setImmediate(resolve));

const nodeId = 'sidecar~10.0.0.1~a.default~default.svc.cluster.local';

function parts(tag: string) {
  return {
    [TypeUrls.cluster]: [[{ '@type': TypeUrls.cluster, name: 'c', type: 'EDS', eds_cluster_config: { service_name: 'c' }, connect_timeout: tag === 'a' ? '1s' : '2s' }]],
    [TypeUrls.endpoint]: [[{ '@type': TypeUrls.endpoint, cluster_name: 'c', endpoints: [{ locality: { zone: tag } }] }]],
    [TypeUrls.listener]: [[{ '@type': TypeUrls.listener, name: `l`, stat_prefix: tag }]],
    [TypeUrls.route]: [[{ '@type': TypeUrls.route, name: 'r', virtual_hosts: [{ name: tag, domains: ['*'] }] }]],
  };
}

function fakeCall() {
  const call = Object.assign(new EventEmitter(), {
    written: [] as DiscoveryResponse[],
    write(r: DiscoveryResponse, done: () => void) {
      call.written.push(r);
      setImmediate(done);
      return true;
    },
    end() {},
    getAuthContext: () => ({}),
  });
  return call;
}

describe('AdsStream', () => {
  it('pushes changed types in ADS order CDS → EDS → LDS → RDS, and nothing when nothing changed', async () => {
    const call = fakeCall();
    let snapshot = makeSnapshot(1, parts('a'));
    const deps = {
      sync: new SyncState(),
      // The control plane answers a new stream with its snapshot (through the push queue).
      events: { connected: () => void stream.update(snapshot), disconnected: () => undefined },
      authorizeNode: (_n: unknown, metadata: Record<string, unknown>) => ({ metadata, warnings: [] }),
    };
    const stream: AdsStream = new AdsStream(call as never, deps, () => undefined, localCallers);
    // Subscribe in the "wrong" order; ACK each response.
    for (const type of [TypeUrls.route, TypeUrls.listener, TypeUrls.endpoint, TypeUrls.cluster]) {
      const names = type === TypeUrls.route ? ['r'] : type === TypeUrls.endpoint ? ['c'] : [];
      call.emit('data', create(DiscoveryRequestSchema, { node: { id: nodeId }, typeUrl: type, resourceNames: names }));
      await settle(); // the first request is authorized before it is answered
      const sent = call.written[call.written.length - 1]!;
      call.emit('data', create(DiscoveryRequestSchema, { node: { id: nodeId }, typeUrl: type, resourceNames: names, versionInfo: sent.versionInfo, responseNonce: sent.nonce }));
    }
    expect(call.written.map((r) => r.typeUrl)).toEqual([TypeUrls.route, TypeUrls.listener, TypeUrls.endpoint, TypeUrls.cluster]);

    call.written.length = 0;
    await stream.update(makeSnapshot(2, parts('a')));
    expect(call.written).toEqual([]);

    snapshot = makeSnapshot(3, parts('b'));
    await stream.update(snapshot); // resolves once every response was taken by gRPC
    expect(call.written.map((r) => r.typeUrl)).toEqual([...XdsTypeOrder]);
    expect(new Set(call.written.map((r) => r.nonce)).size).toBe(4);
  });
});
