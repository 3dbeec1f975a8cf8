/** What every source (config directory, Kubernetes API) feeds the index. */
import { type ConfigError } from '../core/config-error';
import { type KubeObject } from '../core/kube';

export type SourceEvent =
  | { type: 'apply'; key: string; object: KubeObject }
  | { type: 'delete'; key: string };

export interface SourceListener {
  /** Object changes, in order. */
  onEvents(events: SourceEvent[]): void;
  /** The complete current set of configuration errors (replaces the previous set). */
  onErrors(errors: ConfigError[]): void;
  /** Called once, after the first complete load. */
  onSynced(): void;
}

export interface ConfigSource {
  start(): Promise<void>;
  stop(): Promise<void>;
}
