/**
 * The kubelet's work for one pod bound to this node: create its sandbox (network namespace, IP),
 * set up its volumes (retrying until what they need exists), run its containers in the order
 * core/lifecycle.ts decides — pulling the image from the node's table, building env, argv,
 * credentials and mounts, running postStart hooks and probes, restarting with back-off — report
 * the status core/status.ts computes, and on deletion stop everything (preStop, SIGTERM, SIGKILL
 * after the grace period; sidecars last, in reverse order), tear down the sandbox and delete the
 * pod object (graceful deletion). One sync at a time; events and timers ask for another.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ImageConfig, type ImageEntry, lookupImage } from '../images';
import { ApiError, type KubeApi } from './api';
import { type Backoff, formatDuration } from './core/backoff';
import { containerArgv } from './core/command';
import { type ContainerRecord, initialRecords, isRunning, restartPolicy, restartsAfterExit } from './core/containers';
import { containerEnv, EnvError } from './core/env';
import { expand, lookupIn } from './core/expand';
import { type Allocatable } from './core/fieldpath';
import { podActions, sidecarStopOrder } from './core/lifecycle';
import { probePlan, type ProbeKind, ProbeSpecError } from './core/probe';
import { type BindMount } from './core/rootfs';
import { credentials, podRef, SecurityError } from './core/security';
import { podStatus } from './core/status';
import { type ConfigMap, type Container, type LifecycleHandler, type Pod, type Secret, type Service } from './core/types';
import { projectVolume, tokenSources, VolumeError, volumeKind } from './core/volumes';
import { type NodeNetwork, type PodSandbox } from './network';
import { type Dialer, type ProbeTarget, ProbeWorker, runProbe } from './prober';
import { type ContainerExit, type ContainerRuntime, type RunningContainer, StartError } from './runtime';
import { type TokenManager } from './tokens';
import { applyFsGroup, writeAtomically } from './volume-writer';

export interface NodeContext {
  name: string;
  hostIP: string;
  run: string;
  /** The node's directory (pods, logs). */
  dir: string;
  allocatable: Allocatable;
  api: KubeApi;
  network: NodeNetwork;
  runtime: ContainerRuntime;
  tokens: TokenManager;
  images: readonly ImageEntry[];
  services(): Service[];
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  dial: Dialer;
  log(line: string): void;
  event(pod: Pod, container: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void;
  crashBackoff: Backoff;
  imageBackoff: Backoff;
}

interface Live {
  container: RunningContainer;
  spec: Container;
  postStartDone: boolean;
  probes: Partial<Record<ProbeKind, ProbeWorker>>;
  stopping: boolean;
}

/** The minimum grace a container gets when it is killed (the kubelet's minimumGracePeriodInSeconds). */
const MinimumGraceSeconds = 2;
const VolumeRetryMs = 2_000;

export class PodWorker {
  pod: Pod;
  readonly uid: string;
  readonly records: ContainerRecord[];
  readonly dir: string;
  private readonly live = new Map<string, Live>();
  private sandbox: PodSandbox | undefined;
  private initialized = false;
  private startTime: number | undefined;
  private volumesReady = false;
  private terminal = false;
  private terminating: Promise<void> | undefined;
  private deletedFromApi = false;
  private finished = false;
  private syncing = false;
  private again = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Infinity;
  private lastStatus = '';
  private lastVolumeError = '';
  private readonly imageFailedAt = new Map<string, number>();

  constructor(
    pod: Pod,
    private readonly node: NodeContext,
    private readonly onFinished: (worker: PodWorker) => void,
  ) {
    this.pod = pod;
    this.uid = pod.metadata!.uid!;
    this.records = initialRecords(pod);
    this.dir = join(node.dir, 'pods', this.uid);
  }

