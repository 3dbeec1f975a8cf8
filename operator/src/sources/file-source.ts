/**
 * Local-mode source: a directory of Kubernetes-shaped YAML (`*.yaml`, `*.yml`, `*.json`, recursive),
 * watched with fs.watch plus a periodic rescan (the fallback where fs.watch misses events or is not
 * supported, e.g. some network file systems).
 *
 * A file is applied as a unit: when any document in it is invalid, the whole file is rejected, its
 * errors are reported (file, document index, field path) and the last good version of that file keeps
 * serving. Deleting a file deletes its objects. An object defined in two files is an error in the file
 * read later; the first definition keeps serving.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type ConfigError } from '../core/config-error';
import { type KubeObject, objectKey } from '../core/kube';
import { type ResourceValidator } from '../core/validation';
import { parseConfigFile } from '../core/yaml-docs';
import { type ConfigSource, type SourceEvent, type SourceListener } from './source';

export interface FileSourceOptions {
  dir: string;
  listener: SourceListener;
  crdValidator?: ResourceValidator;
  /** Rescan interval (ms) for the poll fallback; default 2000. */
  pollIntervalMs?: number;
}

interface FileState {
  hash: string;
  /** Objects of the last good version of the file. */
  objects: Map<string, KubeObject>;
  errors: ConfigError[];
}

const configFile = /\.(ya?ml|json)$/i;

export class FileSource implements ConfigSource {
  private readonly files = new Map<string, FileState>();
  /** Which file owns each key. */
  private readonly owners = new Map<string, string>();
  private watcher: fs.FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescanWanted = false;
  private stopped = false;

  constructor(private readonly options: FileSourceOptions) {}

  async start(): Promise<void> {
    const stat = await fs.promises.stat(this.options.dir).catch(() => undefined);
    if (!stat?.isDirectory()) throw new Error(`config dir ${this.options.dir} is not a directory`);
    await this.rescan();
    this.options.listener.onSynced();
    try {
      this.watcher = fs.watch(this.options.dir, { recursive: true }, () => this.requestRescan());
      this.watcher.on('error', () => this.closeWatcher());
    } catch {
      this.watcher = undefined; // polling only
    }
    this.poll = setInterval(() => this.requestRescan(), this.options.pollIntervalMs ?? 2000);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeWatcher();
    if (this.poll) clearInterval(this.poll);
    await this.scanning;
  }

  /** Rescans now (also what the watcher and poll timer call); concurrent calls coalesce. */
  requestRescan(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.scanning) {
      this.rescanWanted = true;
      return this.scanning;
    }
    this.scanning = this.rescan().finally(() => {
      this.scanning = undefined;
      if (this.rescanWanted) {
        this.rescanWanted = false;
        void this.requestRescan();
      }
    });
    return this.scanning;
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async listFiles(dir: string): Promise<string[]> {
    const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
    const out: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue; // editors' swap files, ..data symlinks of ConfigMap mounts
      const full = path.join(dir, e.name);
      if (e.isDirectory()) out.push(...(await this.listFiles(full)));
      else if (configFile.test(e.name)) out.push(full);
    }
    return out.sort();
  }

  private async rescan(): Promise<void> {
    const present = await this.listFiles(this.options.dir);
    const events: SourceEvent[] = [];
    let errorsChanged = false;
    for (const file of present) {
      const text = await fs.promises.readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // vanished between list and read; the next scan sees it gone
      const hash = createHash('sha256').update(text).digest('hex');
      const state = this.files.get(file);
      if (state?.hash === hash) continue;
      errorsChanged = true;
      events.push(...this.load(file, text, hash, state));
    }
    for (const file of [...this.files.keys()]) {
      if (present.includes(file)) continue;
      errorsChanged = true;
      events.push(...this.replaceObjects(file, new Map()));
      this.files.delete(file);
    }
    if (events.length) this.options.listener.onEvents(events);
    if (errorsChanged) this.options.listener.onErrors([...this.files.values()].flatMap((f) => f.errors));
  }

  private load(file: string, text: string, hash: string, previous: FileState | undefined): SourceEvent[] {
    const rel = path.relative(this.options.dir, file);
    const parsed = parseConfigFile(rel, text, this.options.crdValidator);
    const errors = [...parsed.errors];
    for (const obj of parsed.objects) {
      const owner = this.owners.get(objectKey(obj));
      if (owner !== undefined && owner !== file) {
        errors.push({ file: rel, object: objectKey(obj), path: 'metadata.name', message: `duplicate: also defined in ${path.relative(this.options.dir, owner)}` });
      }
    }
    if (errors.length) {
      // Keep the last good version of this file serving.
      this.files.set(file, { hash, objects: previous?.objects ?? new Map(), errors });
      return [];
    }
    const objects = new Map(parsed.objects.map((o) => [objectKey(o), o]));
    const events = this.replaceObjects(file, objects);
    this.files.set(file, { hash, objects, errors: [] });
    return events;
  }

  private replaceObjects(file: string, next: Map<string, KubeObject>): SourceEvent[] {
    const previous = this.files.get(file)?.objects ?? new Map<string, KubeObject>();
    const events: SourceEvent[] = [];
    for (const [key] of previous) {
      if (!next.has(key)) {
        events.push({ type: 'delete', key });
        this.owners.delete(key);
      }
    }
    for (const [key, object] of next) {
      if (JSON.stringify(previous.get(key)) !== JSON.stringify(object)) events.push({ type: 'apply', key, object });
      this.owners.set(key, file);
    }
    return events;
  }
}
