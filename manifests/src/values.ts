/**
 * The install's values: what `skein install --set key=value` and `-f values.yaml` (and
 * `npm run manifests`) may change in the rendered manifests. One table, `valueFields`: a value is a
 * row (dotted key, type, default, help). Adding one (e.g. `cni.enabled`) is adding a row and
 * reading it in install.ts; parsing, defaults, unknown-key errors and `skein install --help` follow.
 *
 * Layers as Helm's: defaults, then each `-f` file in order, then each `--set` in order. Every bad
 * value is a `ValuesError` naming where it came from (`--set replicas=x`, `values.yaml: replicas`).
 */
import { parse as parseYaml, YAMLError } from 'yaml';
import { DefaultTrustDomain } from '../../api/src/names';
import { DefaultBinDir, DefaultConfDir } from '../../cni/src/names';
import { validateTrustDomain } from '../../api/src/spiffe';
import pkg from '../../package.json';

export class ValuesError extends Error {
  override name = 'ValuesError';
}

export type ValueType =
  | { kind: 'string'; check?: (value: string) => void }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] };

export interface ValueField {
  type: ValueType;
  default: string | number | boolean;
  help: string;
}

export const defaultImage = `ghcr.io/skein-mesh/skein:${pkg.version}`;

/** CPU as Kubernetes writes it: millicores (`200m`) or cores (`2`, `0.5`). */
export const cpuQuantity = /^(?:([0-9]+)m|([0-9]+(?:\.[0-9]+)?))$/;
/** Memory in binary units (`256Mi`, `1Gi`): what the Deployment renders (cdk8s Size). */
export const memoryQuantity = /^([0-9]+)(Mi|Gi)$/;
const checkCpu = (value: string): void => {
  if (!cpuQuantity.test(value)) throw new ValuesError(`"${value}" is not a CPU quantity (e.g. 200m, 2, 0.5)`);
};
const checkMemory = (value: string): void => {
  if (!memoryQuantity.test(value)) throw new ValuesError(`"${value}" is not a memory quantity in Mi or Gi (e.g. 256Mi, 1Gi)`);
};
const checkImage = (value: string): void => {
  if (value === '' || /\s/.test(value)) throw new ValuesError(`"${value}" is not an image reference`);
};
const checkHostDir = (value: string): void => {
  if (!value.startsWith('/') || /\s/.test(value)) throw new ValuesError(`"${value}" is not an absolute path on the node`);
};

/** Every value, by dotted key. */
export const valueFields = {
  image: { type: { kind: 'string', check: checkImage }, default: defaultImage, help: 'the one Skein image (control plane, sidecar, init container)' },
  imagePullPolicy: { type: { kind: 'enum', values: ['Always', 'IfNotPresent', 'Never'] }, default: 'IfNotPresent', help: 'pull policy of the control plane container' },
  replicas: { type: { kind: 'integer', min: 1, max: 100 }, default: 2, help: 'control plane replicas (one leader, the others serve xDS, CA and webhook too)' },
  trustDomain: {
    type: { kind: 'string', check: (v: string) => void validateTrustDomain(v) }, default: DefaultTrustDomain,
    help: 'SPIFFE trust domain of the mesh (spiffe://TD/ns/NS/sa/SA)',
  },
  'resources.requests.cpu': { type: { kind: 'string', check: checkCpu }, default: '200m', help: 'control plane CPU request' },
  'resources.requests.memory': { type: { kind: 'string', check: checkMemory }, default: '256Mi', help: 'control plane memory request' },
  'resources.limits.cpu': { type: { kind: 'string', check: checkCpu }, default: '2', help: 'control plane CPU limit' },
  'resources.limits.memory': { type: { kind: 'string', check: checkMemory }, default: '1Gi', help: 'control plane memory limit' },
  'cni.enabled': { type: { kind: 'boolean' }, default: false, help: 'CNI mode: the node agent DaemonSet captures traffic, meshed pods need no NET_ADMIN (docs/traffic-capture.md)' },
  'cni.confDir': { type: { kind: 'string', check: checkHostDir }, default: DefaultConfDir, help: "the nodes' CNI configuration dir (k3s: /var/lib/rancher/k3s/agent/etc/cni/net.d)" },
  'cni.binDir': { type: { kind: 'string', check: checkHostDir }, default: DefaultBinDir, help: "the nodes' CNI plugin dir (k3s: /var/lib/rancher/k3s/data/current/bin)" },
} satisfies Record<string, ValueField>;

