/**
 * The vendor-cloud bridge banner (Dexcom Share, LibreLinkUp, CareLink): status.json's `bridges`
 * says, per bridge, whether to alert (failing for 15 minutes, or waiting for the user, e.g. terms
 * to accept in the vendor's app) and why in plain words. Polled once a minute.
 */
import { getJson } from './api';
import type { Credential } from './credentials';

interface BridgeHealth {
  alert?: unknown;
  message?: unknown;
  nextAttempt?: unknown;
}

function clock(mills: number): string {
  return new Date(mills).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The banner lines for a status.json payload: one per bridge that needs attention. */
export function bridgeAlerts(status: unknown): string[] {
  const list = (status as { bridges?: unknown } | null)?.bridges;
  if (!Array.isArray(list)) return [];
  return (list as BridgeHealth[])
    .filter((b) => b !== null && typeof b === 'object' && b.alert === true && typeof b.message === 'string')
    .map((b) => {
      const next = typeof b.nextAttempt === 'number' ? ` Next try at ${clock(b.nextAttempt)}.` : '';
      return `${String(b.message)}${next}`;
    });
}

function render(el: HTMLElement, lines: string[]): void {
  el.replaceChildren(
    ...lines.map((text) => {
      const p = document.createElement('p');
      p.textContent = text;
      p.style.margin = '0.2em 0';
      return p;
    }),
  );
  el.hidden = lines.length === 0;
}

/** Adds the banner at the top of `<main>` and keeps it current. */
export function watchBridges(credential: () => Credential | null, everyMs = 60_000): void {
  const el = document.createElement('div');
  el.id = 'bridge-banner';
  el.setAttribute('role', 'alert');
  el.hidden = true;
  Object.assign(el.style, {
    background: '#7a1d1d',
    color: '#fff',
    padding: '0.6em 1em',
    borderRadius: '0.5em',
    margin: '0.5em 0',
    fontWeight: '600',
  });
  document.querySelector('main')?.prepend(el);
  const tick = async (): Promise<void> => {
    try {
      render(el, bridgeAlerts(await getJson('api/v1/status.json', credential())));
    } catch {
      /* unreachable server or no read access: the connection pill already says so */
    }
  };
  void tick();
  window.setInterval(() => void tick(), everyMs);
}
