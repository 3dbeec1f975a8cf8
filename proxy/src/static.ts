/**
 * Standalone mode: a proxy driven by a static config file (the model as JSON), reloaded when the
 * file changes. `skein proxy --static-config FILE` uses it until the xDS client exists; tests and
 * local demos use it too.
 */
import fs from 'node:fs';
import type { IdentityProvider } from '../../api/src/identity';
import type { ProxyConfig } from './config/model';
import { ConfigError, validateConfig } from './config/validate';
import { Proxy, type ProxyOptions } from './proxy';

/** Reads and validates a config file; errors name the file and the field. */
export function loadStaticConfig(file: string): ProxyConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  try {
    return validateConfig(json);
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
}

export interface StaticProxy {
  proxy: Proxy;
  /** Stops watching the file and closes the proxy. */
  close(): Promise<void>;
}

/** Starts a proxy from a file and applies the file again whenever it changes (a bad file is reported and ignored). */
export async function startStaticProxy(file: string, identity: IdentityProvider, options: ProxyOptions & { onReload?: (err?: Error) => void } = {}): Promise<StaticProxy> {
  const proxy = new Proxy(loadStaticConfig(file), identity, options);
  await proxy.start();
  let timer: NodeJS.Timeout | undefined;
  const watcher = fs.watch(file, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      let cfg: ProxyConfig;
      try {
        cfg = loadStaticConfig(file);
      } catch (err) {
        options.onReload?.(err as Error);
        return;
      }
      proxy.applyConfig(cfg).then(() => options.onReload?.(), (err: Error) => options.onReload?.(err));
    }, 200);
  });
  watcher.on('error', (err) => options.onReload?.(err));
  return {
    proxy,
    close: async () => {
      clearTimeout(timer);
      watcher.close();
      await proxy.close();
    },
  };
}
