/**
 * The proxy's xDS client: one ADS stream over gRPC with mTLS to the control plane, feeding
 * validated `ProxyConfig` snapshots to the data plane. Delta xDS (DeltaAggregatedResources) by
 * default; state of the world when asked (`protocol: 'sotw'`, SKEIN_XDS_PROTOCOL=sotw) or when the
 * control plane answers delta with UNIMPLEMENTED (an older control plane): the client then falls
 * back to state of the world for the rest of its life.
 *
 *   const xds = new XdsClient({ address: 'skein-controlplane.skein-system.svc:15012', node, identity, onConfig: (c) => proxy.applyConfig(c) });
 *   xds.start();
 *   xds.status();   // lastAccepted per type, lastNack, appliedVersion, waitingFor — for /config_dump
 *   await xds.close();
 *
 * The protocol itself (subscriptions, ACK/NACK, warming) is pure: `DeltaAdsState` or `AdsState`;
 * this file adds the stream, the credentials, reconnects with exponential backoff and jitter, and
 * the initial fetch timer.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { DeltaDiscoveryRequest, DiscoveryRequest } from '../../../api/gen/envoy/service/discovery/v3/discovery_pb';
import { ControlPlaneHost } from '../../../api/src/names';
import { controlPlaneTlsName } from '../../../api/src/net';
import type { IdentityProvider } from '../../../api/src/identity';
import { AdsClient } from '../../../api/src/xds/ads-service';
import type { ProxyConfig } from '../config/model';
import { AdsState } from './core/ads-state';
import { DefaultBackoff, backoffDelayMs, type BackoffPolicy } from './core/backoff';
import { DeltaAdsState } from './core/delta-state';
import { buildNode, explicitOutboundPorts, nodeInfo, type NodeSettings } from './core/node';
import { type AdsStateOptions, type AdsStatus, type Step, type XdsProtocolState } from './core/xds-state';
import { controlPlaneCredentials } from './credentials';

/** Which ADS variant the client speaks. */
export type XdsProtocol = 'delta' | 'sotw';
export const XdsProtocols: readonly XdsProtocol[] = ['delta', 'sotw'];

/** Envoy's default initial_fetch_timeout. */
export const DefaultInitialFetchTimeoutMs = 15_000;

const ChannelOptions: grpc.ChannelOptions = {
  // A large mesh's CDS/LDS push exceeds gRPC's 4 MiB default (500 services ≈ 0.5 MiB over all types).
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  // Find a dead control plane connection; 5 min is what grpc servers accept without a GOAWAY.
  'grpc.keepalive_time_ms': 300_000,
  'grpc.keepalive_timeout_ms': 20_000,
};

/** `host:port`, `[v6]:port`: what the channel dials. */
const addressPattern = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export class XdsClientConfigError extends Error {
  override name = 'XdsClientConfigError';
}

export interface XdsClientOptions {
  /** Control plane `host:port` (ADS and CA share :15012). */
  address: string;
  node: NodeSettings;
  /** Called with every new snapshot; a throw/rejection NACKs the response that produced it and keeps the old config. */
  onConfig(config: ProxyConfig): void | Promise<void>;
  /**
   * Our workload identity: presented to the control plane (which requires it: mTLS), and its trust
   * bundle verifies the server. With an identity the stream opens once the first certificate exists.
   */
  identity?: IdentityProvider;
  /** Mesh roots to verify the control plane when there is no identity (server-only TLS: tests, tools). */
  trustBundlePem?: string;
  /** TLS name to verify and send as SNI/authority. Default: the host part of `address`. */
  serverName?: string;
  /** Also require one of these SPIFFE ids in the control plane's certificate. */
  serverSpiffeIds?: string[];
  /** Default delta; falls back to state of the world when the control plane does not serve delta. */
  protocol?: XdsProtocol;
  backoff?: BackoffPolicy;
  initialFetchTimeoutMs?: number;
  random?: () => number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface XdsClientStatus extends AdsStatus {
  protocol: XdsProtocol;
  connected: boolean;
  /** Streams opened so far (1 + reconnects). */
  streams: number;
  lastError?: string;
}

export interface XdsClientEvents {
  config: [ProxyConfig];
  ack: [typeUrl: string, version: string];
  nack: [typeUrl: string, message: string];
  connected: [];
  disconnected: [reason: string];
}

type XdsRequest = DiscoveryRequest | DeltaDiscoveryRequest;
type AdsCall = grpc.ClientDuplexStream<XdsRequest, unknown>;

export class XdsClient extends EventEmitter<XdsClientEvents> {
  private state: XdsProtocolState<XdsRequest, unknown>;
  private protocol: XdsProtocol;
  private readonly stateOptions: AdsStateOptions;
  private readonly now: () => number;
  private client: InstanceType<typeof AdsClient> | undefined;
  private call: AdsCall | undefined;
  private attempt = 0;
  private streams = 0;
  private connected = false;
  private lastError: string | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private fetchTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private started = false;
  private closed = false;
  private unsubscribeIdentity: (() => void) | undefined;

