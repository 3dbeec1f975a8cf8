import type { HeaderMap } from '../core/headers';
import { answerPeerMetadata, formatPeerMetadata, offerPeerMetadata, parsePeerMetadata, PeerMetadataHeader, requestLabels, tcpLabels } from './workload-labels';

const frontend = { id: 'sidecar~10.0.0.1~frontend-v1.shop~shop.svc.cluster.local', workload: 'frontend', namespace: 'shop', version: 'v1' };
const reviews = { id: 'sidecar~10.0.0.2~reviews-v2.shop~shop.svc.cluster.local', workload: 'reviews', namespace: 'shop', version: 'v2' };
const frontendId = 'spiffe://cluster.local/ns/shop/sa/frontend';
const reviewsId = 'spiffe://cluster.local/ns/shop/sa/reviews';
const request = { cluster: 'outbound|9080|v2|reviews.shop.svc.cluster.local', status: 200, flags: '-', grpc: '' };

describe('peer metadata exchange', () => {
  it('formats the own workload, namespace and version; leaves out what is not a label value', () => {
    expect(formatPeerMetadata(frontend)).toBe('workload=frontend,namespace=shop,version=v1');
    expect(formatPeerMetadata({ id: 'x', workload: 'a b', namespace: 'shop' })).toBe('namespace=shop');
  });

  it.each<[string, HeaderMap[string], readonly string[], ReturnType<typeof parsePeerMetadata>]>([
    ['a full header', 'workload=reviews,namespace=shop,version=v2', ['shop'], { workload: 'reviews', namespace: 'shop', version: 'v2' }],
    ['spaces and any order', ' version=v2 , namespace=shop,workload=reviews', ['shop'], { workload: 'reviews', namespace: 'shop', version: 'v2' }],
    ['no version', 'workload=reviews,namespace=shop', ['shop'], { workload: 'reviews', namespace: 'shop', version: 'unknown' }],
    ['a namespace other than the verified identity\'s', 'workload=reviews,namespace=kube-system', ['shop'], undefined],
    ['no namespace (cannot be checked)', 'workload=reviews', ['shop'], undefined],
    ['no verified identity', 'workload=reviews,namespace=shop', [], undefined],
    ['markup in a value', 'workload=<img src=x>,namespace=shop', ['shop'], undefined],
    ['an unknown key', 'workload=reviews,namespace=shop,admin=true', ['shop'], undefined],
    ['a repeated key', 'workload=a,workload=b,namespace=shop', ['shop'], undefined],
    ['no =', 'reviews', ['shop'], undefined],
    ['a repeated header', ['workload=a,namespace=shop', 'workload=b,namespace=shop'], ['shop'], undefined],
    ['an oversized header', `workload=${'a'.repeat(300)},namespace=shop`, ['shop'], undefined],
    ['an empty header', '', ['shop'], undefined],
  ])('parses %s', (_name, value, namespaces, expected) => {
    expect(parsePeerMetadata(value, namespaces)).toEqual(expected);
  });

  it('offers the own header only to an mTLS upstream, and never passes on the app\'s', () => {
    const toMesh: HeaderMap = { [PeerMetadataHeader]: 'workload=forged,namespace=shop' };
    offerPeerMetadata(toMesh, frontend, true);
    expect(toMesh[PeerMetadataHeader]).toBe('workload=frontend,namespace=shop,version=v1');
    const toPlain: HeaderMap = { [PeerMetadataHeader]: 'workload=forged,namespace=shop' };
    offerPeerMetadata(toPlain, frontend, false);
    expect(toPlain).toEqual({});
  });

  it.each([
    ['inbound, verified downstream: own header replaces the app\'s', true, true, 'workload=reviews,namespace=shop,version=v2', undefined],
    ['inbound, plaintext downstream: nothing is sent', true, false, undefined, undefined],
    ['outbound over mTLS: the upstream sidecar\'s header is taken and removed', false, true, undefined, 'workload=forged,namespace=shop'],
    ['outbound in plaintext: removed and ignored', false, false, undefined, undefined],
  ])('answers on the response: %s', (_name, inbound, verified, sent, taken) => {
    const headers: HeaderMap = { 'content-type': 'text/plain', [PeerMetadataHeader]: 'workload=forged,namespace=shop' };
    expect(answerPeerMetadata(headers, reviews, inbound, verified)).toBe(taken);
    expect(headers[PeerMetadataHeader]).toBe(sent);
    expect(headers['content-type']).toBe('text/plain');
  });
});

describe('metric workload labels', () => {
  it('source reporter: own side from the node, destination from the upstream sidecar\'s answer', () => {
    const labels = requestLabels({ inbound: false, node: frontend, ownId: frontendId, peerMetadata: 'workload=reviews,namespace=shop,version=v2', upstreamSans: [reviewsId], ...request });
    expect(labels).toEqual({
      reporter: 'source', source_workload: 'frontend', source_workload_namespace: 'shop', source_version: 'v1', source_principal: frontendId,
      destination_workload: 'reviews', destination_workload_namespace: 'shop', destination_version: 'v2', destination_principal: 'unknown',
      destination_service: request.cluster, response_code: '200', response_flags: '-', grpc_response_status: '',
    });
  });

  it('destination reporter: source from the caller\'s request header, checked against its certificate', () => {
    const labels = requestLabels({ inbound: true, node: reviews, ownId: reviewsId, peerId: frontendId, peerMetadata: 'workload=frontend,namespace=shop,version=v1', ...request, cluster: 'inbound|9080||' });
    expect(labels).toMatchObject({ reporter: 'destination', source_workload: 'frontend', source_version: 'v1', source_principal: frontendId, destination_workload: 'reviews', destination_version: 'v2', destination_principal: reviewsId });
  });

  it.each([
    ['a plaintext caller (no verified identity)', { inbound: true, node: reviews, ownId: reviewsId, peerMetadata: 'workload=frontend,namespace=shop' }],
    ['a caller claiming another namespace', { inbound: true, node: reviews, ownId: reviewsId, peerId: frontendId, peerMetadata: 'workload=frontend,namespace=prod' }],
    ['an upstream that answered nothing (e.g. connection refused)', { inbound: false, node: frontend, ownId: frontendId, upstreamSans: [reviewsId] }],
    ['an upstream outside the namespaces the cluster expects', { inbound: false, node: frontend, ownId: frontendId, upstreamSans: [reviewsId], peerMetadata: 'workload=x,namespace=other' }],
  ])('the peer stays unknown for %s', (_name, input) => {
    const labels = requestLabels({ ...input, ...request });
    const peer = input.inbound ? 'source' : 'destination';
    expect([labels[`${peer}_workload`], labels[`${peer}_workload_namespace`], labels[`${peer}_version`]]).toEqual(['unknown', 'unknown', 'unknown']);
  });

  it('TCP: own side only (no in-band exchange)', () => {
    expect(tcpLabels({ inbound: true, node: reviews, ownId: reviewsId, peerId: frontendId, cluster: 'inbound|9080||' })).toMatchObject({
      reporter: 'destination', source_workload: 'unknown', source_principal: frontendId, destination_workload: 'reviews', destination_version: 'v2', destination_service: 'inbound|9080||',
    });
  });

  it('a node without workload metadata reads unknown', () => {
    expect(tcpLabels({ inbound: false, node: { id: 'x' }, ownId: undefined, cluster: 'c' })).toMatchObject({ source_workload: 'unknown', source_workload_namespace: 'unknown', source_version: 'unknown', source_principal: 'unknown' });
  });
});
