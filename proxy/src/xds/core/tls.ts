/**
 * Transport sockets (pure): DownstreamTlsContext / UpstreamTlsContext → the model's mTLS settings.
 * Certificates come only from the proxy's own identity: SDS names `default` (own certificate) and
 * `ROOTCA` (trust bundle). Inline keys or certificates are refused (keys never travel over xDS).
 */
import type { ConfigSource } from '../../../../api/gen/envoy/config/core/v3/config_source_pb';
import { RawBufferSchema } from '../../../../api/gen/envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer_pb';
import {
  CertificateValidationContextSchema, SubjectAltNameMatcherSchema, SubjectAltNameMatcher_SanType, TlsParametersSchema, TlsParameters_TlsProtocol,
  type CertificateValidationContext,
} from '../../../../api/gen/envoy/extensions/transport_sockets/tls/v3/common_pb';
import { SdsSecretConfigSchema, type SdsSecretConfig } from '../../../../api/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb';
import {
  CommonTlsContextSchema, CommonTlsContext_CombinedCertificateValidationContextSchema, DownstreamTlsContextSchema, UpstreamTlsContextSchema,
  type CommonTlsContext,
} from '../../../../api/gen/envoy/extensions/transport_sockets/tls/v3/tls_pb';
import type { TransportSocket } from '../../../../api/gen/envoy/config/core/v3/base_pb';
import type * as M from '../../config/model';
import { at, fail, idx, onlyFields, typeNameAt, unpackAt, unsupported } from './fields';

export const CertificateSecret = 'default';
export const ValidationSecret = 'ROOTCA';

function sdsSource(c: ConfigSource | undefined, path: string): void {
  if (c === undefined) return;
  if (c.configSourceSpecifier.case !== 'ads') fail(at(path, 'sds_config'), 'secrets are resolved inside the proxy; only an ads config source (or none) is accepted');
}

function secretRef(s: SdsSecretConfig | undefined, path: string, expected: string): void {
  if (!s) fail(path, `the SDS secret "${expected}" is required`);
  onlyFields(SdsSecretConfigSchema, s, path, ['name', 'sds_config']);
  if (s.name !== expected) fail(at(path, 'name'), `unknown secret "${s.name}" (the proxy serves only "${CertificateSecret}" and "${ValidationSecret}")`);
  sdsSource(s.sdsConfig, path);
}

/** SPIFFE ids from match_typed_subject_alt_names (URI, exact). */
function peerSans(v: CertificateValidationContext | undefined, path: string): string[] {
  if (!v) return [];
  onlyFields(CertificateValidationContextSchema, v, path, ['match_typed_subject_alt_names']);
  return v.matchTypedSubjectAltNames.map((m, i) => {
    const mp = idx(at(path, 'match_typed_subject_alt_names'), i);
    onlyFields(SubjectAltNameMatcherSchema, m, mp, ['san_type', 'matcher']);
    if (m.sanType !== SubjectAltNameMatcher_SanType.URI) fail(at(mp, 'san_type'), `${SubjectAltNameMatcher_SanType[m.sanType] ?? m.sanType} is not supported (URI SPIFFE ids only)`);
    const p = m.matcher?.matchPattern;
    if (p?.case !== 'exact' || m.matcher?.ignoreCase) fail(at(mp, 'matcher'), 'only an exact SPIFFE id is supported');
    return p.value;
  });
}

interface CommonTls {
  peerSans: string[];
  alpn: string[];
}

