/**
 * Where the app is mounted. The dashboard may live under a sub-path (`/dante/`), so every API and
 * socket.io address is derived from the page's own path, never from `/`.
 */
export function basePath(pathname: string): string {
  const i = pathname.lastIndexOf('/');
  return i < 0 ? '/' : pathname.slice(0, i + 1);
}

/** A URL relative to the mount point, e.g. `api/v1/status.json` → `/dante/api/v1/status.json`. */
export function apiUrl(pathname: string, rel: string): string {
  return basePath(pathname) + rel.replace(/^\/+/, '');
}

/** The socket.io `path` option for the mount point: `/dante/socket.io`. */
export function socketPath(pathname: string): string {
  return `${basePath(pathname)}socket.io`;
}
