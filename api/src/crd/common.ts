/** Schema pieces shared by several kinds (Istio's common messages). */
import { type Check, type Infer, array, doc, int, map, number, object, required, string, unsupported, rule, titled } from './schema/dsl';
import { dnsLabel, exportTarget, labelKey, labelValue, regex, serviceHost } from './formats';

/** Kubernetes labels: `key: value`, both checked as Kubernetes checks them. */
export const Labels = map(string({ format: labelValue }), { keys: labelKey });

export const Port = int({ min: 1, max: 65535, description: 'A port number 1..65535.' });

const stringMatchFields = {
  exact: string({ description: 'Exact match.' }),
  prefix: string({ description: 'Prefix match.' }),
  regex: string({ format: regex, description: 'RE2 regex, matched against the whole value.' }),
};

/** Istio StringMatch: exactly one of exact, prefix, regex. */
export const StringMatch = titled('StringMatch', object(stringMatchFields, { exactlyOneOf: [['exact', 'prefix', 'regex']] }));

/** A StringMatch where `{}` means "present" (headers, withoutHeaders). */
export const PresenceOrStringMatch = titled('HeaderMatch', object(stringMatchFields, {
  atMostOneOf: [['exact', 'prefix', 'regex']],
  description: 'exact, prefix or regex; {} matches any value (presence).',
}));

/** Query parameters: exact or regex; `{}` means "present". Istio does not support prefix here. */
export const QueryParamMatch = titled('QueryParamMatch', object(
  {
    exact: stringMatchFields.exact,
    regex: stringMatchFields.regex,
    prefix: unsupported('string', 'query parameters match by exact or regex (as in Istio)'),
  },
  { atMostOneOf: [['exact', 'regex']] },
));

export const Percent = titled('Percent', object({ value: required(number({ min: 0, max: 100, description: 'Percentage 0..100 (fractions allowed).' })) }));

export const PortSelector = titled('PortSelector', object({ number: required(Port) }));

/** Where traffic goes: a service host, optionally a subset of it and a port. */
export const Destination = titled(
  'Destination',
  object({
    host: required(string({ format: serviceHost, description: 'Service host; short names resolve in the namespace of the rule.' })),
    subset: string({ format: dnsLabel, description: 'A subset defined in the DestinationRule for the host.' }),
    port: doc(PortSelector, 'Port of the service; may be omitted when it has one port.'),
  }),
);
export type Destination = Infer<typeof Destination>;

export const WorkloadSelector = titled('WorkloadSelector', object({ matchLabels: doc(Labels, 'Workloads (pods) with all these labels.') }));

export const ExportTo = array(string({ format: exportTarget }), {
  description: 'Namespaces this resource is visible to: "." (own), "*" (all) or namespace names. Default: all.',
  checks: [
    rule('"*" stands alone', (targets, report) => {
      if (targets.includes('*') && targets.length > 1) report([], 'cannot mix "*" with other entries');
    }),
  ],
});

/** Istio's weight rule, attached to route lists. */
export const weightsAddUpTo100 = rule<{ weight?: number }[]>(
  'with more than one destination, the weights (absent = 0) add up to 100',
  (destinations, report) => {
    if (destinations.length < 2) return;
    const total = destinations.reduce((sum, d) => sum + (d.weight ?? 0), 0);
    if (total !== 100) report([], `weights must add up to 100 when there is more than one destination (they add up to ${total})`);
  },
);

/** A list rule: no two items share `key` (subset names, port numbers). */
export function noDuplicates<T>(key: (item: T) => string | number, what: string): Check<T[]> {
  return rule(`no duplicate ${what}s`, (items, report) => {
    const seen = new Set<string | number>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k)) report([i], `duplicate ${what} ${JSON.stringify(k)}`);
      seen.add(k);
    });
  });
}

export type StringMatch = Infer<typeof StringMatch>;
export type HeaderMatch = Infer<typeof PresenceOrStringMatch>;
export type QueryParamMatch = Infer<typeof QueryParamMatch>;
export type Percent = Infer<typeof Percent>;
export type WorkloadSelector = Infer<typeof WorkloadSelector>;
