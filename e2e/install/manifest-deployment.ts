/**
 * The control plane as `manifests/install.yaml` runs it: the Deployment's container args and env,
 * read from the checked-in install YAML (what a user applies), turned into the argv and environment
 * of the built CLI (the image's ENTRYPOINT is `node dist/cli/src/main.js`, see the Dockerfile).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const RepoRoot = path.resolve(__dirname, '..', '..');
export const InstallYaml = path.join(RepoRoot, 'manifests', 'install.yaml');
export const BuiltCli = path.join(RepoRoot, 'dist', 'cli', 'src', 'main.js');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  securityContext?: { runAsUser?: number; runAsGroup?: number };
}

export interface ManifestContainer {
  /** Arguments after the image's entrypoint. */
  args: string[];
  /** Environment with the downward-API fields the kubelet would fill in. */
  env: Record<string, string>;
  runAsUser?: number;
  runAsGroup?: number;
}

/** The one container of Deployment `name` in install.yaml, its fieldRefs resolved for `pod`. */
export function manifestContainer(name: string, pod: { name: string; namespace: string; ip?: string }, file = InstallYaml): ManifestContainer {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJSON() as { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers?: Container[]; securityContext?: { runAsUser?: number; runAsGroup?: number } } } } });
  const deployment = docs.find((d) => d?.kind === 'Deployment' && d.metadata?.name === name);
  const podSpec = deployment?.spec?.template?.spec;
  const container = podSpec?.containers?.[0];
  if (!container) throw new Error(`${file}: no Deployment ${name} with a container`);
  if (container.command) throw new Error(`${file}: Deployment ${name} overrides the image's entrypoint; this helper only runs the entrypoint`);
  const fields: Record<string, string | undefined> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace, 'status.podIP': pod.ip };
  const env: Record<string, string> = {};
  for (const v of container.env ?? []) {
    const value = v.valueFrom?.fieldRef ? fields[v.valueFrom.fieldRef.fieldPath] : v.value;
    if (value === undefined) throw new Error(`${file}: env ${v.name} of ${name}: unsupported source ${JSON.stringify(v.valueFrom ?? v)}`);
    env[v.name] = value;
  }
  const runAsUser = container.securityContext?.runAsUser ?? podSpec?.securityContext?.runAsUser;
  const runAsGroup = container.securityContext?.runAsGroup ?? podSpec?.securityContext?.runAsGroup;
  return { args: container.args ?? [], env, ...(runAsUser === undefined ? {} : { runAsUser }), ...(runAsGroup === undefined ? {} : { runAsGroup }) };
}
