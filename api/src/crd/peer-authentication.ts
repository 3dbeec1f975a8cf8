/** PeerAuthentication (security.skein.dev/v1alpha1): which mTLS mode a workload accepts inbound. */
import { type Infer, enumOf, map, object, rule, titled, doc } from './schema/dsl';
import { WorkloadSelector } from './common';
import { portString } from './formats';

export const MtlsMode = enumOf(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'], {
  description: 'STRICT: mTLS only; PERMISSIVE: mTLS or plain text; DISABLE: plain text; UNSET: inherit from the parent scope.',
});

export const MutualTls = titled('MutualTLS', object({ mode: MtlsMode }));

export const PeerAuthenticationSpec = object(
  {
    selector: doc(WorkloadSelector, 'Workloads this policy applies to; absent: the whole namespace (or mesh, in skein-system).'),
    mtls: doc(MutualTls, 'The mTLS mode for all ports.'),
    portLevelMtls: map(MutualTls, { keys: portString, description: 'Per container port (the key) overrides of mtls.' }),
  },
  {
    checks: [
      rule('portLevelMtls needs a selector with matchLabels', (spec, report) => {
        const hasSelector = Object.keys(spec.selector?.matchLabels ?? {}).length > 0;
        if (!hasSelector && Object.keys(spec.portLevelMtls ?? {}).length > 0) {
          report('portLevelMtls', 'requires a selector with matchLabels (port-level settings apply to selected workloads only)');
        }
      }),
    ],
  },
);

export type MtlsMode = Infer<typeof MtlsMode>;
export type PeerAuthenticationSpec = Infer<typeof PeerAuthenticationSpec>;
export type MutualTls = Infer<typeof MutualTls>;