function commonTls(c: CommonTlsContext | undefined, path: string): CommonTls {
  if (!c) fail(path, 'is required');
  onlyFields(CommonTlsContextSchema, c, path, ['tls_params', 'tls_certificate_sds_secret_configs', 'validation_context_sds_secret_config', 'combined_validation_context', 'alpn_protocols']);
  if (c.tlsParams) {
    const tp = at(path, 'tls_params');
    onlyFields(TlsParametersSchema, c.tlsParams, tp, ['tls_minimum_protocol_version', 'tls_maximum_protocol_version']);
    const min = c.tlsParams.tlsMinimumProtocolVersion;
    if (min !== TlsParameters_TlsProtocol.TLS_AUTO && min !== TlsParameters_TlsProtocol.TLSv1_2) {
      fail(at(tp, 'tls_minimum_protocol_version'), `${TlsParameters_TlsProtocol[min] ?? min} is not supported (the proxy always uses TLS 1.2 or newer)`);
    }
    const max = c.tlsParams.tlsMaximumProtocolVersion;
    if (max !== TlsParameters_TlsProtocol.TLS_AUTO && max !== TlsParameters_TlsProtocol.TLSv1_3) {
      fail(at(tp, 'tls_maximum_protocol_version'), `${TlsParameters_TlsProtocol[max] ?? max} is not supported (TLS_AUTO or TLSv1_3)`);
    }
  }
  if (c.tlsCertificateSdsSecretConfigs.length !== 1) fail(at(path, 'tls_certificate_sds_secret_configs'), `exactly one SDS certificate ("${CertificateSecret}") is required`);
  secretRef(c.tlsCertificateSdsSecretConfigs[0], idx(at(path, 'tls_certificate_sds_secret_configs'), 0), CertificateSecret);
  const v = c.validationContextType;
  let sans: string[] = [];
  if (v.case === 'validationContextSdsSecretConfig') secretRef(v.value, at(path, 'validation_context_sds_secret_config'), ValidationSecret);
  else if (v.case === 'combinedValidationContext') {
    const cp = at(path, 'combined_validation_context');
    onlyFields(CommonTlsContext_CombinedCertificateValidationContextSchema, v.value, cp, ['default_validation_context', 'validation_context_sds_secret_config']);
    secretRef(v.value.validationContextSdsSecretConfig, at(cp, 'validation_context_sds_secret_config'), ValidationSecret);
    sans = peerSans(v.value.defaultValidationContext, at(cp, 'default_validation_context'));
  } else fail(path, `peer validation against the SDS secret "${ValidationSecret}" is required`);
  return { peerSans: sans, alpn: [...c.alpnProtocols] };
}

/** A listener filter chain's transport socket: undefined for plaintext, DownstreamTls for mTLS. */
export function downstreamTls(ts: TransportSocket | undefined, path: string): M.DownstreamTls | undefined {
  if (!ts) return undefined;
  if (ts.configType.case !== 'typedConfig') fail(path, 'typed_config is required');
  const tp = at(path, 'typed_config');
  const typeName = typeNameAt(ts.configType.value, tp);
  if (typeName === RawBufferSchema.typeName) return undefined;
  if (typeName !== DownstreamTlsContextSchema.typeName) unsupported(path, 'transport socket', ts.name, typeName);
  const d = unpackAt(ts.configType.value, DownstreamTlsContextSchema, tp);
  onlyFields(DownstreamTlsContextSchema, d, tp, ['common_tls_context', 'require_client_certificate']);
  const common = commonTls(d.commonTlsContext, at(tp, 'common_tls_context'));
  const out: M.DownstreamTls = {
    certificateSecret: CertificateSecret,
    validationSecret: ValidationSecret,
    // Envoy's default is false (server-only TLS); Skein's translator always asks for true.
    requireClientCertificate: d.requireClientCertificate ?? false,
  };
  if (common.peerSans.length) out.allowedPeerSans = common.peerSans;
  if (common.alpn.length) out.alpnProtocols = common.alpn;
  return out;
}

/** A cluster's transport socket: plaintext, or mTLS with the SPIFFE ids the server must present. */
export function upstreamTransport(ts: TransportSocket | undefined, path: string): M.UpstreamTransport {
  if (!ts) return { kind: 'plaintext' };
  if (ts.configType.case !== 'typedConfig') fail(path, 'typed_config is required');
  const tp = at(path, 'typed_config');
  const typeName = typeNameAt(ts.configType.value, tp);
  if (typeName === RawBufferSchema.typeName) return { kind: 'plaintext' };
  if (typeName !== UpstreamTlsContextSchema.typeName) unsupported(path, 'transport socket', ts.name, typeName);
  const u = unpackAt(ts.configType.value, UpstreamTlsContextSchema, tp);
  onlyFields(UpstreamTlsContextSchema, u, tp, ['common_tls_context', 'sni']);
  const common = commonTls(u.commonTlsContext, at(tp, 'common_tls_context'));
  if (common.peerSans.length === 0) {
    fail(at(tp, 'common_tls_context.combined_validation_context.default_validation_context.match_typed_subject_alt_names'),
      'at least one expected SPIFFE id is required (an empty list would trust any mesh workload)');
  }
  const out: M.UpstreamTransport = { kind: 'mtls', certificateSecret: CertificateSecret, validationSecret: ValidationSecret, expectedSans: common.peerSans };
  if (u.sni) out.sni = u.sni;
  return out;
}
