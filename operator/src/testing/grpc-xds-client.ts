/**
 * A proxyless gRPC client (grpc-js-xds) in its own process, driven over IPC by tests: grpc-js-xds
 * keeps a process-wide xDS client that cannot be shut down, so the test kills the process instead.
 * Bootstrap: env GRPC_XDS_BOOTSTRAP_CONFIG. Messages: { id, target, count, metadata } →
 * { id, counts } or { id, error }. Plain JavaScript, run with `node -e` from the repository root.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const script = String.raw`
const grpc = require('@grpc/grpc-js');
require('@grpc/grpc-js-xds').register();

const identity = (b) => b;
const clients = new Map();

function clientFor(target) {
  if (!clients.has(target)) clients.set(target, new grpc.Client(target, grpc.credentials.createInsecure()));
  return clients.get(target);
}

function call(client, metadata) {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/skein.test.Echo/Who', identity, identity, Buffer.alloc(0), md, { deadline: Date.now() + 5000 },
      (err, res) => (err ? reject(err) : resolve(res.toString())));
  });
}

process.on('message', async (msg) => {
  try {
    const client = clientFor(msg.target);
    const counts = {};
    for (let i = 0; i < msg.count; i++) {
      const name = await call(client, msg.metadata);
      counts[name] = (counts[name] ?? 0) + 1;
    }
    process.send({ id: msg.id, counts });
  } catch (err) {
    process.send({ id: msg.id, error: String(err && err.message) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
`;

export function startGrpcXdsClient(bootstrap: string): ChildProcess {
  return spawn(process.execPath, ['-e', script], {
    cwd: path.join(__dirname, '../../..'),
    env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
