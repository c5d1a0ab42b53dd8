/** The dashboard: wires settings, REST first paint, the socket, the chart, alarms and controls. */
import './style.css';
import { AlarmBanner } from './alarm-banner';
import { watchBridges } from './bridge-banner';
import { Unauthorized, fetchRecentSgvs, fetchSgvsSince, fetchTreatmentsSince, getJson } from './api';
import { socketPath } from './base';
import { GlucoseChart } from './chart';
import { type Credential, credentialFrom, loadCredential, saveCredential } from './credentials';
import { type DataState, applyDataUpdate, emptyData } from './data';
import { calcDelta } from './delta';
import { directionOf } from './direction';
import { errorCode, errorMeaning, isCgmError } from './errorcodes';
import { type ConnectionState, Realtime } from './realtime';
import { DEFAULT_SETTINGS, type Settings, settingsFromStatus } from './settings';
import { AlarmSound } from './sound';
import { ScreenWakeLock } from './wake-lock';
import { computeStats, rangeClass } from './stats';
import { minutesAgo, staleness, timeAgoText } from './timeago';
import { type Units, formatBg, unitsLabel } from './units';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const store = (() => {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
})();
const pref = (k: string): string | null => store?.getItem(`ferroscout.${k}`) ?? null;
const setPref = (k: string, v: string): void => {
  try {
    store?.setItem(`ferroscout.${k}`, v);
  } catch {
    /* ignore */
  }
};

let settings: Settings = DEFAULT_SETTINGS;
let units: Units = 'mg/dl';
let data: DataState = emptyData();
let hours = 3;
let credential: Credential | null = loadCredential(store);
let realtime: Realtime | null = null;
let historyLoaded = false;
let credentialRejected = false;
let lastAnnounced = 0;
let connState: ConnectionState = { kind: 'connecting' };

const sound = new AlarmSound();
const chart = new GlucoseChart($('chart'));
const banner = new AlarmBanner($('alarm'), {
  sound,
  snoozeMins: (level) => (level >= 2 ? settings.alarmUrgentMins : settings.alarmWarnMins),
  ack: (level, group, ms) => realtime?.ack(level, group, ms),
  sharedSnooze: () => realtime?.canAck ?? false,
  now: () => Date.now(),
});

// ---- rendering ----

function renderNow(): void {
  const now = Date.now();
  const section = $('now');
  const last = data.sgvs[data.sgvs.length - 1];
  const classes = ['now'];
  if (!last) {
    section.className = 'now';
    return;
  }
  const bgEl = $('bg');
  const arrowEl = $('arrow');
  const dir = directionOf(last.direction, last.mgdl);
  if (isCgmError(last.mgdl)) {
    bgEl.textContent = errorCode(last.mgdl);
    bgEl.title = `CGM error: ${errorMeaning(last.mgdl)}`;
    classes.push('cgm-error');
  } else {
    bgEl.textContent = formatBg(last.mgdl, units);
    bgEl.title = unitsLabel(units);
    classes.push(rangeClass(last.mgdl, settings.thresholds));
  }
  arrowEl.textContent = dir.arrow;
  arrowEl.setAttribute('aria-label', dir.label);
  const delta = isCgmError(last.mgdl) ? null : calcDelta(data.sgvs, now, units);
  $('delta').textContent = delta ? `${delta.display} ${unitsLabel(units)}` : `– ${unitsLabel(units)}`;
  $('delta').title = delta?.interpolated ? 'interpolated: the previous reading is more than 9 minutes old' : '';
  $('ago').textContent = timeAgoText(last.mills, now);
  const st = staleness(last.mills, now, settings.timeago);
  if (st !== 'fresh') classes.push(`stale-${st}`);
  const stale = $('stale');
  stale.hidden = st === 'fresh';
  stale.textContent =
    st === 'urgent'
      ? `No data for ${minutesAgo(last.mills, now)} minutes: check the sensor and uploader`
      : `Data is ${minutesAgo(last.mills, now)} minutes old`;
  section.className = classes.join(' ');
  const value = isCgmError(last.mgdl) ? `CGM error ${errorMeaning(last.mgdl)}` : `${bgEl.textContent} ${unitsLabel(units)}`;
  document.title = `${bgEl.textContent} ${dir.arrow} ${delta?.display ?? ''} · ${settings.title}`;
  if (last.mills !== lastAnnounced) {
    lastAnnounced = last.mills;
    $('announce').textContent = `${value}, ${dir.label}${delta ? `, change ${delta.display}` : ''}, ${timeAgoText(last.mills, now)}`;
  }
}

function renderStats(): void {
  const from = Date.now() - hours * 3600_000;
  const s = computeStats(
    data.sgvs.filter((x) => x.mills >= from).map((x) => x.mgdl),
    settings.thresholds,
  );
  const pct = (x: number): string => `${Math.round(x)}%`;
  $('stat-tir').textContent = s ? pct(s.inRange) : '–';
  $('stat-out').textContent = s ? `${pct(s.below)} / ${pct(s.above)}` : '–';
  $('stat-mean').textContent = s ? `${formatBg(s.mean, units)} ${unitsLabel(units)}` : '–';
  $('stat-gmi').textContent = s ? `${s.gmi.toFixed(1)}%` : '–';
  $('stat-cv').textContent = s ? `${Math.round(s.cv)}%` : '–';
}

