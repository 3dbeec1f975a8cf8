/** Small YAML builders for the policies the mesh journeys write into the control plane's config dir. */

/** Joins YAML documents. */
export function yamlDocs(...docs: string[]): string {
  return docs.map((d) => d.trim()).filter(Boolean).join('\n---\n');
}

export function peerAuthentication(name: string, app: string, mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE'): string {
  return `apiVersion: security.skein.dev/v1alpha1
kind: PeerAuthentication
metadata: { name: ${name}, namespace: default }
spec:
  selector: { matchLabels: { app: ${app} } }
  mtls: { mode: ${mode} }`;
}

/** `spec` lines after `host:` (indented two spaces). */
export function destinationRule(host: string, spec: string): string {
  return `apiVersion: networking.skein.dev/v1alpha1
kind: DestinationRule
metadata: { name: ${host}, namespace: default }
spec:
  host: ${host}
${spec}`;
}

/** `http` routes as YAML list items (indented four spaces). */
export function virtualService(host: string, http: string): string {
  return `apiVersion: networking.skein.dev/v1alpha1
kind: VirtualService
metadata: { name: ${host}, namespace: default }
spec:
  hosts: [${host}]
  http:
${http}`;
}

export function authorizationPolicy(name: string, app: string, action: 'ALLOW' | 'DENY', rules: string): string {
  return `apiVersion: security.skein.dev/v1alpha1
kind: AuthorizationPolicy
metadata: { name: ${name}, namespace: default }
spec:
  selector: { matchLabels: { app: ${app} } }
  action: ${action}
  rules: ${rules}`;
}
