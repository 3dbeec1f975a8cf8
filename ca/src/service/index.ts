/** What the control plane needs to host the CA: mount the service, load the CA directory, authenticators. */
export { type Authenticator, FirstSuccessAuthenticator, type ProvenCaller } from '../auth/authenticator';
export { ClientCertificateAuthenticator } from '../auth/client-certificate';
export { JoinTokenAuthenticator, mintJoinToken } from '../auth/join-token';
export { type TokenReviewer, TokenReviewAuthenticator, type TokenReviewResult } from '../auth/token-review';
export { type CertificateIssuer } from '../core/issuer';
export { defaultIssuanceLimits, type IssuanceLimits, parseRateLimit } from '../core/rate-limit';
export { defaultValidityPolicy, type ValidityPolicy } from '../core/validity';
export { CaFiles, initCaDir, loadCaDir, type LoadedCa } from '../store/ca-dir';
export { watchCaDir } from '../store/ca-dir-watch';
export { addCaService, type CaServiceDeps, type CaServiceEvent } from './ca-service';
export { caServiceDeps, createIssuer, meshServerTls, type RunningCaServer, servingNames, startCaServer } from './ca-server';
export { LiveCa } from './live-ca';
export { caMetrics } from './metrics';