function renderChart(): void {
  chart.update({ sgvs: data.sgvs, treatments: data.treatments, units, thresholds: settings.thresholds, hours, now: Date.now() });
}

function renderAll(): void {
  renderNow();
  renderChart();
  renderStats();
}

function renderConnection(s: ConnectionState): void {
  connState = s;
  const el = $('conn');
  el.className = `pill conn ${s.kind}`;
  el.textContent =
    s.kind === 'live'
      ? `live · ${s.transport}`
      : s.kind === 'connecting'
        ? 'connecting…'
        : s.kind === 'offline'
          ? 'not live · reconnecting'
          : 'sign-in needed';
  el.dataset.transport = s.kind === 'live' ? s.transport : '';
}

function renderUnitsToggle(): void {
  const b = $('units-toggle');
  b.textContent = unitsLabel(units);
  b.setAttribute('aria-label', `Units: ${unitsLabel(units)}. Switch to ${unitsLabel(units === 'mmol' ? 'mg/dl' : 'mmol')}`);
}

// ---- data ----

function ingest(payload: unknown): void {
  data = applyDataUpdate(data, payload, Date.now());
  renderAll();
}

async function loadHistoryByRest(): Promise<void> {
  if (historyLoaded) return;
  const from = Date.now() - 24 * 3600_000;
  try {
    const sgvs = await fetchSgvsSince(credential, from);
    historyLoaded = true;
    ingest({ delta: true, sgvs: Array.isArray(sgvs) ? sgvs : [] });
  } catch (e) {
    if (e instanceof Unauthorized) askForCredential(false);
  }
  try {
    const t = await fetchTreatmentsSince(credential, from);
    if (Array.isArray(t)) ingest({ delta: true, treatments: t });
  } catch {
    /* treatments are optional for the chart */
  }
}

/** Status and the newest readings over REST: the number shows before the socket is up. */
async function firstPaint(): Promise<void> {
  try {
    const [status, sgvs] = await Promise.all([getJson('api/v1/status.json', credential), fetchRecentSgvs(credential, 12)]);
    settings = settingsFromStatus(status);
    const chosen = pref('units');
    units = chosen === 'mmol' || chosen === 'mg/dl' ? chosen : settings.units;
    $('site-title').textContent = settings.title;
    document.documentElement.dataset.time24 = String(settings.timeFormat === 24);
    renderUnitsToggle();
    if (pref('hours') === null && [3, 6, 12, 24].includes(settings.focusHours)) setHours(settings.focusHours, false);
    ingest({ delta: true, sgvs: Array.isArray(sgvs) ? sgvs : [] });
    if (credentialRejected) askForCredential(true, false);
    credentialRejected = false;
  } catch (e) {
    if (e instanceof Unauthorized) {
      if (credential) {
        // The saved secret no longer works (API_SECRET changed?): forget it, try as a visitor.
        credential = null;
        credentialRejected = true;
        saveCredential(store, null);
        renderSignIn();
        return firstPaint();
      }
      askForCredential(credentialRejected);
      credentialRejected = false;
      return;
    }
    renderConnection({ kind: 'offline', reason: 'cannot reach the server' });
  }
  startRealtime();
  // If the socket has not delivered history soon, fill the chart over REST.
  window.setTimeout(() => void loadHistoryByRest(), 4000);
}

function startRealtime(): void {
  if (realtime) {
    realtime.setCredential(credential);
    return;
  }
  realtime = new Realtime(socketPath(location.pathname), credential, {
    onState: (s) => {
      renderConnection(s);
      if (s.kind === 'denied') askForCredential(s.wrongCredential);
    },
    onData: (p) => {
      const full = p && typeof p === 'object' && (p as Record<string, unknown>).delta !== true;
      if (full) historyLoaded = true;
      ingest(p);
    },
    onAlarm: (kind, a) => {
      if (kind === 'clear_alarm' || a.clear) banner.clear();
      else banner.show(a);
    },
  });
  realtime.start();
}

// ---- sign-in ----

/** Opens the sign-in dialog: `required` when the server shows nothing without a credential. */
function askForCredential(wrong: boolean, required = true): void {
  const dlg = $<HTMLDialogElement>('auth');
  $('auth-error').textContent = wrong ? 'That secret or token was not accepted.' : '';
  $('auth-why').textContent = required
    ? 'This site does not show data without an API secret or access token.'
    : 'Signing in lets a snooze silence the alarm on every dashboard.';
  if (required) renderConnection({ kind: 'denied', wrongCredential: wrong });
  if (!dlg.open) dlg.showModal();
  $('auth-input').focus();
}

