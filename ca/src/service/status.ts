/** The one mapping from CA error kinds to gRPC status codes (see api/proto/skein/ca/v1/ca.proto). */
import { status } from '@grpc/grpc-js';
import { type CaErrorKind } from '../core/errors';

export const grpcStatusOf: Record<CaErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  'permission-denied': status.PERMISSION_DENIED,
  'failed-precondition': status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  'resource-exhausted': status.RESOURCE_EXHAUSTED,
};
