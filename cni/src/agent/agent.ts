/**
 * The node agent: serves the plugin's requests, keeps the plugin binary in the CNI bin dir and
 * Skein's entry at the end of the active conflist — again whenever the conf dir changes (another
 * component rewrote the conflist) and every `resyncMs` in case a change was missed — and on
 * uninstall takes both away.
 */
import { type FSWatcher, watch } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { type PluginEntry } from '../core/conflist';
import { type PluginInvocation, type PluginOutcome } from '../core/wire';
import { PluginType, PodAnnotationsCapability } from '../names';
import { type ChainState, ensureChained, installPlugin, removePlugin, unchainAll } from './install';
import { type AgentSocket, listenAgentSocket } from './server';

export interface AgentOptions {
  confDir: string;
  binDir: string;
  /** The plugin shim to install (cni/native/build/skein-cni in the image). */
  pluginSource: string;
  socket: string;
  /** Re-check the chain and the binary this often, besides on every change of the conf dir. */
  resyncMs: number;
}

export interface RunningAgent {
  socket: AgentSocket;
  /** Installs and chains now if needed; what the watcher runs. */
  resync(): Promise<ChainState>;
  /** Stops watching and serving (after requests in flight). With `uninstall`, first removes Skein from the node. */
  stop(options?: { uninstall?: boolean }): Promise<void>;
}

/** Skein's conflist entry for an agent listening on `socket`. */
export function pluginEntry(socket: string): PluginEntry {
  return { type: PluginType, agentSocket: socket, capabilities: { [PodAnnotationsCapability]: true } };
}

/** Removes the plugin's entry from every conflist, then the binary: what uninstall does. */
export async function uninstallFromNode(confDir: string, binDir: string, log: (line: string) => void): Promise<void> {
  for (const file of await unchainAll(confDir)) log(`cni agent: removed skein-cni from ${file}`);
  if (await removePlugin(binDir)) log(`cni agent: removed ${binDir}/${PluginType}`);
}

export async function startAgent(
  options: AgentOptions,
  deps: { handle(request: PluginInvocation): Promise<PluginOutcome>; log(line: string): void },
): Promise<RunningAgent> {
  const { log } = deps;
  const entry = pluginEntry(options.socket);
  await mkdir(options.confDir, { recursive: true });
  await mkdir(options.binDir, { recursive: true });
  // Serve first: once the entry is in the conflist, the runtime's next ADD comes here.
  const socket = await listenAgentSocket(options.socket, deps.handle, log);

  let running: Promise<ChainState> | undefined;
  let again = false;
  let lastState: ChainState['state'] | undefined;
  const syncOnce = async (): Promise<ChainState> => {
    if (await installPlugin(options.pluginSource, options.binDir)) log(`cni agent: installed ${options.binDir}/${PluginType}`);
    const state = await ensureChained(options.confDir, entry);
    if (state.state === 'chained') log(`cni agent: chained skein-cni into ${state.file}${state.converted ? ` (converted from ${state.converted})` : ''}`);
    if (state.state === 'no-config' && lastState !== 'no-config') log(`cni agent: no CNI configuration in ${options.confDir} yet; waiting for the network plugin to write one`);
    lastState = state.state;
    return state;
  };
  const resync = (): Promise<ChainState> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        let state = await syncOnce();
        while (again) {
          again = false;
          state = await syncOnce();
        }
        return state;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const resyncLogged = () => void resync().catch((err: unknown) => log(`cni agent: cannot chain into ${options.confDir}: ${(err as Error).message}`));

  try {
    await resync();
  } catch (err) {
    await socket.close();
    throw err;
  }
  let debounce: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(options.confDir, () => {
    clearTimeout(debounce);
    debounce = setTimeout(resyncLogged, 100);
  });
  watcher.on('error', (err) => log(`cni agent: watching ${options.confDir} failed (${err.message}); relying on the ${options.resyncMs} ms re-check`));
  const interval = setInterval(resyncLogged, options.resyncMs);

  return {
    socket,
    resync,
    async stop({ uninstall = false } = {}) {
      watcher.close();
      clearInterval(interval);
      clearTimeout(debounce);
      await running?.catch(() => undefined);
      if (uninstall) await uninstallFromNode(options.confDir, options.binDir, log);
      await socket.close();
    },
  };
}