function renderSignIn(): void {
  $('signin').textContent = credential ? 'Sign out' : 'Sign in';
}

async function submitCredential(ev: Event): Promise<void> {
  ev.preventDefault();
  const input = $<HTMLInputElement>('auth-input');
  const c = credentialFrom(input.value);
  if (!c) return;
  $('auth-error').textContent = 'Checking…';
  $<HTMLButtonElement>('auth-submit').disabled = true;
  try {
    await fetchRecentSgvs(c, 1);
    credential = c;
    saveCredential(store, c);
    input.value = '';
    $<HTMLDialogElement>('auth').close();
    renderSignIn();
    $('auth-error').textContent = '';
    historyLoaded = false;
    void firstPaint();
  } catch (e) {
    $('auth-error').textContent =
      e instanceof Unauthorized ? 'That secret or token was not accepted.' : 'Cannot reach the server. Try again.';
  } finally {
    $<HTMLButtonElement>('auth-submit').disabled = false;
  }
}

// ---- controls ----

function setTheme(theme: string): void {
  document.documentElement.dataset.theme = theme;
  const b = $('theme-toggle');
  b.textContent = theme === 'dark' ? 'Light' : 'Dark';
  b.setAttribute('aria-label', theme === 'dark' ? 'Use light theme' : 'Use dark theme');
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', theme === 'dark' ? '#0b0f14' : '#f7f9fb');
  chart.restyle();
}

function setHours(h: number, remember = true): void {
  hours = h;
  if (remember) setPref('hours', String(h));
  for (const b of document.querySelectorAll<HTMLButtonElement>('.ranges button')) {
    b.setAttribute('aria-pressed', String(Number(b.dataset.hours) === h));
  }
  $('range-label').textContent = `${h} hours`;
  $('chart').setAttribute('aria-label', `Glucose chart of the last ${h} hours; the figures below summarise it`);
  renderChart();
  renderStats();
}

function wireControls(): void {
  $('units-toggle').addEventListener('click', () => {
    units = units === 'mmol' ? 'mg/dl' : 'mmol';
    setPref('units', units);
    renderUnitsToggle();
    renderAll();
  });
  $('theme-toggle').addEventListener('click', () => {
    const t = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    setPref('theme', t);
    setTheme(t);
  });
  for (const b of document.querySelectorAll<HTMLButtonElement>('.ranges button')) {
    b.addEventListener('click', () => setHours(Number(b.dataset.hours)));
  }
  $('signin').addEventListener('click', () => {
    if (!credential) {
      askForCredential(false, false);
      return;
    }
    credential = null;
    saveCredential(store, null);
    renderSignIn();
    void firstPaint();
  });
  if (ScreenWakeLock.supported()) {
    const wake = $('wake');
    const lock = new ScreenWakeLock((held) => wake.setAttribute('aria-pressed', String(held)));
    wake.hidden = false;
    wake.addEventListener('click', () => void lock.toggle());
  }
  $('auth-form').addEventListener('submit', (e) => void submitCredential(e));
  $('auth-cancel').addEventListener('click', () => $<HTMLDialogElement>('auth').close());
  // Audio may start only in a user gesture. The sound prompts disappear only once the tap is
  // over: hiding them mid-tap would move the snooze buttons out from under the finger.
  let pointerDown = false;
  const refreshSound = (): void => {
    if (pointerDown) return;
    banner.refreshSoundHint();
    $('sound-enable').hidden = sound.unlocked;
  };
  const tapOver = (): void => {
    window.setTimeout(() => {
      pointerDown = false;
      refreshSound();
    }, 0);
  };
  window.addEventListener('pointerdown', () => {
    pointerDown = true;
    sound.unlock();
  }, { passive: true });
  window.addEventListener('pointerup', tapOver, { passive: true });
  window.addEventListener('pointercancel', tapOver, { passive: true });
  window.addEventListener('keydown', () => sound.unlock());
  window.addEventListener('keyup', refreshSound);
  sound.onUnlocked = refreshSound;
  $('sound-enable').addEventListener('click', () => {
    sound.unlock();
    sound.chime();
  });
  // Keep "n min ago", staleness and the chart's time axis moving.
  window.setInterval(() => {
    renderNow();
    renderChart();
  }, 15_000);
  // While the socket is down, poll the newest readings over REST so the number stays current.
  window.setInterval(() => {
    if (connState.kind === 'offline') {
      fetchRecentSgvs(credential, 12)
        .then((s) => ingest({ delta: true, sgvs: Array.isArray(s) ? s : [] }))
        .catch(() => {});
    }
  }, 30_000);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && renderAll());
}

setTheme(pref('theme') === 'light' ? 'light' : 'dark');
const h = Number(pref('hours'));
if ([3, 6, 12, 24].includes(h)) setHours(h, false);
units = (pref('units') as Units | null) ?? 'mg/dl';
renderUnitsToggle();
renderConnection(connState);
renderSignIn();
wireControls();
watchBridges(() => credential);
void firstPaint();