export type ValueKey = keyof typeof valueFields;
type TypeOf<F extends ValueField> = F['type'] extends { kind: 'integer' } ? number : F['type'] extends { kind: 'boolean' } ? boolean : string;
/** Resolved values, by dotted key: every key present, each of its field's type. */
export type InstallValues = { [K in ValueKey]: TypeOf<(typeof valueFields)[K]> };

/** One layer of values, as a user wrote it, and where (for error messages). */
export interface ValuesLayer {
  /** `values.yaml`, `--set` */
  source: string;
  /** Nested mapping (a -f file) or dotted keys (from --set); both are flattened. */
  values: Record<string, unknown>;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{ resources: { limits: { cpu: 1 } } }` → `{ 'resources.limits.cpu': 1 }`; known leaf keys stop the descent. */
function flatten(values: Record<string, unknown>, fields: Record<string, ValueField>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isMapping(v) && !(key in fields)) Object.assign(out, flatten(v, fields, key));
    else out[key] = v;
  }
  return out;
}

/** Parses one value for its field: strings from --set are converted, YAML scalars must have the right type. */
export function parseValue(key: string, raw: unknown, field: ValueField): string | number | boolean {
  const t = field.type;
  const text = typeof raw === 'string' ? raw : undefined;
  switch (t.kind) {
    case 'integer': {
      const n = typeof raw === 'number' ? raw : text !== undefined && /^-?[0-9]+$/.test(text) ? Number(text) : NaN;
      if (!Number.isInteger(n) || n < t.min || n > t.max) throw new ValuesError(`${key}: expected an integer ${t.min}..${t.max}, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (text === 'true' || text === 'false') return text === 'true';
      throw new ValuesError(`${key}: expected true or false, got ${JSON.stringify(raw)}`);
    }
    case 'enum': {
      if (text === undefined || !t.values.includes(text)) throw new ValuesError(`${key}: expected one of ${t.values.join(', ')}, got ${JSON.stringify(raw)}`);
      return text;
    }
    case 'string': {
      if (text === undefined) throw new ValuesError(`${key}: expected a string, got ${JSON.stringify(raw)}`);
      try {
        t.check?.(text);
      } catch (err) {
        throw new ValuesError(`${key}: ${(err as Error).message}`);
      }
      return text;
    }
  }
}

/** Defaults, then each layer in order; throws ValuesError naming the layer and the key. */
export function resolveValues<F extends Record<string, ValueField>>(layers: readonly ValuesLayer[], fields: F): { [K in keyof F]: TypeOf<F[K]> };
export function resolveValues(layers: readonly ValuesLayer[]): InstallValues;
export function resolveValues(layers: readonly ValuesLayer[], fields: Record<string, ValueField> = valueFields): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.default]));
  for (const layer of layers) {
    for (const [key, raw] of Object.entries(flatten(layer.values, fields))) {
      const field = fields[key];
      if (!field) throw new ValuesError(`${layer.source}: unknown value "${key}" (known: ${Object.keys(fields).join(', ')})`);
      try {
        out[key] = parseValue(key, raw, field);
      } catch (err) {
        throw new ValuesError(`${layer.source}: ${(err as Error).message}`);
      }
    }
  }
  return out;
}

/** `--set key=value` → a layer; the value stays a string (its field decides how to read it). */
export function setLayer(assignment: string): ValuesLayer {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ValuesError(`--set ${assignment}: expected key=value`);
  return { source: `--set ${assignment}`, values: { [assignment.slice(0, eq)]: assignment.slice(eq + 1) } };
}

/** A `-f` file's text → a layer (a YAML mapping; an empty file is no values). */
export function fileLayer(file: string, text: string): ValuesLayer {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLError) throw new ValuesError(`${file}: invalid YAML: ${err.message.split('\n')[0]}`);
    throw err;
  }
  if (parsed == null) return { source: file, values: {} };
  if (!isMapping(parsed)) throw new ValuesError(`${file}: expected a mapping of values (e.g. replicas: 3)`);
  return { source: file, values: parsed };
}

/** The values table for `--help`: one line per key, its default and what it is. */
export function valuesHelp(fields: Record<string, ValueField> = valueFields): string {
  const width = Math.max(...Object.keys(fields).map((k) => k.length));
  return Object.entries(fields)
    .map(([k, f]) => `  ${k.padEnd(width)}  ${f.help} (default ${String(f.default)}${f.type.kind === 'enum' ? `; ${f.type.values.join(' | ')}` : ''})`)
    .join('\n');
}
