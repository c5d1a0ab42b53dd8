/** The API secret or access token the user typed, kept on this device. */
import { sha1Hex } from './sha1';

export type Credential = { kind: 'secret'; hash: string } | { kind: 'token'; token: string };

const KEY = 'ferroscout.credential';

/** Access tokens look like `name-0123456789abcdef`; anything else is an API secret and is hashed. */
export function credentialFrom(input: string): Credential | null {
  const s = input.trim();
  if (s === '') return null;
  if (/^[a-z0-9_.-]+-[0-9a-f]{16}$/i.test(s)) return { kind: 'token', token: s };
  if (/^[0-9a-f]{40}$/i.test(s)) return { kind: 'secret', hash: s.toLowerCase() };
  return { kind: 'secret', hash: sha1Hex(s) };
}

export function loadCredential(storage: Storage | undefined): Credential | null {
  try {
    const raw = storage?.getItem(KEY);
    if (!raw) return null;
    const c = JSON.parse(raw) as Credential;
    if (c.kind === 'secret' && typeof c.hash === 'string') return c;
    if (c.kind === 'token' && typeof c.token === 'string') return c;
  } catch {
    /* unreadable: treat as absent */
  }
  return null;
}

export function saveCredential(storage: Storage | undefined, c: Credential | null): void {
  try {
    if (c) storage?.setItem(KEY, JSON.stringify(c));
    else storage?.removeItem(KEY);
  } catch {
    /* private mode: keep it for this page only */
  }
}

/** Headers and query for REST calls. */
export function restAuth(c: Credential | null): { headers: Record<string, string>; query: string } {
  if (!c) return { headers: {}, query: '' };
  if (c.kind === 'secret') return { headers: { 'api-secret': c.hash }, query: '' };
  return { headers: {}, query: `token=${encodeURIComponent(c.token)}` };
}

/** The `authorize` payload of the root namespace (spec §5.2). */
export function authorizePayload(c: Credential | null): Record<string, unknown> {
  const p: Record<string, unknown> = { client: 'web', history: 48 };
  if (c?.kind === 'secret') p.secret = c.hash;
  if (c?.kind === 'token') p.secret = c.token;
  return p;
}

/** The `subscribe` payload of `/alarm` (spec §5.4). */
export function alarmSubscribePayload(c: Credential | null): Record<string, unknown> {
  if (c?.kind === 'token') return { accessToken: c.token };
  if (c?.kind === 'secret') return { secret: c.hash };
  return {};
}
