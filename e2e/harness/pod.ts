/**
 * A "pod": its own network namespace with eth0 on the mesh bridge, an IP, Kubernetes metadata
 * (namespace, labels, service account) for the generated config, and helpers to run the echo app
 * and the client app inside it.
 */
import { formatSpiffeId } from '../../api/src/spiffe';
import { DefaultTrustDomain } from '../../api/src/names';
import { appPath } from './apps';
import { runClient, type ClientReport, type ClientRequest } from './client';
import { type PodModel } from './config';
import { AppUid, Netns, type NetnsOwner, type RunAs } from './netns';
import { type ManagedProcess } from './process';

export interface PodSpec {
  name: string;
  /** Kubernetes namespace (default `default`). */
  namespace?: string;
  labels?: Record<string, string>;
  /** Default `default`. */
  serviceAccount?: string;
}

export interface EchoOptions extends RunAs {
  http?: number;
  grpc?: number;
  tcp?: number;
  /** NAME reported in replies (default: the `app` label, else the pod name). */
  name?: string;
  /** VERSION reported in replies (default: the `version` label, else `v1`). */
  version?: string;
  failFirst?: number;
  failPercent?: number;
  hangFirst?: number;
  /** Never answer. */
  hang?: boolean;
  /** Wait this long for every port to listen (default 15 s). */
  timeoutMs?: number;
}

export class Pod extends Netns {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;

  constructor(spec: Required<PodSpec>, netns: string, ip: string, owner: NetnsOwner) {
    super(netns, ip, `${spec.namespace}.${spec.name}`, owner);
    this.name = spec.name;
    this.namespace = spec.namespace;
    this.labels = { ...spec.labels };
    this.serviceAccount = spec.serviceAccount;
  }

  /** The SPIFFE id a Skein CA issues to this pod (trust domain cluster.local). */
  get spiffeId(): string {
    return formatSpiffeId({ trustDomain: DefaultTrustDomain, namespace: this.namespace, serviceAccount: this.serviceAccount });
  }

  get model(): PodModel {
    return { name: this.name, namespace: this.namespace, ip: this.ip, labels: this.labels, serviceAccount: this.serviceAccount };
  }

  /**
   * Starts the echo app (HTTP/1.1 + h2c + WebSocket, gRPC, TCP on the given ports) as AppUid and
   * waits until every port accepts connections.
   */
  async startEcho(options: EchoOptions): Promise<ManagedProcess> {
    const argv = [process.execPath, appPath('echo')];
    for (const key of ['http', 'grpc', 'tcp'] as const) if (options[key] !== undefined) argv.push(`--${key}`, String(options[key]));
    if (options.failFirst !== undefined) argv.push('--fail-first', String(options.failFirst));
    if (options.failPercent !== undefined) argv.push('--fail-percent', String(options.failPercent));
    if (options.hangFirst !== undefined) argv.push('--hang-first', String(options.hangFirst));
    if (options.hang) argv.push('--hang');
    const env = {
      NAME: options.name ?? this.labels.app ?? this.name,
      VERSION: options.version ?? this.labels.version ?? 'v1',
      POD_NAME: this.name,
      POD_NAMESPACE: this.namespace,
    };
    const proc = this.spawn(argv, { name: 'echo', uid: options.uid ?? AppUid, gid: options.gid, env });
    await proc.waitForLog(/echo ready/, { timeoutMs: options.timeoutMs });
    for (const key of ['http', 'grpc', 'tcp'] as const) {
      const port = options[key];
      if (port !== undefined) await proc.waitForPort(port, { host: this.ip, timeoutMs: options.timeoutMs });
    }
    return proc;
  }

  /** Runs the client app from this pod (as AppUid unless `uid` says otherwise). */
  client(request: ClientRequest): Promise<ClientReport> {
    return runClient(this, request);
  }
}
