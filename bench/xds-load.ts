/**
 * Simulated proxies for the xDS scale bench: one ADS stream each (delta or state of the world),
 * driven the way Envoy drives it — wildcard CDS and LDS, EDS for the outbound clusters CDS names,
 * RDS for the route names given, every response ACKed at once — counting the bytes received and
 * noting when each route configuration last arrived. Also the CPU time and memory of a process
 * (from /proc), for measuring the control plane from outside.
 */
import fs from 'node:fs';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ClusterSchema } from '../api/gen/envoy/config/cluster/v3/cluster_pb';
import {
  DeltaDiscoveryResponseSchema, DiscoveryResponseSchema, type DeltaDiscoveryResponse, type DiscoveryResponse,
} from '../api/gen/envoy/service/discovery/v3/discovery_pb';
import { AdsClient } from '../api/src/xds';
import { TypeUrls } from '../operator/src/core/translate/envoy';
import { type AdsStreamCall, type DeltaStreamCall, deltaRequest, discoveryRequest } from '../operator/src/testing/mtls-ads';

export type XdsProtocol = 'delta' | 'sotw';

const isOutboundCluster = (name: string) => name.startsWith('outbound|');

export class SimulatedProxy {
  /** Protobuf bytes of every response received. */
  bytes = 0;
  /** When (ms, performance.now) each route configuration last arrived. */
  readonly routeAt = new Map<string, number>();
  /** Delta: what this proxy holds, per type, name → version (sent back as initial_resource_versions). */
  private readonly held = new Map<string, Map<string, string>>();
  private edsNames: string[] = [];
  private client: InstanceType<typeof AdsClient> | undefined;
  private call: AdsStreamCall | DeltaStreamCall | undefined;

  constructor(readonly nodeId: string, readonly protocol: XdsProtocol, private readonly address: string, private readonly routeNames: string[]) {}

  /** Whether CDS, LDS and every route configuration have arrived since `since`. */
  hasConfig(since = 0): boolean {
    return this.routeNames.every((n) => (this.routeAt.get(n) ?? -1) >= since) && this.held.has(TypeUrls.cluster) && this.held.has(TypeUrls.listener);
  }

  connect(): void {
    // One connection per proxy, as real proxies have (grpc-js would otherwise share one channel).
    this.client = new AdsClient(this.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    if (this.protocol === 'delta') this.connectDelta();
    else this.connectSotw();
    this.call!.on('error', () => undefined);
  }

  /** Forget everything held (a restarted proxy: the next connect asks for everything). */
  forget(): void {
    this.held.clear();
    this.routeAt.clear();
    this.edsNames = [];
  }

  close(): void {
    this.call?.cancel();
    this.client?.close();
    this.call = undefined;
  }

  private connectDelta(): void {
    const call = this.client!.deltaAggregatedResources() as DeltaStreamCall;
    this.call = call;
    const initial = (type: string) => Object.fromEntries(this.held.get(type) ?? []);
    call.on('data', (r: DeltaDiscoveryResponse) => {
      this.bytes += toBinary(DeltaDiscoveryResponseSchema, r).length;
      const held = this.held.get(r.typeUrl) ?? new Map<string, string>();
      this.held.set(r.typeUrl, held);
      for (const x of r.resources) held.set(x.name, x.version);
      for (const name of r.removedResources) held.delete(name);
      if (r.typeUrl === TypeUrls.route) for (const x of r.resources) this.routeAt.set(x.name, performance.now());
      if (r.typeUrl === TypeUrls.cluster) {
        const now = [...held.keys()].filter(isOutboundCluster);
        const subscribe = now.filter((n) => !this.edsNames.includes(n));
        const unsubscribe = this.edsNames.filter((n) => !now.includes(n));
        this.edsNames = now;
        if (subscribe.length || unsubscribe.length) call.write(deltaRequest(undefined, TypeUrls.endpoint, { subscribe, unsubscribe }));
      }
      call.write(deltaRequest(undefined, r.typeUrl, { nonce: r.nonce }));
    });
    call.write(deltaRequest(this.nodeId, TypeUrls.cluster, { initialVersions: initial(TypeUrls.cluster) }));
    call.write(deltaRequest(undefined, TypeUrls.listener, { initialVersions: initial(TypeUrls.listener) }));
    call.write(deltaRequest(undefined, TypeUrls.route, { subscribe: this.routeNames, initialVersions: initial(TypeUrls.route) }));
    if (this.edsNames.length) call.write(deltaRequest(undefined, TypeUrls.endpoint, { subscribe: this.edsNames, initialVersions: initial(TypeUrls.endpoint) }));
  }

  private connectSotw(): void {
    const call = this.client!.streamAggregatedResources() as AdsStreamCall;
    this.call = call;
    call.on('data', (r: DiscoveryResponse) => {
      this.bytes += toBinary(DiscoveryResponseSchema, r).length;
      this.held.set(r.typeUrl, new Map([['', r.versionInfo]]));
      if (r.typeUrl === TypeUrls.route) for (const n of this.routeNames) this.routeAt.set(n, performance.now());
      if (r.typeUrl === TypeUrls.cluster) {
        const now = r.resources.map((a) => fromBinary(ClusterSchema, a.value).name).filter(isOutboundCluster);
        if (now.join() !== this.edsNames.join()) call.write(discoveryRequest(this.nodeId, TypeUrls.endpoint, { names: now }));
        this.edsNames = now;
      }
      const names = r.typeUrl === TypeUrls.route ? this.routeNames : r.typeUrl === TypeUrls.endpoint ? this.edsNames : [];
      call.write(discoveryRequest(this.nodeId, r.typeUrl, { names, version: r.versionInfo, nonce: r.nonce }));
    });
    call.write(discoveryRequest(this.nodeId, TypeUrls.cluster));
    call.write(discoveryRequest(this.nodeId, TypeUrls.listener));
    call.write(discoveryRequest(this.nodeId, TypeUrls.route, { names: this.routeNames }));
  }
}

/** CPU seconds (user + system) and memory of a process, from /proc. */
export interface ProcessSample {
  cpuSeconds: number;
  rssMiB: number;
  peakRssMiB: number;
}

const ClockTicks = 100; // USER_HZ on Linux

export function sampleProcess(pid: number): ProcessSample {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  // fields[11], fields[12]: utime, stime (the 14th and 15th fields of /proc/PID/stat).
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ClockTicks, rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

/** Resolves when `done()` holds (checked every 10 ms), rejects after `timeoutMs`. */
export function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (done()) resolve();
      else if (performance.now() > deadline) reject(new Error(`${what}: not within ${timeoutMs} ms`));
      else setTimeout(check, 10);
    };
    check();
  });
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}
