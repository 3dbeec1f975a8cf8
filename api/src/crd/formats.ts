/**
 * String formats of the policy API: each rule written once, used by the validator and (where an
 * RE2 pattern can say it) by the CRD schema.
 */
import { isIP } from 'node:net';
import { parseDuration } from '../duration';
import { type StringFormat } from './schema/dsl';
import { re2Problem } from './re2';

const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabelRe2 = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const dnsSubdomainRe2 = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && value.split('.').every((label) => label.length <= 63 && dnsLabelPattern.test(label));
}

/** Kubernetes DNS label (RFC 1123): namespaces, subset names. */
export const dnsLabel: StringFormat = {
  name: 'DNS label',
  check: (v) =>
    v.length <= 63 && dnsLabelPattern.test(v) ? undefined : 'must be a DNS label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit',
  openApi: { pattern: dnsLabelRe2, maxLength: 63 },
};

/** Kubernetes DNS subdomain (RFC 1123): object names. */
export const dnsSubdomain: StringFormat = {
  name: 'DNS subdomain',
  check: (v) => (isDnsSubdomain(v) ? undefined : 'must be a DNS subdomain: lowercase letters, digits, "-" and ".", at most 253 characters'),
  openApi: { pattern: dnsSubdomainRe2, maxLength: 253 },
};

/** A service host name: short (`reviews`, resolved in the resource's namespace) or fully qualified. */
export const serviceHost: StringFormat = {
  name: 'host name',
  check: (v) => {
    if (v.includes('*')) return 'must be a concrete host name; wildcards are not allowed here';
    if (v !== v.toLowerCase()) return 'must be lowercase';
    return isDnsSubdomain(v) ? undefined : 'must be a host name such as "reviews" or "reviews.prod.svc.cluster.local"';
  },
  openApi: { pattern: dnsSubdomainRe2, maxLength: 253 },
};

/** A host that may start with a wildcard label: `reviews`, `*.prod.svc.cluster.local`. */
export const hostOrWildcard: StringFormat = {
  name: 'host name or *.suffix',
  check: (v) => {
    if (v === '*') return 'the catch-all host "*" is not supported; name the hosts (a "*.suffix" wildcard is allowed)';
    const rest = v.startsWith('*.') ? v.slice(2) : v;
    if (rest.includes('*')) return 'a wildcard is allowed only as the whole first label ("*.example.com")';
    return serviceHost.check(rest);
  },
  openApi: { pattern: `^(\\*\\.)?${dnsSubdomainRe2.slice(1)}`, maxLength: 253 },
};

/** `exportTo` entries: `.` (this namespace), `*` (all namespaces) or a namespace name. */
export const exportTarget: StringFormat = {
  name: 'export target',
  check: (v) => {
    if (v === '.' || v === '*') return undefined;
    if (v === '~') return 'exporting to no namespace ("~") is not supported by Skein';
    return dnsLabel.check(v) === undefined ? undefined : 'must be ".", "*" or a namespace name';
  },
  openApi: { pattern: `^(\\.|\\*|${dnsLabelRe2.slice(1, -1)})$`, maxLength: 63 },
};

