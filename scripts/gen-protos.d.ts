// Types for scripts/gen-protos.js (plain JS so that it runs before anything is compiled).
export interface GenerateOptions {
  repoRoot?: string;
  /** @grpc/grpc-js-xds's deps folder (envoy-api, xds, googleapis, protoc-gen-validate). */
  depsDir?: string;
  /** Skein's own protos (api/proto); skipped when absent. */
  skeinProtoDir?: string;
  outDir?: string;
  /** Envoy files or folders to generate (imports follow). */
  envoyTargets?: readonly string[];
  force?: boolean;
  /** How long to wait for another run holding the output folder's lock (default 300 s). */
  lockWaitMs?: number;
}
export interface GenerateResult {
  generated: boolean;
  hash: string;
  files: string[];
  ms: number;
}
export function generate(options?: GenerateOptions): GenerateResult;
export function staleness(options?: GenerateOptions): string | undefined;
export function applyValidatePatch(protoTreeDir: string): boolean;
/** The lock file a run holds while it writes outDir. */
export function lockPath(outDir: string): string;
export const ENVOY_TARGETS: readonly string[];
