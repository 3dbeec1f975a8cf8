/**
 * `skein version`: this CLI's version, and the control plane's when it can be asked (local mode:
 * --monitoring-url; on a cluster: each ready replica, through a port-forward). `skein --version`
 * prints the first line only, without asking anything.
 */
import { parseArgs } from 'node:util';
import { type Command, UsageError, usageErrors } from '../../api/src/command';
import { ControlPlanePorts } from '../../api/src/names';
import type * as ClusterModule from '../../operator/src/kube/cluster';
import type * as ControlPlaneModule from '../../operator/src/kube/control-plane';
import type * as MonitoringClient from '../../operator/src/monitoring-client';
import pkg from '../../package.json';

export const version: string = pkg.version;

interface VersionReport {
  client: { version: string };
  kubernetes?: { version: string };
  controlPlane?: { name: string; version?: string; error?: string }[];
  /** Why the control plane was not asked. */
  note?: string;
}

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading: the Kubernetes client only when asked */
async function controlPlaneReport(values: { 'monitoring-url'?: string; kubeconfig?: string; context?: string }): Promise<VersionReport> {
  const report: VersionReport = { client: { version } };
  if (values['monitoring-url']) {
    const { fetchVersion, monitoringGet } = require('../../operator/src/monitoring-client') as typeof MonitoringClient;
    const name = values['monitoring-url'];
    try {
      report.controlPlane = [{ name, version: await fetchVersion(monitoringGet(name)) }];
    } catch (err) {
      report.controlPlane = [{ name, error: (err as Error).message }];
    }
    return report;
  }
  const cluster = require('../../operator/src/kube/cluster') as typeof ClusterModule;
  if (!cluster.findKubeconfig({ kubeconfig: values.kubeconfig })) {
    report.note = 'no kubeconfig: pass --kubeconfig, or --monitoring-url for a local control plane';
    return report;
  }
  const { clusterControlPlaneVersions } = require('../../operator/src/kube/control-plane') as typeof ControlPlaneModule;
  try {
    const c = cluster.connectCluster({ ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}), requestTimeoutMs: 5_000 });
    try {
      report.kubernetes = { version: (await cluster.serverVersion(c.api)).gitVersion };
      const replicas = await clusterControlPlaneVersions(c);
      report.controlPlane = replicas.map((r) => ({ name: r.pod, ...(r.version ? { version: r.version } : { error: r.error ?? 'unknown' }) }));
      if (replicas.length === 0) report.note = 'no ready control plane pod (is Skein installed? skein check)';
    } catch (err) {
      report.note = cluster.describeApiFailure(err, c.server);
    }
  } catch (err) {
    report.note = (err as Error).message;
  }
  return report;
}
/* eslint-enable @typescript-eslint/no-require-imports */

function formatReport(r: VersionReport): string {
  const lines = [`client: skein ${r.client.version}`];
  if (r.kubernetes) lines.push(`kubernetes: ${r.kubernetes.version}`);
  for (const cp of r.controlPlane ?? []) lines.push(`control plane: ${cp.version ? `skein ${cp.version}` : `unknown (${cp.error})`} (${cp.name})`);
  if (r.note) lines.push(`control plane: not asked: ${r.note}`);
  return `${lines.join('\n')}\n`;
}

export const versionCommand: Command = {
  path: ['version'],
  summary: "print the Skein version, and the control plane's when it can be asked",
  usage: `Usage: skein version [-o text|json] [--client] [--kubeconfig FILE] [--context NAME]
       skein version --monitoring-url URL [-o text|json]

The CLI's version; the Kubernetes and control plane versions when a kubeconfig is there (each ready
replica, through a port-forward to its monitoring port ${ControlPlanePorts.monitoring}), or the local control plane at
--monitoring-url. \`skein --version\` prints the CLI's version only.

  --client                   this CLI only: ask nothing
  -o, --output FORMAT        text (default) or json
  --monitoring-url URL       local mode: the control plane's monitoring address
  --kubeconfig FILE          kubeconfig (default: $KUBECONFIG, ~/.kube/config, else in-cluster)
  --context NAME             kubeconfig context`,
  async run(args, io) {
    const { values } = usageErrors(() => parseArgs({
      args, strict: true, allowPositionals: false,
      options: { output: { type: 'string', short: 'o' }, client: { type: 'boolean' }, 'monitoring-url': { type: 'string' }, kubeconfig: { type: 'string' }, context: { type: 'string' } },
    }));
    const output = values.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`-o must be text or json, got "${output}"`);
    const report = values.client ? { client: { version } } : await controlPlaneReport(values);
    io.stdout.write(output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  },
};
