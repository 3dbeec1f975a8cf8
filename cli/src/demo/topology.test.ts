import { parseConfigFile } from '../../../operator/src/core/yaml-docs';
import { demoConfigYaml, demoTopology, sidecarEnv } from './topology';

describe('demo topology', () => {
  let next = 20000;
  const t = demoTopology(() => next++, 80);

  it('gives every workload its own loopback address and distinct ports', () => {
    const ips = t.workloads.map((w) => w.ip);
    expect(new Set(ips).size).toBe(ips.length);
    const ports = t.workloads.flatMap((w) => [w.appPort, w.inboundPort, w.admin, w.health, w.prometheus, w.agent, ...(w.outbound ? [w.outbound.port] : [])]);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('writes a config the control plane parses: pods, services, slices at the sidecar ports, the 80/20 split', () => {
    const yaml = demoConfigYaml(t);
    const parsed = parseConfigFile('mesh.yaml', yaml);
    expect(parsed.errors).toEqual([]);
    const kinds = parsed.objects.map((o) => o.kind).sort();
    expect(kinds.filter((k) => k === 'Pod')).toHaveLength(4);
    expect(kinds).toEqual(expect.arrayContaining(['Namespace', 'Service', 'EndpointSlice', 'DestinationRule', 'VirtualService']));
    const reviewsV2 = t.workloads.find((w) => w.pod === 'reviews-v2')!;
    expect(yaml).toContain(`ports: [{ name: http, port: ${reviewsV2.inboundPort} }]`);
    expect(yaml).toMatch(/subset: v1 }, weight: 80/);
    expect(yaml).toMatch(/subset: v2 }, weight: 20/);
  });

  it('gives each sidecar its identity, labels and explicit ports, but no secret', () => {
    const frontend = t.workloads[0]!;
    const env = sidecarEnv(t, frontend, '127.0.0.1:15012', '/ca/root-cert.pem');
    expect(env).toMatchObject({
      POD_NAME: 'frontend-v1', SERVICE_ACCOUNT: 'frontend', INSTANCE_IP: frontend.ip,
      SKEIN_POD_LABELS: '{"app":"frontend","version":"v1"}',
      SKEIN_INBOUND_PORTS: `${frontend.inboundPort}=${frontend.appPort}`,
      SKEIN_OUTBOUND_PORTS: `${frontend.outbound!.port}=reviews:9080`,
    });
    expect(env.SKEIN_JOIN_TOKEN).toBeUndefined();
  });
});