  constructor(private readonly options: XdsClientOptions) {
    super();
    const m = addressPattern.exec(options.address);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new XdsClientConfigError(`control plane address "${options.address}" must be host:port (e.g. skein-controlplane.skein-system.svc:15012)`);
    if (options.trustBundlePem !== undefined && !options.trustBundlePem.includes('-----BEGIN CERTIFICATE-----')) throw new XdsClientConfigError('trustBundlePem holds no PEM certificate');
    if (options.initialFetchTimeoutMs !== undefined && !(options.initialFetchTimeoutMs > 0)) throw new XdsClientConfigError('initialFetchTimeoutMs must be greater than 0');
    if (options.protocol !== undefined && !XdsProtocols.includes(options.protocol)) throw new XdsClientConfigError(`protocol must be ${XdsProtocols.join(' or ')}, got "${String(options.protocol)}"`);
    this.now = options.now ?? Date.now;
    this.stateOptions = {
      node: buildNode(options.node),
      nodeInfo: nodeInfo(options.node),
      listenerContext: { explicitOutboundPorts: explicitOutboundPorts(options.node.outboundPorts) },
      now: this.now,
    };
    this.protocol = options.protocol ?? 'delta';
    this.state = this.newState();
  }

  private newState(): XdsProtocolState<XdsRequest, unknown> {
    return (this.protocol === 'delta' ? new DeltaAdsState(this.stateOptions) : new AdsState(this.stateOptions)) as XdsProtocolState<XdsRequest, unknown>;
  }

  /** Opens the stream (as soon as a trust bundle is known) and keeps it open until close(). */
  start(): void {
    if (this.started) throw new Error('xDS client already started');
    this.started = true;
    // A new certificate is used from the next connection on; the running stream keeps its session.
    this.unsubscribeIdentity = this.options.identity?.onChange(() => {
      if (!this.call && !this.reconnectTimer && !this.closed) this.connect();
    });
    this.connect();
  }

  /** The snapshot last handed to onConfig (undefined before the first). */
  get config(): ProxyConfig | undefined {
    return this.state.config;
  }

  status(): XdsClientStatus {
    return { ...this.state.snapshotStatus(), protocol: this.protocol, connected: this.connected, streams: this.streams, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribeIdentity?.();
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.fetchTimer);
    this.teardown();
    await this.queue;
  }

  private log(line: string): void {
    this.options.log?.(`xds: ${line}`);
  }

  /** mTLS with the current certificate; without an identity, server-only TLS with the given bundle. */
  private credentials(): grpc.ChannelCredentials | undefined {
    if (this.options.identity) {
      const cert = this.options.identity.current();
      return cert && controlPlaneCredentials({ trustBundlePem: cert.trustBundlePem, certificate: cert, serverSpiffeIds: this.options.serverSpiffeIds });
    }
    const trustBundlePem = this.options.trustBundlePem;
    return trustBundlePem ? controlPlaneCredentials({ trustBundlePem, serverSpiffeIds: this.options.serverSpiffeIds }) : undefined;
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.closed) return;
    const creds = this.credentials();
    if (!creds) {
      this.lastError = this.options.identity ? 'waiting for the workload certificate (the control plane requires mTLS)' : 'no trust bundle';
      this.log(this.lastError);
      return;
    }
    const host = this.options.serverName ?? controlPlaneTlsName(this.options.address, ControlPlaneHost);
    const client = new AdsClient(this.options.address, creds, { ...ChannelOptions, 'grpc.ssl_target_name_override': host, 'grpc.default_authority': host });
    const call = (this.protocol === 'delta' ? client.deltaAggregatedResources() : client.streamAggregatedResources()) as unknown as AdsCall;
    this.client = client;
    this.call = call;
    this.streams += 1;
    let gotResponse = false;
    call.on('data', (response: unknown) => {
      if (!gotResponse) {
        gotResponse = true;
        this.attempt = 0;
        this.connected = true;
        this.lastError = undefined;
        this.emit('connected');
      }
      this.enqueue(call, () => this.state.onResponse(response), true);
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (err.code === grpc.status.UNIMPLEMENTED && this.protocol === 'delta' && !gotResponse) return this.fallBack(call, err.details || err.message);
      this.streamEnded(call, `${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`);
    });
    call.on('end', () => this.streamEnded(call, 'stream closed by the control plane'));
    for (const request of this.state.streamStart()) call.write(request);
    this.log(`stream ${this.streams} (${this.protocol === 'delta' ? 'delta' : 'state of the world'}) opened to ${this.options.address}`);
  }

