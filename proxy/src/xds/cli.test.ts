/** `skein proxy xds-check`: OK/NACK per resource, the snapshot verdict, and every kind of bad input. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { ClusterSchema } from '../../../api/gen/envoy/config/cluster/v3/cluster_pb';
import { ClusterLoadAssignmentSchema } from '../../../api/gen/envoy/config/endpoint/v3/endpoint_pb';
import { ListenerSchema } from '../../../api/gen/envoy/config/listener/v3/listener_pb';
import { RouteConfigurationSchema } from '../../../api/gen/envoy/config/route/v3/route_pb';
import { UsageError } from '../../../api/src/command';
import { packAny } from '../../../api/src/xds/any';
import { toConfigJson } from '../../../api/src/xds/json';
import { TypeUrls } from '../../../api/src/xds/type-urls';
import { xdsCheckCommand } from './cli';
import { edsCluster, loadAssignment, outboundListener, passthroughCluster, routeConfig } from './testing/resources';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-xds-check-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const json = <D extends DescMessage>(schema: D, m: MessageShape<D>) => toConfigJson(AnySchema, packAny(schema, m));
function proxyConfigDump(listener = outboundListener(), withRoutes = true) {
  const configs = [
    { type_url: TypeUrls.cluster, resources: [json(ClusterSchema, edsCluster()), json(ClusterSchema, passthroughCluster())] },
    { type_url: TypeUrls.clusterLoadAssignment, resources: [json(ClusterLoadAssignmentSchema, loadAssignment())] },
    { type_url: TypeUrls.listener, resources: [json(ListenerSchema, listener)] },
    { type_url: TypeUrls.routeConfiguration, resources: withRoutes ? [json(RouteConfigurationSchema, routeConfig())] : [] },
  ];
  return { node: 'sidecar~10.0.0.7~p.default~default.svc.cluster.local', configs };
}
let n = 0;
function file(content: unknown): string {
  const p = path.join(dir, `in-${++n}.json`);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
async function run(args: string[], stdinText?: string): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  stdin.end(stdinText ?? '');
  const code = await xdsCheckCommand.run(args, { stdout, stderr, stdin });
  return { code, out, err };
}

describe('skein proxy xds-check', () => {
  it('accepts a consistent set (skein proxy-config output) and prints the model with --model', async () => {
    const r = await run([file(proxyConfigDump()), '--model']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('OK   Listener virtualOutbound');
    expect(r.err).toMatch(/snapshot: OK — 1 listeners, 1 route configurations, 2 clusters, 1 endpoints/);
    expect((JSON.parse(r.out) as { listeners: Array<{ name: string }> }).listeners[0]!.name).toBe('virtualOutbound');
  });

  it('reads stdin with "-"', async () => {
    const r = await run(['-'], JSON.stringify(proxyConfigDump()));
    expect(r.code).toBe(0);
  });

  it('prints the NACK reason the proxy would send and exits 1', async () => {
    const bad = outboundListener(undefined, (l) => { l.perConnectionBufferLimitBytes = 1; });
    const r = await run([file(proxyConfigDump(bad))]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^NACK Listener virtualOutbound: per_connection_buffer_limit_bytes: not supported/m);
    expect(r.err).toMatch(/snapshot: not applied \(1 resource would be NACKed\)/);
  });

  it('says what is missing (a route configuration) and how the proxy would go on', async () => {
    const r = await run([file(proxyConfigDump(outboundListener(), false))]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/snapshot: missing RouteConfiguration 9080 \(applied after the initial fetch timeout as empty\)/);
  });

  it.each([
    ['text that is not JSON', 'nope', /in-\d+\.json: Unexpected token/],
    ['JSON of another shape', { hello: 1 }, /expected skein proxy-config output/],
    ['a resource without @type', [{ name: 'x' }], /resource 0: expected an object with "@type"/],
    ['a type the proxy does not subscribe to', [{ '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', name: 'default' }], /resource 0: type .*Secret is not one the proxy subscribes to/],
    ['a field Envoy does not have', [{ '@type': TypeUrls.cluster, name: 'x', nonsense: 1 }], /resource 0: .*nonsense/],
  ])('refuses %s with a clear message', async (_what, content, message) => {
    const r = await run([file(content)]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });

  it('reports a file it cannot read', async () => {
    const r = await run([path.join(dir, 'missing.json')]);
    expect([r.code, r.err]).toEqual([1, expect.stringMatching(/cannot read .*missing\.json: ENOENT/)]);
  });

  it.each([
    [[], /exactly one FILE is required/],
    [['a', 'b'], /exactly one FILE is required/],
    [['f', '--bogus'], /Unknown option '--bogus'/],
    [['f', '--outbound-ports', '15101'], /--outbound-ports: outbound ports: "15101" is not LOCAL_PORT=HOST:PORT/],
  ])('usage error for %j', async (args, message) => {
    await expect(run(args)).rejects.toThrow(UsageError);
    await expect(run(args)).rejects.toThrow(message);
  });
});
