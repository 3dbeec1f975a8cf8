/**
 * The loopback API double of the operator's tests: the simulated cluster's API server in lenient
 * mode (e2e/cluster/apiserver/fake-apiserver.ts), so the control plane's tests and the simulated
 * cluster share one implementation of the wire (REST, watch, patches, server-side apply). Test code only.
 */
export { FakeApiServer, type RecordedRequest, type StoredObject } from '../../../../e2e/cluster/apiserver/fake-apiserver';
