/** mTLS transport sockets. Secrets `default` and `ROOTCA` are resolved inside the proxy (never sent). */
import { FilterNames, type Json, TypeUrls, adsConfigSource, typed } from './envoy';

export const SecretNames = { certificate: 'default', rootCa: 'ROOTCA' } as const;
export const MeshAlpn = ['h2', 'http/1.1'];

function commonTlsContext(validation: Json): Json {
  return {
    tls_params: { tls_minimum_protocol_version: 'TLSv1_2' },
    alpn_protocols: MeshAlpn,
    tls_certificate_sds_secret_configs: [{ name: SecretNames.certificate, sds_config: adsConfigSource }],
    combined_validation_context: {
      default_validation_context: validation,
      validation_context_sds_secret_config: { name: SecretNames.rootCa, sds_config: adsConfigSource },
    },
  };
}

/** Client side: present our cert, verify the server against ROOTCA and one of the expected SPIFFE ids. */
export function upstreamMtls(expectedSpiffeIds: readonly string[], sni: string): Json {
  const validation: Json = {
    match_typed_subject_alt_names: expectedSpiffeIds.map((id) => ({ san_type: 'URI', matcher: { exact: id } })),
  };
  return {
    name: FilterNames.tls,
    typed_config: typed(TypeUrls.upstreamTls, { common_tls_context: commonTlsContext(validation), sni }),
  };
}

/** Server side: require a client certificate chaining to ROOTCA (any SPIFFE id; RBAC decides who). */
export function downstreamMtls(): Json {
  return {
    name: FilterNames.tls,
    typed_config: typed(TypeUrls.downstreamTls, { require_client_certificate: true, common_tls_context: commonTlsContext({}) }),
  };
}
