/**
 * The bytes between the plugin shim and the agent (format documented in cni/native/skein-cni.c):
 * a request carries the CNI_* environment and stdin exactly as the runtime gave them to the plugin;
 * the response carries the plugin's exit code and stdout.
 */

/** One plugin invocation as the runtime made it. */
export interface PluginInvocation {
  command: string;
  containerId: string;
  netns: string;
  ifname: string;
  args: string;
  path: string;
  stdin: Buffer;
}

/** What the plugin prints and returns. */
export interface PluginOutcome {
  exitCode: number;
  stdout: string;
}

const magic = Buffer.from('SKEINCNI');
const version = 1;
const fieldNames = ['command', 'containerId', 'netns', 'ifname', 'args', 'path'] as const;
const fieldCount = fieldNames.length + 1;

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

export function encodeInvocation(request: PluginInvocation): Buffer {
  const fields = [...fieldNames.map((name) => Buffer.from(request[name])), request.stdin];
  return Buffer.concat([magic, u32(version), u32(fieldCount), ...fields.flatMap((f) => [u32(f.length), f])]);
}

/** Decodes a complete request (the shim half-closes after sending); a message says what is wrong. */
export function decodeInvocation(bytes: Buffer): PluginInvocation | { error: string } {
  const head = magic.length + 8;
  if (bytes.length < head || !bytes.subarray(0, magic.length).equals(magic)) return { error: 'not a skein-cni request' };
  if (bytes.readUInt32BE(magic.length) !== version) return { error: `unsupported request version ${bytes.readUInt32BE(magic.length)}` };
  if (bytes.readUInt32BE(magic.length + 4) !== fieldCount) return { error: `expected ${fieldCount} fields` };
  const fields: Buffer[] = [];
  let at = head;
  for (let i = 0; i < fieldCount; i++) {
    if (at + 4 > bytes.length) return { error: 'truncated request' };
    const length = bytes.readUInt32BE(at);
    at += 4;
    if (at + length > bytes.length) return { error: 'truncated request' };
    fields.push(bytes.subarray(at, at + length));
    at += length;
  }
  if (at !== bytes.length) return { error: 'trailing bytes after the request' };
  const text = (i: number) => fields[i]!.toString('utf8');
  return { command: text(0), containerId: text(1), netns: text(2), ifname: text(3), args: text(4), path: text(5), stdin: fields[6]! };
}

export function encodeOutcome(outcome: PluginOutcome): Buffer {
  const stdout = Buffer.from(outcome.stdout);
  return Buffer.concat([u32(outcome.exitCode), u32(stdout.length), stdout]);
}

/** The outcome in a complete response, or undefined when the bytes are not one. */
export function decodeOutcome(bytes: Buffer): PluginOutcome | undefined {
  if (bytes.length < 8 || bytes.readUInt32BE(4) !== bytes.length - 8) return undefined;
  return { exitCode: bytes.readUInt32BE(0), stdout: bytes.subarray(8).toString('utf8') };
}
