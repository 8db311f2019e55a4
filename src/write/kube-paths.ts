/**
 * Kubernetes metadata from log file paths, as EFK stacks read it.
 *
 * The kubelet links every container's log as
 * `/var/log/containers/<pod>_<namespace>_<container>-<64-hex container id>.log` (the names
 * fluent-bit's `kube.*` tag regex parses) and keeps the file itself at
 * `/var/log/pods/<namespace>_<pod>_<pod uid>/<container>/<restart>.log`. Both forms are
 * read here; nothing else is guessed (a name that fits neither gives null, and the caller
 * must say which pod it is).
 *
 * Pure: paths are plain strings with `/` separators; no `node:` imports.
 */

/** Where a container log file belongs. */
export interface KubeFileMeta {
  namespace: string;
  pod: string;
  container: string;
  /** The 64-hex container id (containers form) or the pod uid (pods form). */
  id: string;
}

// Pod names are DNS subdomains (lowercase alphanumerics, '-', '.'), namespaces DNS labels; the
// container name is what is left before the final "-<64 hex>" (fluent-bit's regex does the same).
const CONTAINERS_NAME = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)_([^_/]+)_([^/]+)-([0-9a-f]{64})\.log$/;
const PODS_PATH = /(?:^|\/)([^_/]+)_([^_/]+)_([^_/]+)\/([^/]+)\/\d+\.log$/;

/**
 * Reads namespace, pod and container from a kubelet log path, or returns null.
 *
 * @example parseKubeLogPath('/var/log/containers/api-7d9f_shop_app-0123…cdef.log') // { namespace: 'shop', pod: 'api-7d9f', container: 'app', id: '0123…cdef' }
 * @example parseKubeLogPath('/var/log/pods/shop_api-7d9f_5c2e…/app/0.log')        // { namespace: 'shop', pod: 'api-7d9f', container: 'app', id: '5c2e…' }
 */
export function parseKubeLogPath(path: string): KubeFileMeta | null {
  const normalized = path.replace(/\\/g, '/');
  const base = normalized.slice(normalized.lastIndexOf('/') + 1);
  const c = CONTAINERS_NAME.exec(base);
  if (c) return { pod: c[1]!, namespace: c[2]!, container: c[3]!, id: c[4]! };
  const p = PODS_PATH.exec(normalized);
  if (p) return { namespace: p[1]!, pod: p[2]!, id: p[3]!, container: p[4]! };
  return null;
}
