/**
 * `npm run bench capture` (root): what traffic capture costs.
 * - `skein init-network` wall time in a fresh network namespace: first apply, re-apply, cleanup.
 * - originalDestination() per call on a redirected connection (two syscalls: getsockname and
 *   getsockopt, which looks the connection up in conntrack), paid once per accepted connection.
 * Everything happens in a namespace this benchmark creates and deletes.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const cli = path.join(__dirname, '..', 'cli', 'src', 'main.js');
const origDstModule = path.join(__dirname, '..', 'proxy', 'src', 'original-dst.js');
const rounds = 10;
const calls = 100_000;
const maxMs = 5_000;

/** Runs in the namespace: accepts one captured connection and times the lookups (bounded). */
const lookupScript = `
const net = require('node:net');
const { originalDestination } = require(process.argv[1]);
const [calls, maxMs] = [Number(process.argv[2]), Number(process.argv[3])];
function time(fn) {
  const start = process.hrtime.bigint();
  let n = 0;
  for (; n < calls && (n % 1000 !== 0 || Number(process.hrtime.bigint() - start) / 1e6 < maxMs); n++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}
const server = net.createServer((socket) => {
  const dst = originalDestination(socket);
  const result = { dst, origDstNs: time(() => originalDestination(socket)) };
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}).listen(15001, '127.0.0.1', () => net.connect(80, '10.199.100.10').on('error', () => {}));
setTimeout(() => { process.stderr.write('no connection captured'); process.exit(1); }, 10000);
`;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function run(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: capture benchmark needs root (network namespaces, iptables)');
    return;
  }
  const ns = `skc-bench-${process.pid}`;
  const inNs = (...argv: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: 30_000 });
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    inNs('ip', 'link', 'set', 'lo', 'up');
    inNs('ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1');
    for (const dev of ['eth0', 'eth1']) inNs('ip', 'link', 'set', dev, 'up');
    inNs('ip', 'addr', 'add', '10.199.0.2/24', 'dev', 'eth0');
    inNs('ip', 'route', 'add', 'default', 'dev', 'eth0');
    const init = (...args: string[]) => {
      const start = process.hrtime.bigint();
      inNs(process.execPath, cli, 'init-network', '--ipv6', 'off', ...args);
      return ms(start);
    };
    const first = init();
    const reapply = Array.from({ length: rounds }, () => init());
    const lookups = JSON.parse(inNs(process.execPath, '-e', lookupScript, origDstModule, String(calls), String(maxMs))) as {
      dst: unknown; origDstNs: number;
    };
    const cleanup = init('--cleanup');
    console.table([
      { measure: 'init-network, first apply (ms, incl. node start)', value: first.toFixed(1) },
      { measure: `init-network, re-apply (ms, median of ${rounds})`, value: median(reapply).toFixed(1) },
      { measure: 'init-network --cleanup (ms)', value: cleanup.toFixed(1) },
      { measure: 'node start + exit alone (ms)', value: (() => { const s = process.hrtime.bigint(); inNs(process.execPath, '-e', '0'); return ms(s); })().toFixed(1) },
      { measure: 'originalDestination() per call (ns)', value: lookups.origDstNs.toFixed(0) },
    ]);
    console.log(`original destination seen: ${JSON.stringify(lookups.dst)}; node ${process.version}`);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