  /**
   * The control plane does not serve delta: state of the world from now on. What is applied keeps
   * serving; the new protocol's first complete snapshot replaces it.
   */
  private fallBack(call: AdsCall, details: string): void {
    if (call !== this.call) return;
    this.teardown();
    this.log(`the control plane does not serve delta xDS (${details}); falling back to state of the world`);
    this.protocol = 'sotw';
    const previous = this.state;
    this.state = this.newState();
    // Chain after what is being handled on the old state, then connect at once (not a failure).
    this.queue = this.queue.then(() => {
      if (!this.closed && this.state !== previous) this.connect();
    });
  }

  private teardown(): void {
    const call = this.call;
    const client = this.client;
    this.call = undefined;
    this.client = undefined;
    if (call) {
      call.removeAllListeners('data');
      call.on('error', () => undefined);
      call.cancel();
    }
    client?.close();
    if (this.connected) {
      this.connected = false;
    }
  }

  private streamEnded(call: AdsCall, reason: string): void {
    if (call !== this.call) return;
    const wasConnected = this.connected;
    this.teardown();
    this.lastError = reason;
    if (wasConnected) this.emit('disconnected', reason);
    if (this.closed) return;
    const delay = backoffDelayMs(this.attempt, this.options.random ?? Math.random, this.options.backoff ?? DefaultBackoff);
    this.attempt += 1;
    this.log(`stream ended (${reason}); reconnecting in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Responses are handled one at a time, in order (applying a snapshot may be asynchronous). */
  private enqueue(call: AdsCall | undefined, next: () => Step<XdsRequest>, fromResponse: boolean): void {
    this.queue = this.queue.then(() => this.handle(call, next(), fromResponse)).catch((err: unknown) => {
      this.log(`internal error handling a response: ${(err as Error).stack ?? String(err)}`);
    });
  }

  private async handle(call: AdsCall | undefined, step: Step<XdsRequest>, fromResponse: boolean): Promise<void> {
    let requests: XdsRequest[];
    if (step.kind === 'nack') {
      this.log(`NACK: ${step.message}`);
      this.emit('nack', step.requests[0]?.typeUrl ?? '', step.message);
      requests = step.requests;
    } else if (step.config) {
      try {
        await this.options.onConfig(step.config);
        requests = step.commit();
        this.emit('config', step.config);
      } catch (err) {
        const message = `the proxy could not apply the snapshot: ${(err as Error).message}`;
        requests = step.abort(message);
        if (requests.length) this.emit('nack', requests[0]!.typeUrl, message);
        this.log(`NACK: ${message}`);
      }
    } else {
      requests = step.commit();
    }
    // The first request of an accepted response is its ACK; the rest are subscription changes.
    const ack = requests[0];
    if (fromResponse && step.kind === 'accept' && ack && !ack.errorDetail) this.emit('ack', ack.typeUrl, this.state.acceptedVersion(ack.typeUrl));
    const current = this.call;
    if (current && call === current) for (const r of requests) current.write(r);
    else if (current && call) {
      // The stream the response came on died while the snapshot was being applied, and the new
      // stream opened with the versions and names from before it. Tell the new stream what changed
      // (without the old stream's nonces; a NACK means nothing to it).
      for (const r of requests) if (!r.errorDetail) current.write({ ...r, responseNonce: '' });
    }
    this.armFetchTimer();
  }

  private armFetchTimer(): void {
    if (this.closed) return;
    const missing = this.state.missing();
    if (missing.length === 0) {
      clearTimeout(this.fetchTimer);
      this.fetchTimer = undefined;
      return;
    }
    if (this.fetchTimer) return;
    this.fetchTimer = setTimeout(() => {
      this.fetchTimer = undefined;
      this.log(`initial fetch timed out; going on without: ${this.state.missing().join(', ')}`);
      this.enqueue(undefined, () => this.state.expireMissing(), false);
    }, this.options.initialFetchTimeoutMs ?? DefaultInitialFetchTimeoutMs);
  }
}
