/** The CA client used by the proxy: workload key + CSR, gRPC to the CA, rotation. */
export { CaClient, type CaClientOptions, CaRequestError, type CertificateRequester, credentialFromFile } from './ca-client';
export { createCsr, generateWorkloadKey, type WorkloadKey } from './csr';
export { type Timers, WorkloadIdentity, type WorkloadIdentityOptions } from './workload-identity';
export { type ConnectedIdentity, connectWorkloadIdentity, type ConnectOptions } from './connect';
