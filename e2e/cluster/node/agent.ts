/**
 * The test-process side of agent/netns-agent.ts: sockets opened inside the node's network
 * namespace and handed to this process. `connect` is the node's dialer (the API server reaching a
 * pod IP or a ClusterIP, the kubelet's HTTP/TCP/gRPC probes); `listen` gives a server that
 * accepts inside the namespace (the API server's address as pods see it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { compileDir } from '../../harness/apps';
import { killGroup } from '../../harness/command';
import { waitUntil } from '../../harness/wait';

const AgentSourceDir = join(__dirname, 'agent');
const AgentBuildDir = join(AgentSourceDir, 'build');

type Reply = { op: 'listening' | 'connected'; id: number } | { op: 'error'; id: number; message: string };

export class NetnsAgent {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (h: net.Server | net.Socket) => void; reject: (e: Error) => void; what: string }>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly netns: string,
  ) {
    child.on('message', (reply: Reply, handle?: net.Server | net.Socket) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) {
        if (handle instanceof net.Socket) handle.destroy();
        else handle?.close();
        return;
      }
      this.pending.delete(reply.id);
      if (reply.op === 'error') waiter.reject(new Error(`${waiter.what} (from network namespace ${netns}): ${reply.message}`));
      else if (!handle) waiter.reject(new Error(`${waiter.what}: the agent sent no socket`));
      else waiter.resolve(handle);
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const [id, w] of this.pending) {
        this.pending.delete(id);
        w.reject(new Error(`${w.what}: the network namespace agent exited (${signal ?? `code ${code}`})`));
      }
    });
  }

  /** Starts the agent in `netns`; its output goes to `logFile`. */
  static async start(netns: string, logFile: string): Promise<NetnsAgent> {
    compileDir(AgentSourceDir, AgentBuildDir);
    const fd = openSync(logFile, 'a', 0o644);
    let child: ChildProcess;
    try {
      child = spawn('ip', ['netns', 'exec', netns, process.execPath, join(AgentBuildDir, 'netns-agent.js')], {
        stdio: ['ignore', fd, fd, 'ipc'],
        detached: true,
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      });
    } finally {
      closeSync(fd);
    }
    const agent = new NetnsAgent(child, netns);
    child.unref();
    (child.channel as unknown as { unref?: () => void } | undefined)?.unref?.();
    await waitUntil(() => child.connected && !agent.exited, { what: `the agent in ${netns}`, timeoutMs: 10_000, giveUp: () => (agent.exited ? 'agent exited' : undefined) });
    return agent;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** A TCP connection to host:port made from inside the namespace (rejects with the reason, e.g. ECONNREFUSED). */
  async connect(host: string, port: number, timeoutMs = 5_000): Promise<net.Socket> {
    return (await this.request({ op: 'connect', host, port, timeoutMs }, `connect to ${host}:${port}`)) as net.Socket;
  }

  /** A server listening on host:port inside the namespace, accepting in this process. */
  async listen(host: string, port: number): Promise<net.Server> {
    return (await this.request({ op: 'listen', host, port }, `listen on ${host}:${port}`)) as net.Server;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect?.();
    const timer = setTimeout(() => killGroup(this.child.pid, 'SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  private request(message: object, what: string): Promise<net.Server | net.Socket> {
    if (this.exited || !this.child.connected) return Promise.reject(new Error(`${what}: the network namespace agent is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, what });
      this.child.send({ ...message, id });
    });
  }
}
