/** REST calls, relative to the mount point, with the stored credential. */
import { apiUrl } from './base';
import { type Credential, restAuth } from './credentials';

export class Unauthorized extends Error {}

export async function getJson(rel: string, cred: Credential | null): Promise<unknown> {
  const { headers, query } = restAuth(cred);
  let url = apiUrl(location.pathname, rel);
  if (query) url += (url.includes('?') ? '&' : '?') + query;
  const res = await fetch(url, { headers: { accept: 'application/json', ...headers }, cache: 'no-store' });
  if (res.status === 401 || res.status === 403) throw new Unauthorized(`${res.status}`);
  if (!res.ok) throw new Error(`${rel}: HTTP ${res.status}`);
  return res.json();
}

/** The newest readings (REST entries form). */
export function fetchRecentSgvs(cred: Credential | null, count: number): Promise<unknown> {
  return getJson(`api/v1/entries/sgv.json?count=${count}`, cred);
}

/** Readings since `fromMills`, for the chart when the socket cannot deliver history. */
export function fetchSgvsSince(cred: Credential | null, fromMills: number): Promise<unknown> {
  return getJson(`api/v1/entries/sgv.json?find[date][$gte]=${fromMills}&count=1000`, cred);
}

export function fetchTreatmentsSince(cred: Credential | null, fromMills: number): Promise<unknown> {
  const iso = new Date(fromMills).toISOString();
  return getJson(`api/v1/treatments.json?find[created_at][$gte]=${encodeURIComponent(iso)}&count=500`, cred);
}
