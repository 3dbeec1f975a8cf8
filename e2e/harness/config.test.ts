import { parse, parseAllDocuments } from 'yaml';
import { appProtocolFor, checkServicePorts, commonLabels, meshObjects, meshYaml, type MeshModel, type PodModel } from './config';

const v1: PodModel = { name: 'web-v1', namespace: 'shop', ip: '10.77.0.3', labels: { app: 'web', version: 'v1' }, serviceAccount: 'web' };
const v2: PodModel = { ...v1, name: 'web-v2', ip: '10.77.0.4', labels: { app: 'web', version: 'v2' } };
const client: PodModel = { name: 'client', namespace: 'shop', ip: '10.77.0.2', labels: { app: 'client' }, serviceAccount: 'client' };
const model: MeshModel = {
  namespaces: [{ name: 'shop', labels: { 'skein.dev/inject': 'enabled' } }],
  pods: [client, v1, v2],
  services: [{
    name: 'web',
    namespace: 'shop',
    vip: '10.77.200.10',
    ports: [{ name: 'http-web', port: 80, targetPort: 8080 }, { name: 'grpc-api', port: 9090 }, { name: 'tcp-echo', port: 7070 }, { name: 'metrics', port: 9100 }],
    selector: { app: 'web' },
    pods: [v1, v2],
  }],
};

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('mesh config objects', () => {
  const objects = meshObjects(model) as Obj[];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  it('lists namespaces, service accounts, pods, services and slices in apply order', () => {
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'ServiceAccount', 'Pod', 'Pod', 'Pod', 'Service', 'EndpointSlice']);
    expect(byKind('Namespace')[0]!.metadata).toEqual({ name: 'shop', labels: { 'skein.dev/inject': 'enabled' } });
    expect(byKind('ServiceAccount').map((o) => o.metadata.name)).toEqual(['client', 'web']);
  });

  it('gives pods their labels, service account and IP', () => {
    expect(byKind('Pod')[1]).toMatchObject({
      metadata: { name: 'web-v1', namespace: 'shop', labels: { app: 'web', version: 'v1' } },
      spec: { serviceAccountName: 'web' },
      status: { phase: 'Running', podIP: '10.77.0.3', podIPs: [{ ip: '10.77.0.3' }] },
    });
  });

  it('gives the service its VIP, named ports and app protocols', () => {
    expect(byKind('Service')[0]!.spec).toEqual({
      type: 'ClusterIP',
      clusterIP: '10.77.200.10',
      clusterIPs: ['10.77.200.10'],
      selector: { app: 'web' },
      ports: [
        { name: 'http-web', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http' },
        { name: 'grpc-api', port: 9090, targetPort: 9090, protocol: 'TCP', appProtocol: 'grpc' },
        { name: 'tcp-echo', port: 7070, targetPort: 7070, protocol: 'TCP', appProtocol: 'tcp' },
        { name: 'metrics', port: 9100, targetPort: 9100, protocol: 'TCP' },
      ],
    });
  });

  it('lists ready endpoints with pod references and target ports in the EndpointSlice', () => {
    const slice = byKind('EndpointSlice')[0]!;
    expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'web' });
    expect(slice.addressType).toBe('IPv4');
    expect(slice.endpoints).toEqual([v1, v2].map((p) => ({
      addresses: [p.ip],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'harness',
      targetRef: { kind: 'Pod', name: p.name, namespace: 'shop' },
    })));
    expect(slice.ports[0]).toEqual({ name: 'http-web', port: 8080, protocol: 'TCP', appProtocol: 'http' });
  });
});

describe('mesh YAML', () => {
  it('is one multi-document file, with extra YAML appended', () => {
    const extra = 'apiVersion: networking.skein.dev/v1alpha1\nkind: VirtualService\nmetadata: {name: web, namespace: shop}\n';
    const docs = parseAllDocuments(meshYaml(model, `---\n${extra}`)).map((d) => d.toJS() as Obj);
    expect(docs).toHaveLength(9);
    expect(docs[8]).toEqual(parse(extra));
  });

  it('rejects extra YAML that does not parse, naming the problem', () => {
    expect(() => meshYaml(model, 'kind: [unclosed')).toThrow(/extra YAML does not parse/);
  });
});

describe('service ports', () => {
  it.each([
    [[], /at least one port/],
    [[{ name: 'http', port: 0 }], /invalid port 0/],
    [[{ name: 'http', port: 80, targetPort: 70000 }], /invalid targetPort 70000/],
    [[{ name: 'HTTP', port: 80 }], /invalid port name "HTTP"/],
    [[{ name: 'http-a-very-long-name', port: 80 }], /invalid port name/],
    [[{ name: 'http', port: 80 }, { name: 'http', port: 81 }], /duplicate port name "http"/],
    [[{ name: 'a', port: 80 }, { name: 'b', port: 80 }], /duplicate port 80/],
  ])('rejects %j', (ports, message) => {
    expect(() => checkServicePorts('shop/web', ports)).toThrow(message);
  });

  it.each([
    ['http-web', undefined, 'http'],
    ['http2-api', undefined, 'kubernetes.io/h2c'],
    ['grpc', undefined, 'grpc'],
    ['tcp-db', undefined, 'tcp'],
    ['web', undefined, undefined],
    ['web', 'http', 'http'],
  ])('port %s (appProtocol %s) → %s', (name, appProtocol, expected) => {
    expect(appProtocolFor({ name, port: 80, appProtocol })).toBe(expected);
  });

  it('selects by the labels every pod shares', () => {
    expect(commonLabels([v1, v2])).toEqual({ app: 'web' });
    expect(commonLabels([])).toEqual({});
  });
});
