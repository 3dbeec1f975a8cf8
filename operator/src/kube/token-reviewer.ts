/**
 * The CA's TokenReviewer (ca/src/auth/token-review.ts) on the Kubernetes API: creates a TokenReview
 * for the projected token (audience skein-ca) and, for a token bound to a pod, checks that the pod
 * still exists with the same uid (`authentication.kubernetes.io/pod-name` / `pod-uid` in the review's
 * user.extra): a token copied out of a deleted pod is refused even while it has not expired.
 * The identity rules themselves (service account user, audience) stay in the CA's authenticator.
 */
import { type TokenReviewer, type TokenReviewResult } from '../../../ca/src/auth/token-review';
import { type KubeApi, isNotFound } from './api';
import { PodResource, TokenReviewResource, resourcePath } from './resources';

export const PodNameExtra = 'authentication.kubernetes.io/pod-name';
export const PodUidExtra = 'authentication.kubernetes.io/pod-uid';

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  audiences?: string[];
  error?: string;
}

const serviceAccountUser = /^system:serviceaccount:([^:]+):([^:]+)$/;

export class KubeTokenReviewer implements TokenReviewer {
  constructor(private readonly api: KubeApi) {}

  async review(token: string, audiences: string[]): Promise<TokenReviewResult> {
    const review = await this.api.create<{ status?: TokenReviewStatus }>(resourcePath(TokenReviewResource), {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences },
    });
    const status = review.status ?? {};
    const podName = status.user?.extra?.[PodNameExtra]?.[0];
    const podUid = status.user?.extra?.[PodUidExtra]?.[0];
    const result: TokenReviewResult = {
      authenticated: status.authenticated === true,
      ...(status.user?.username !== undefined ? { username: status.user.username } : {}),
      ...(status.audiences ? { audiences: status.audiences } : {}),
      ...(podName ? { podName } : {}),
      ...(status.error ? { error: status.error } : {}),
    };
    if (!result.authenticated || !podName) return result;
    const namespace = serviceAccountUser.exec(result.username ?? '')?.[1];
    if (!namespace) return result; // not a service account: the authenticator refuses it with its own reason
    const problem = await this.podProblem(namespace, podName, podUid);
    return problem ? { authenticated: false, error: problem } : result;
  }

  /** Why the token's pod does not count (gone, or replaced by a pod with the same name), or undefined. */
  private async podProblem(namespace: string, name: string, uid: string | undefined): Promise<string | undefined> {
    try {
      const pod = await this.api.get<{ metadata?: { uid?: string; deletionTimestamp?: string } }>(resourcePath(PodResource, namespace, name));
      if (uid && pod.metadata?.uid !== uid) return `the token's pod ${namespace}/${name} (uid ${uid}) no longer exists (a different pod has that name now)`;
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return `the token's pod ${namespace}/${name} no longer exists`;
      throw err;
    }
  }
}
