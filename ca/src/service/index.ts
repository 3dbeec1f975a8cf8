/** What the control plane needs to host the CA: mount the service, load the CA directory, authenticators. */
export { type Authenticator, FirstSuccessAuthenticator, type ProvenCaller } from '../auth/authenticator';
export { JoinTokenAuthenticator, mintJoinToken } from '../auth/join-token';
export { type TokenReviewer, TokenReviewAuthenticator, type TokenReviewResult } from '../auth/token-review';
export { type CertificateIssuer } from '../core/issuer';
export { defaultValidityPolicy, type ValidityPolicy } from '../core/validity';
export { CaFiles, initCaDir, loadCaDir, type LoadedCa } from '../store/ca-dir';
export { addCaService, type CaServiceDeps, type CaServiceEvent } from './ca-service';
export { createIssuer, defaultAuthenticators, type RunningCaServer, startCaServer } from './ca-server';
export { caMetrics } from './metrics';
