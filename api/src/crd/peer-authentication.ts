/** PeerAuthentication (security.skein.dev/v1alpha1): which mTLS mode a workload accepts inbound. */
import { type Infer, enumOf, map, object } from './schema/dsl';
import { WorkloadSelector } from './common';
import { portString } from './formats';

export const MtlsMode = enumOf(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'], {
  description: 'STRICT: mTLS only; PERMISSIVE: mTLS or plain text; DISABLE: plain text; UNSET: inherit from the parent scope.',
});

export const MutualTls = object({ mode: MtlsMode });

export const PeerAuthenticationSpec = object(
  {
    selector: WorkloadSelector,
    mtls: MutualTls,
    portLevelMtls: map(MutualTls, { keys: portString, description: 'Per container port (the key) overrides of mtls.' }),
  },
  {
    checks: [
      (spec, report) => {
        const hasSelector = Object.keys(spec.selector?.matchLabels ?? {}).length > 0;
        if (!hasSelector && Object.keys(spec.portLevelMtls ?? {}).length > 0) {
          report('portLevelMtls', 'requires a selector with matchLabels (port-level settings apply to selected workloads only)');
        }
      },
    ],
  },
);

export type MtlsMode = Infer<typeof MtlsMode>;
export type PeerAuthenticationSpec = Infer<typeof PeerAuthenticationSpec>;