  get key(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  get podIP(): string | undefined {
    return this.sandbox?.ip;
  }

  get netns(): string | undefined {
    return this.sandbox?.netns;
  }

  /** The running instance of a container (for exec), if any. */
  running(container: string): RunningContainer | undefined {
    const l = this.live.get(container);
    return l && l.container.running ? l.container : undefined;
  }

  /** Log file of a container's current (or `previous`) instance. */
  logFile(container: string, previous = false): string | undefined {
    const r = this.records.find((x) => x.name === container);
    if (!r) return undefined;
    const n = r.restartCount - (previous ? 1 : 0) - (r.current ? 0 : 1);
    return n < 0 ? undefined : join(this.dir, 'logs', container, `${n}.log`);
  }

  /** A new version of the pod object from the API server. */
  update(pod: Pod): void {
    this.pod = pod;
    this.kick();
  }

  /** The pod object is gone from the API server. */
  deleted(): void {
    this.deletedFromApi = true;
    this.kick();
  }

  /** Node shutdown: stop everything now, leave the API object alone. */
  async shutdown(): Promise<void> {
    this.finished = true;
    clearTimeout(this.wakeTimer);
    await Promise.all([...this.live.values()].map((l) => this.stopContainer(l, 0)));
    if (this.sandbox) await this.node.network.removeSandbox(this.uid).catch(() => undefined);
  }

  kick(): void {
    if (this.finished) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    setImmediate(() => void this.syncLoop());
  }

  private wakeAt(at: number): void {
    if (at >= this.wakeAtMs) return;
    this.wakeAtMs = at;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => {
      this.wakeAtMs = Infinity;
      this.kick();
    }, Math.max(0, at - Date.now()));
  }

