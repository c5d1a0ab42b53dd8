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

/** An answer other than 2xx: `message` is the server's own (Nightscout's `{status, message}`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** POSTs JSON; throws Unauthorized (401/403), HttpError, or a TypeError when the network fails. */
export async function postJson(rel: string, cred: Credential | null, body: unknown): Promise<unknown> {
  const { headers, query } = restAuth(cred);
  let url = apiUrl(location.pathname, rel);
  if (query) url += (url.includes('?') ? '&' : '?') + query;
  const res = await fetch(url, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (res.status === 401 || res.status === 403) throw new Unauthorized(`${res.status}`);
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let msg = `HTTP ${res.status}`;
    try {
      const j = JSON.parse(text) as { message?: unknown };
      if (typeof j.message === 'string' && j.message) msg = j.message;
    } catch {
      /* not JSON */
    }
    throw new HttpError(res.status, msg);
  }
  return res.json().catch(() => null);
}

/** The server's plugin properties (`/api/v2/properties/<names>`). */
export function fetchProperties(cred: Credential | null, names: readonly string[]): Promise<unknown> {
  return getJson(`api/v2/properties/${names.join(',')}`, cred);
}