const tokenChars = /^[a-zA-Z0-9!#$%&'*+.^_`|~-]+$/;

/** A header name to match on: lowercase (Istio's rule; HTTP/2 header names are lowercase). */
export const matchHeaderName: StringFormat = {
  name: 'header name',
  check: (v) => {
    if (v.startsWith(':')) return 'pseudo-headers cannot be matched here; use uri, method or authority';
    if (!tokenChars.test(v)) return 'must be an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-)';
    return v === v.toLowerCase() ? undefined : 'header names must be lowercase';
  },
};

/** Any HTTP header name (an RFC 9110 token), e.g. to hash on. */
export const headerToken: StringFormat = {
  name: 'header name',
  check: (v) => (tokenChars.test(v) ? undefined : 'must be an HTTP header name (letters, digits and !#$%&\'*+.^_`|~-)'),
};

/** A header name to set, add or remove. */
export const headerName: StringFormat = {
  name: 'header name',
  check: (v) => {
    if (v.startsWith(':') || v.toLowerCase() === 'host') {
      return 'pseudo-headers and Host cannot be changed here; use rewrite.authority and rewrite.uri';
    }
    return headerToken.check(v);
  },
};

/** Header values must not smuggle a second header. */
export const headerValue: StringFormat = {
  name: 'header value',
  check: (v) => (/[\r\n\0]/.test(v) ? 'header values cannot contain CR, LF or NUL' : undefined),
};

/** A regex Envoy (RE2) and the Skein proxy (JavaScript) read the same way. */
export const regex: StringFormat = {
  name: 'RE2 regex',
  check: re2Problem,
};

/** A string compared literally: not empty. */
export const nonEmpty: StringFormat = {
  name: 'non-empty string',
  check: (v) => (v === '' ? 'must not be empty' : undefined),
  openApi: { minLength: 1 },
};

const durationRe2 = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$';

/**
 * An Istio duration (`1.5s`, `100ms`, `1m`): whole milliseconds (Istio's precision), at least `min`
 * ms; `wholeSeconds` where Envoy's field counts seconds (rounding it silently would be a lie).
 */
export function duration(opts: { min?: number; wholeSeconds?: boolean } = {}): StringFormat {
  const min = opts.min ?? 1;
  return {
    name: 'duration',
    check: (v) => {
      let ms: number;
      try {
        ms = parseDuration(v);
      } catch (err) {
        return (err as Error).message;
      }
      if (!Number.isInteger(ms)) return `duration "${v}" must be a whole number of milliseconds`;
      if (opts.wholeSeconds && ms % 1000 !== 0) return `duration "${v}" must be a whole number of seconds`;
      if (ms < min) return `duration "${v}" must be at least ${min >= 1000 ? `${min / 1000}s` : `${min}ms`}`;
      return undefined;
    },
    openApi: { pattern: durationRe2 },
  };
}

const labelNameRe2 = '[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?';
const labelName = new RegExp(`^${labelNameRe2}$`);

/** A Kubernetes label key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters. */
export const labelKey: StringFormat = {
  name: 'label key',
  check: (v) => {
    const slash = v.lastIndexOf('/');
    const prefix = slash >= 0 ? v.slice(0, slash) : undefined;
    const name = slash >= 0 ? v.slice(slash + 1) : v;
    if (prefix !== undefined && !isDnsSubdomain(prefix)) return `label key prefix "${prefix}" must be a DNS subdomain`;
    if (name.length > 63 || !labelName.test(name)) {
      return 'label key name must be at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
    }
    return undefined;
  },
};

/** A Kubernetes label value: empty, or at most 63 characters like a label name. */
export const labelValue: StringFormat = {
  name: 'label value',
  check: (v) =>
    v === '' || (v.length <= 63 && labelName.test(v))
      ? undefined
      : 'label value must be empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  openApi: { maxLength: 63, pattern: `^(${labelNameRe2})?$` },
};

/** A port number written as a string, as in `portLevelMtls` keys and authorization `ports`. */
export const portString: StringFormat = {
  name: 'port number',
  check: (v) => (/^[1-9][0-9]{0,4}$/.test(v) && Number(v) <= 65535 ? undefined : 'must be a port number 1..65535'),
  openApi: { pattern: '^[1-9][0-9]{0,4}$' },
};

/**
 * Istio's match strings for authorization: exact, `prefix*`, `*suffix` or `*` (any non-empty value).
 */
export const wildcardValue: StringFormat = {
  name: 'exact, prefix* or *suffix',
  check: (v) => {
    if (v === '') return 'must not be empty';
    const inner = v.slice(1, -1);
    if (v.length > 1 && inner.includes('*')) return 'a "*" is allowed only at the start or the end';
    if (v.length > 1 && v.startsWith('*') && v.endsWith('*')) return 'a "*" is allowed only at the start or the end, not both';
    return undefined;
  },
  openApi: { minLength: 1 },
};

/** Authorization principal: `<trust-domain>/ns/<ns>/sa/<sa>` (no `spiffe://`), with Istio's wildcards. */
export const principal: StringFormat = {
  name: 'principal',
  check: (v) => {
    if (v.startsWith('spiffe://')) return 'write principals without "spiffe://", e.g. "cluster.local/ns/default/sa/sleep"';
    return wildcardValue.check(v);
  },
  openApi: { minLength: 1 },
};

/** Authorization path: exact, `prefix*`, `*suffix` or `*`; Istio's `{*}` templates are not supported. */
export const authzPath: StringFormat = {
  name: 'path',
  check: (v) => {
    if (/[{}]/.test(v)) return 'path templates ({*}, {**}) are not supported by Skein; use a "prefix*" or "*suffix" match';
    return wildcardValue.check(v);
  },
  openApi: { minLength: 1 },
};

/** An IP address or CIDR block (`10.0.0.0/8`, `2001:db8::/32`, `192.168.1.7`). */
export const ipBlock: StringFormat = {
  name: 'IP address or CIDR',
  check: (v) => {
    const [address = '', bits, extra] = v.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined) return 'must be an IP address or a CIDR block such as 10.0.0.0/8';
    if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits)) return `CIDR prefix length must be 0..${maxBits}`;
    return undefined;
  },
};

/** HTTP method for authorization rules: upper-case token (`GET`, `POST`) or a wildcard form. */
export const httpMethod: StringFormat = {
  name: 'HTTP method',
  check: (v) => (v !== '*' && !/^[A-Z]+\*?$|^\*[A-Z]+$/.test(v) ? 'must be an upper-case HTTP method such as GET (or use "*" wildcards)' : undefined),
};
