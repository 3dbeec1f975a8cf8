/**
 * `skein proxy xds-check FILE`: would this proxy accept these Envoy resources? Reads
 * `skein proxy-config` output (or resources as proto3 JSON), prints OK/NACK per resource with the
 * exact reason the proxy would send, and whether they make a complete snapshot. The checker (the
 * proto registry) loads when the command runs: `skein proxy` itself registers this command too and
 * must not pay for it.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UsageError, usageErrors, type Command } from '../../../api/src/command';
import type * as CheckModule from './check';
import type * as NodeModule from './core/node';

const usage = `Usage: skein proxy xds-check FILE [--outbound-ports SPEC] [--model]

Checks Envoy xDS resources against the Skein proxy: each resource is translated into the proxy's
config model (or refused with the NACK reason the proxy would send), then the set is assembled into
the snapshot the proxy would apply. Exit code 0 when everything is accepted, 1 otherwise.

  FILE                   output of \`skein proxy-config\`, an array of resources, or one resource
                         (proto3 JSON with "@type"); "-" reads stdin
  --outbound-ports SPEC  local mode: the node's explicit listeners, e.g. 15101=reviews:9080
  --model                print the resulting config model (JSON) on stdout`;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks).toString('utf8');
}

export const xdsCheckCommand: Command = {
  path: ['proxy', 'xds-check'],
  summary: 'check Envoy resources against the proxy (what it would NACK, the snapshot it would apply)',
  usage,
  async run(args, io) {
    /* eslint-disable @typescript-eslint/no-require-imports -- lazy loading is the point */
    const { CheckInputError, checkResources, parseResources } = require('./check') as typeof CheckModule;
    const { NodeConfigError, parseOutboundPorts } = require('./core/node') as typeof NodeModule;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const parsed = usageErrors(() => parseArgs({ args, strict: true, allowPositionals: true, options: { 'outbound-ports': { type: 'string' }, model: { type: 'boolean' } } }));
    if (parsed.positionals.length !== 1) throw new UsageError('exactly one FILE is required');
    let outboundPorts;
    try {
      outboundPorts = parsed.values['outbound-ports'] === undefined ? undefined : parseOutboundPorts(parsed.values['outbound-ports']);
    } catch (err) {
      if (err instanceof NodeConfigError) throw new UsageError(`--outbound-ports: ${err.message}`);
      throw err;
    }
    const file = parsed.positionals[0]!;
    let text: string;
    try {
      text = file === '-' ? await readAll(io.stdin) : fs.readFileSync(file, 'utf8');
    } catch (err) {
      io.stderr.write(`cannot read ${file}: ${(err as Error).message}\n`);
      return 1;
    }
    let groups;
    try {
      groups = parseResources(JSON.parse(text));
    } catch (err) {
      if (err instanceof SyntaxError || err instanceof CheckInputError) {
        io.stderr.write(`${file}: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    const result = checkResources(groups, { podName: 'xds-check', namespace: 'default', podIp: '127.0.0.1', ...(outboundPorts ? { outboundPorts } : {}) });
    for (const line of result.lines) io.stderr.write(`${line}\n`);
    if (parsed.values.model && result.config) io.stdout.write(`${JSON.stringify(result.config, null, 2)}\n`);
    return result.nacks === 0 && result.config ? 0 : 1;
  },
};

export const xdsCommands: Command[] = [xdsCheckCommand];
