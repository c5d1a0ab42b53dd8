/** The admin API of `/api/v2/authorization` (Nightscout's shapes), signed with the secret's SHA-1. */
import { apiUrl } from '../base';

export interface Subject { _id: string; name: string; accessToken?: string; roles: string[] }
export interface Role { name: string; permissions: string[] }

export class Unauthorized extends Error {}

async function call<T>(secretHash: string, method: string, rel: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'api-secret': secretHash, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(apiUrl(location.pathname, rel), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok) {
    const e = await res.json().catch(() => ({}));
    throw new Error(e.description || e.message || `HTTP ${res.status}`);
  }
  return (await res.json()) as T;
}

export const listSubjects = (h: string) => call<Subject[]>(h, 'GET', 'api/v2/authorization/subjects');
export const listRoles = (h: string) => call<Role[]>(h, 'GET', 'api/v2/authorization/roles');
export const createSubject = (h: string, s: { name: string; roles: string[]; notes?: string }) =>
  call<Subject>(h, 'POST', 'api/v2/authorization/subjects', s);
export const deleteSubject = (h: string, id: string) =>
  call<unknown>(h, 'DELETE', `api/v2/authorization/subjects/${encodeURIComponent(id)}`);

/** The link a follower opens: the dashboard with `?token=`. */
export function followerLink(origin: string, pathname: string, token: string): string {
  return `${origin}${apiUrl(pathname, '')}?token=${encodeURIComponent(token)}`;
}
