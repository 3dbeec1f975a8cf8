/**
 * A request path as kube-apiserver's RequestInfoFactory reads it: API prefix, group/version,
 * namespace, resource, name, subresource and the rest (proxy paths), and the verb from the method
 * and query. `/api/v1/namespaces/x` is the namespace x; `/api/v1/namespaces/x/status` its status. Pure.
 */

export interface RequestInfo {
  isResource: boolean;
  verb: string;
  group: string;
  version: string;
  namespace?: string;
  resource?: string;
  name?: string;
  subresource?: string;
  /** Path after the subresource (pods/x/proxy/<rest>), without the leading slash. */
  rest?: string;
  path: string;
}

const namespaceSubresources = new Set(['status', 'finalize']);

export function requestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const nonResource = { isResource: false, verb: method.toLowerCase(), group: '', version: '', path: pathname };
  const parts = pathname.split('/').filter((p, i) => i > 0 && p !== '').map(decodeURIComponent);
  let current: string[];
  let group = '';
  let version: string;
  if (parts[0] === 'api' && parts.length >= 2) {
    version = parts[1]!;
    current = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    current = parts.slice(3);
  } else return nonResource;
  if (current.length === 0) return { ...nonResource, group, version };
  let verb = '';
  if (current[0] === 'watch') {
    verb = 'watch';
    current = current.slice(1);
  }
  let namespace: string | undefined;
  if (current[0] === 'namespaces' && current.length > 1) {
    namespace = current[1];
    if (current.length > 2 && !namespaceSubresources.has(current[2]!)) current = current.slice(2);
  }
  const [resource, name, subresource, ...rest] = current;
  const m = method.toUpperCase();
  if (!verb) {
    if (m === 'GET' || m === 'HEAD') verb = name === undefined ? (query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list') : 'get';
    else if (m === 'POST') verb = 'create';
    else if (m === 'PUT') verb = 'update';
    else if (m === 'PATCH') verb = 'patch';
    else if (m === 'DELETE') verb = name === undefined ? 'deletecollection' : 'delete';
    else verb = m.toLowerCase();
  }
  // The rest is forwarded as sent (still encoded; a trailing slash kept): /pods/x/proxy/a/ → `a/`.
  const raw = pathname.split('/').slice(1);
  const restPath = raw.slice(parts.length - current.length + 3).join('/');
  return {
    isResource: true, verb, group, version, path: pathname,
    ...(namespace !== undefined ? { namespace } : {}), ...(resource !== undefined ? { resource } : {}),
    ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}),
    ...(subresource === 'proxy' || rest.length ? { rest: restPath } : {}),
  };
}