  private async syncLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.sync();
      } catch (e) {
        this.node.log(`pod ${this.key}: sync failed: ${(e as Error).stack ?? e}`);
        this.wakeAt(Date.now() + 1_000);
      }
    } while (this.again && !this.finished);
    this.syncing = false;
  }

  private get policy() {
    return restartPolicy(this.pod);
  }

  private async sync(): Promise<void> {
    if (this.finished) return;
    if (this.deletedFromApi || this.pod.metadata?.deletionTimestamp) {
      await this.terminate();
      return;
    }
    if (this.terminal) return;
    if (!this.sandbox) {
      this.startTime = Date.now();
      mkdirSync(join(this.dir, 'logs'), { recursive: true, mode: 0o755 });
      this.sandbox = await this.node.network.createSandbox(this.uid, { name: this.pod.metadata!.name!, namespace: this.pod.metadata!.namespace ?? 'default', hostname: this.hostname, run: this.node.run });
      writeFileSync(join(this.dir, 'hostname'), `${this.hostname}\n`, { mode: 0o644 });
      await this.pushStatus();
    }
    await this.setUpVolumes();
    if (!this.volumesReady) {
      await this.pushStatus();
      return;
    }
    const now = Date.now();
    const actions = podActions(this.records, this.policy, this.initialized, (r) => this.restartDelay(r, now) === 0);
    this.initialized = actions.initialized;
    if (actions.complete) {
      await this.complete();
      return;
    }
    for (const name of actions.backingOff) {
      const r = this.record(name);
      const wait = this.restartDelay(r, now);
      r.waiting = { reason: 'CrashLoopBackOff', message: `back-off ${formatDuration(this.node.crashBackoff.window(this.backoffKey(r)))} restarting failed container=${name} pod=${podRef(this.pod)}` };
      this.wakeAt(now + wait);
    }
    for (const name of actions.start) await this.startContainer(name);
    await this.pushStatus();
  }

  private get hostname(): string {
    return (this.pod.spec?.hostname || this.pod.metadata!.name!).slice(0, 63);
  }

  private record(name: string): ContainerRecord {
    return this.records.find((r) => r.name === name)!;
  }

  private spec(name: string): Container {
    return [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])].find((c) => c.name === name)!;
  }

  private backoffKey(r: ContainerRecord): string {
    return `${this.uid}/${r.name}`;
  }

  private restartDelay(r: ContainerRecord, now: number): number {
    if (r.current?.state !== 'exited') return 0;
    return this.node.crashBackoff.remaining(this.backoffKey(r), r.current.terminated.finishedAt, now);
  }

  // ---- volumes ------------------------------------------------------------------------------

  private volumeDir(name: string): string {
    return join(this.dir, 'volumes', name);
  }

  private async setUpVolumes(): Promise<void> {
    const pod = this.pod;
    const ns = pod.metadata?.namespace ?? 'default';
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    try {
      let refreshAt = Infinity;
      for (const volume of pod.spec?.volumes ?? []) {
        const kind = volumeKind(volume);
        const dir = this.volumeDir(volume.name);
        if (kind === 'emptyDir') {
          if (!this.volumesReady) {
            mkdirSync(dir, { recursive: true });
            chmodSync(dir, 0o777); // emptyDir is world-writable, as the kubelet makes it (umask aside)
            if (fsGroup !== undefined) applyFsGroup(dir, fsGroup, false);
          }
          continue;
        }
        for (const source of tokenSources(volume)) refreshAt = Math.min(refreshAt, await this.node.tokens.fetch(pod, source));
        const files = projectVolume({
          pod,
          configMap: (name) => this.node.configMap(ns, name),
          secret: (name) => this.node.secret(ns, name),
          token: (source) => this.node.tokens.cached(pod, source) ?? '',
          runtime: { podIPs: this.sandbox ? [this.sandbox.ip] : [], hostIPs: [this.node.hostIP] },
          allocatable: this.node.allocatable,
        }, volume);
        writeAtomically(dir, files, new Date(), fsGroup);
      }
      if (refreshAt < Infinity) this.wakeAt(refreshAt);
      this.volumesReady = true;
      this.lastVolumeError = '';
    } catch (e) {
      const message = e instanceof VolumeError ? e.message : `MountVolume.SetUp failed: ${(e as Error).message}`;
      if (!this.volumesReady) {
        if (message !== this.lastVolumeError) this.node.event(pod, undefined, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${message}`);
        this.lastVolumeError = message;
        this.wakeAt(Date.now() + VolumeRetryMs);
      } else {
        this.node.log(`pod ${this.key}: updating volumes: ${message}`);
      }
    }
  }

  private mounts(spec: Container, env: Record<string, string>): BindMount[] {
    return (spec.volumeMounts ?? []).map((m) => {
      const volume = (this.pod.spec?.volumes ?? []).find((v) => v.name === m.name);
      if (!volume) throw new EnvError(`volumeMount "${m.name}": no such volume in the pod`);
      let source = this.volumeDir(m.name);
      const subPath = m.subPathExpr ? expand(m.subPathExpr, lookupIn(env)) : m.subPath;
      if (subPath) {
        if (subPath.startsWith('/') || subPath.split('/').includes('..')) throw new EnvError(`volumeMount "${m.name}": invalid subPath "${subPath}"`);
        source = join(source, subPath);
        if (volumeKind(volume) === 'emptyDir' && !existsSync(source)) {
          mkdirSync(source, { recursive: true });
          chmodSync(source, 0o777);
        }
      }
      let isDir: boolean;
      try {
        isDir = statSync(source).isDirectory();
      } catch {
        throw new EnvError(`volumeMount "${m.name}": subPath "${subPath}" does not exist in the volume`);
      }
      return { source, sourceIsDir: isDir, target: m.mountPath, readOnly: m.readOnly === true || volumeKind(volume) === 'api' };
    });
  }

  // ---- containers ---------------------------------------------------------------------------

  /**
   * Looks the image up in the node's table, as a pull: ErrImagePull on a failure, then
   * ImagePullBackOff until the back-off lets the next attempt happen.
   */
  private pullImage(spec: Container, r: ContainerRecord): { config: ImageConfig; imageID: string } | undefined {
    const image = spec.image ?? '';
    const key = `${this.uid}/${r.name}/image`;
    const now = Date.now();
    const failedAt = this.imageFailedAt.get(r.name);
    if (failedAt !== undefined) {
      const wait = this.node.imageBackoff.remaining(key, failedAt, now);
      if (wait > 0) {
        if (r.waiting?.reason !== 'ImagePullBackOff') this.node.event(this.pod, r.name, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
        r.waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ${r.waiting?.message?.replace(/^Back-off pulling image "[^"]*": /, '') ?? ''}` };
        this.wakeAt(now + wait);
        return undefined;
      }
    }
    const lookup = lookupImage(image, this.node.images);
    if (lookup.found) {
      this.imageFailedAt.delete(r.name);
      this.node.imageBackoff.forget(key);
      return { config: lookup.config, imageID: lookup.imageID };
    }
    if (spec.imagePullPolicy === 'Never') {
      r.waiting = { reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` };
      this.wakeAt(now + 10_000);
      return undefined;
    }
    this.node.imageBackoff.next(key, failedAt ?? now, now);
    this.imageFailedAt.set(r.name, now);
    r.waiting = { reason: 'ErrImagePull', message: lookup.message };
    this.node.event(this.pod, r.name, 'Warning', 'Failed', `Failed to pull image "${image}": ${lookup.message}`);
    this.wakeAt(now + 1_000);
    return undefined;
  }

  private async startContainer(name: string): Promise<void> {
    const r = this.record(name);
    const spec = this.spec(name);
    const sandbox = this.sandbox!;
    const image = this.pullImage(spec, r);
    if (!image) return;
    r.imageID = image.imageID;
    let launch;
    try {
      const kubeletEnv = containerEnv({
        pod: this.pod,
        container: spec,
        services: this.node.services(),
        objects: { configMap: this.node.configMap, secret: this.node.secret },
        runtime: { podIPs: [sandbox.ip], hostIPs: [this.node.hostIP] },
        allocatable: this.node.allocatable,
      });
      const creds = credentials(this.pod, spec, image.config);
      const argv = containerArgv(spec, image.config, kubeletEnv);
      const restart = r.restartCount + (r.current ? 1 : 0);
      const dir = join(this.dir, 'containers', name, String(restart));
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      mkdirSync(join(this.dir, 'logs', name), { recursive: true, mode: 0o755 });
      launch = {
        name: `${this.key}/${name}`,
        netns: sandbox.netns,
        fs: {
          dir,
          imageFiles: image.config.files,
          etc: { hosts: join('/etc/netns', sandbox.netns, 'hosts'), nsswitch: join('/etc/netns', sandbox.netns, 'nsswitch.conf'), hostname: join(this.dir, 'hostname') },
          hostname: this.hostname,
          mounts: this.mounts(spec, kubeletEnv),
          readOnlyRoot: creds.readOnlyRootFilesystem,
          workingDir: spec.workingDir || image.config.workingDir || '/',
        },
        credentials: creds,
        argv,
        env: { HOSTNAME: this.hostname, ...image.config.env, ...kubeletEnv },
        logFile: join(this.dir, 'logs', name, `${restart}.log`),
      };
    } catch (e) {
      if (e instanceof EnvError || e instanceof SecurityError || e instanceof ProbeSpecError || (e as Error).message === 'no command specified') {
        r.waiting = { reason: 'CreateContainerConfigError', message: (e as Error).message };
        this.node.event(this.pod, name, 'Warning', 'Failed', `Error: ${(e as Error).message}`);
        this.wakeAt(Date.now() + 5_000);
        return;
      }
      throw e;
    }

    const previous = r.current?.state === 'exited' ? r.current.terminated : undefined;
    if (previous) this.node.crashBackoff.next(this.backoffKey(r), previous.finishedAt, Date.now());
    let container: RunningContainer;
    try {
      container = this.node.runtime.start(launch);
    } catch (e) {
      if (!(e instanceof StartError)) throw e;
      const at = Date.now();
      if (previous) {
        r.last = previous;
        r.restartCount++;
      }
      r.current = { state: 'exited', terminated: { exitCode: 128, reason: 'StartError', message: e.message, startedAt: at, finishedAt: at, containerID: '' } };
      r.waiting = undefined;
      this.node.event(this.pod, name, 'Warning', 'Failed', `Error: ${e.message}`);
      this.kick();
      return;
    }
    if (previous) {
      r.last = previous;
      r.restartCount++;
    }
    r.waiting = undefined;
    const live: Live = { container, spec, postStartDone: false, probes: {}, stopping: false };
    this.live.set(name, live);
    const running = await container.started;
    r.current = { state: 'running', containerID: container.containerID, startedAt: container.startedAt, started: false, ready: false };
    void container.exited.then((exit) => this.onExit(name, live, exit));
    if (!running) return;
    this.node.event(this.pod, name, 'Normal', 'Started', `Started container ${name}`);

    if (spec.lifecycle?.postStart) {
      const failure = await this.runHook(live, spec.lifecycle.postStart, this.pod.spec?.terminationGracePeriodSeconds ?? 30);
      if (failure && container.running) {
        this.node.event(this.pod, name, 'Warning', 'FailedPostStartHook', failure);
        await this.stopContainer(live, this.graceSeconds());
        return;
      }
    }
    live.postStartDone = true;
    this.startProbes(name, live);
    this.refreshReadiness(name);
  }

  private graceSeconds(): number {
    return this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  private probeTarget(live: Live): ProbeTarget {
    return {
      podIP: this.sandbox?.ip ?? '',
      dial: this.node.dial,
      exec: (command, timeoutMs) => live.container.exec(command, { timeoutMs, tools: this.node.runtime.tools }),
    };
  }

  private startProbes(name: string, live: Live): void {
    const spec = live.spec;
    const kinds: [ProbeKind, NonNullable<Container['startupProbe']> | undefined][] = [['startup', spec.startupProbe], ['readiness', spec.readinessProbe], ['liveness', spec.livenessProbe]];
    for (const [kind, probe] of kinds) {
      if (!probe) continue;
      if (this.record(name).kind === 'init') continue; // regular init containers have no probes
      const plan = probePlan(kind, probe, spec);
      const worker = new ProbeWorker({
        plan,
        target: this.probeTarget(live),
        startedAt: live.container.startedAt,
        isStarted: () => this.isStarted(live),
        onResult: (tracker, outcome, changed) => {
          if (!tracker.onHold && !changed) return;
          if (changed && tracker.result === 'failure' && kind !== 'startup') this.node.event(this.pod, name, 'Warning', 'Unhealthy', `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${outcome.message}`);
          if (tracker.onHold && kind !== 'readiness') {
            if (kind === 'startup') this.node.event(this.pod, name, 'Warning', 'Unhealthy', `Startup probe failed: ${outcome.message}`);
            this.node.event(this.pod, name, 'Normal', 'Killing', `Container ${name} failed ${kind} probe, will be restarted`);
            void this.stopContainer(live, plan.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30);
            return;
          }
          this.refreshReadiness(name);
          this.kick();
        },
      });
      live.probes[kind] = worker;
    }
    for (const worker of Object.values(live.probes)) worker.start();
  }

  private isStarted(live: Live): boolean {
    if (!live.postStartDone) return false;
    const startup = live.probes.startup;
    return !startup || startup.tracker.result === 'success';
  }

  /** Recomputes `started` and `ready` of a running container from its probes. */
  private refreshReadiness(name: string): void {
    const r = this.record(name);
    const live = this.live.get(name);
    if (!live || r.current?.state !== 'running' || r.current.containerID !== live.container.containerID) return;
    const started = this.isStarted(live);
    const readiness = live.probes.readiness;
    const ready = started && !live.stopping && (!readiness || readiness.tracker.result === 'success');
    if (r.current.started !== started || r.current.ready !== ready) {
      r.current = { ...r.current, started, ready };
      this.kick();
    }
  }

  private onExit(name: string, live: Live, exit: ContainerExit): void {
    for (const worker of Object.values(live.probes)) worker.stop();
    if (this.live.get(name) === live) this.live.delete(name);
    const r = this.record(name);
    if (r.current?.state !== 'running' || r.current.containerID !== live.container.containerID) return;
    const reason = exit.startError ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error';
    r.current = {
      state: 'exited',
      terminated: { exitCode: exit.exitCode, reason, ...(exit.startError ? { message: exit.startError } : {}), startedAt: live.container.startedAt, finishedAt: exit.finishedAt, containerID: live.container.containerID },
    };
    if (exit.startError) this.node.event(this.pod, name, 'Warning', 'Failed', `Error: ${exit.startError}`);
    this.kick();
  }

  /** preStop is the caller's business; this is SIGTERM, then SIGKILL after the grace period. */
  private async stopContainer(live: Live, graceSeconds: number): Promise<void> {
    live.stopping = true;
    for (const [kind, worker] of Object.entries(live.probes)) if (kind !== 'readiness') worker.stop();
    await live.container.stop(Math.max(graceSeconds, MinimumGraceSeconds) * 1000);
  }

  /** Runs an exec / httpGet / sleep hook; returns the failure message, or undefined on success. */
  private async runHook(live: Live, handler: LifecycleHandler, timeoutSeconds: number): Promise<string | undefined> {
    if (handler.sleep) {
      await new Promise((resolve) => setTimeout(resolve, handler.sleep!.seconds * 1000));
      return undefined;
    }
    const action = handler.exec ? { exec: handler.exec } : handler.httpGet ? { httpGet: handler.httpGet } : handler.tcpSocket ? { tcpSocket: handler.tcpSocket } : undefined;
    if (!action) return 'lifecycle hook has no handler';
    try {
      const plan = probePlan('readiness', { ...action, timeoutSeconds }, live.spec);
      const outcome = await runProbe(this.probeTarget(live), plan);
      return outcome.ok ? undefined : outcome.message;
    } catch (e) {
      return (e as Error).message;
    }
  }

  // ---- endings ------------------------------------------------------------------------------

  /**
   * Stops the containers within `graceSeconds`: regular (and running init) containers at once
   * (preStop, then SIGTERM), each sidecar once every regular container and every later sidecar
   * has stopped.
   */
  private async stopAll(graceSeconds: number): Promise<void> {
    const deadline = Date.now() + graceSeconds * 1000;
    const remaining = () => Math.max(0, (deadline - Date.now()) / 1000);
    const stopOne = async (name: string): Promise<void> => {
      const live = this.live.get(name);
      if (!live || !live.container.running) return;
      if (live.spec.lifecycle?.preStop && !live.stopping) {
        this.node.event(this.pod, name, 'Normal', 'Killing', `Stopping container ${name}`);
        await Promise.race([this.runHook(live, live.spec.lifecycle.preStop, remaining()), new Promise((r) => setTimeout(r, remaining() * 1000))]);
      }
      await this.stopContainer(live, remaining());
    };
    const order = sidecarStopOrder(this.records);
    const others = this.records.filter((r) => r.kind !== 'sidecar').map((r) => r.name);
    const othersDone = Promise.all(others.map(stopOne));
    const done = new Map<string, Promise<void>>();
    for (const name of order) {
      const before = [othersDone, ...[...done.values()]];
      done.set(name, Promise.all(before).then(() => stopOne(name)));
    }
    await Promise.all([othersDone, ...done.values()]);
  }

  /** Every regular container is done for good: stop the sidecars, end the pod. */
  private async complete(): Promise<void> {
    await this.stopAll(this.pod.spec?.terminationGracePeriodSeconds ?? 30);
    this.terminal = true;
    await this.teardownSandbox();
    await this.pushStatus();
  }

  private async teardownSandbox(): Promise<void> {
    for (const live of this.live.values()) for (const w of Object.values(live.probes)) w.stop();
    if (this.sandbox) await this.node.network.removeSandbox(this.uid);
    this.sandbox = undefined;
  }

  private terminate(): Promise<void> {
    this.terminating ??= this.doTerminate();
    return this.terminating;
  }

  private async doTerminate(): Promise<void> {
    if (!this.terminal) {
      this.node.log(`pod ${this.key}: terminating (grace ${this.graceSeconds()}s)`);
      await this.stopAll(this.graceSeconds());
      this.terminal = true;
      for (const r of this.records) if (r.current?.state === 'exited') r.waiting = undefined;
      await this.teardownSandbox();
    }
    if (!this.deletedFromApi) {
      await this.pushStatus();
      const ns = encodeURIComponent(this.pod.metadata?.namespace ?? 'default');
      const name = encodeURIComponent(this.pod.metadata!.name!);
      try {
        await this.node.api.delete(`/api/v1/namespaces/${ns}/pods/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
      } catch (e) {
        if (!(e instanceof ApiError && (e.status === 404 || e.status === 409))) throw e;
      }
    }
    this.finished = true;
    clearTimeout(this.wakeTimer);
    this.node.tokens.forget(this.uid);
    this.node.crashBackoff.forget(`${this.uid}/`);
    this.node.imageBackoff.forget(`${this.uid}/`);
    this.onFinished(this);
  }

  // ---- status -------------------------------------------------------------------------------

  private async pushStatus(): Promise<void> {
    if (this.deletedFromApi) return;
    for (const r of this.records) if (isRunning(r)) this.refreshReadiness(r.name);
    for (const r of this.records) {
      // An exited container that will not be restarted shows as terminated, not waiting.
      if (r.current?.state === 'exited' && r.waiting && (this.terminal || !restartsAfterExit(r.kind, this.policy, r.current.terminated.exitCode))) r.waiting = undefined;
    }
    const status = podStatus({
      pod: this.pod,
      records: this.records,
      initialized: this.initialized,
      sandboxReady: this.sandbox !== undefined,
      podIP: this.sandbox?.ip,
      hostIP: this.node.hostIP,
      startTime: this.startTime,
      terminal: this.terminal,
      now: Date.now(),
    });
    const json = JSON.stringify(status);
    if (json === this.lastStatus) return;
    const ns = encodeURIComponent(this.pod.metadata?.namespace ?? 'default');
    const name = encodeURIComponent(this.pod.metadata!.name!);
    try {
      const updated = await this.node.api.patch<Pod>(`/api/v1/namespaces/${ns}/pods/${name}/status`, { metadata: { uid: this.uid }, status });
      this.lastStatus = json;
      if (updated?.metadata?.uid === this.uid) this.pod = { ...this.pod, status: updated.status };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return;
      throw e;
    }
  }
}

/** A short random suffix, as generated names use. */
export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}
