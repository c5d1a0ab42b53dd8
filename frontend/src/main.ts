/**
 * The dashboard: wires settings, language, REST first paint, the socket, the chart, the looper
 * pills, the careportal, alarms and controls. Rendering lives in `now-view.ts` and `looper-view.ts`.
 */
import './style.css';
import { AlarmBanner } from './alarm-banner';
import { watchBridges } from './bridge-banner';
import { Unauthorized, fetchRecentSgvs, fetchSgvsSince, fetchTreatmentsSince, getJson } from './api';
import { socketPath } from './base';
import { Careportal } from './careportal';
import { GlucoseChart } from './chart';
import { type Credential, credentialFrom, loadCredential, saveCredential } from './credentials';
import { type DataState, applyDataUpdate, emptyData } from './data';
import { chooseLanguage, currentLanguage, setLanguage, t, translateAlarmMessage, translatePage } from './i18n';
import { LooperView, looperChartParts, recentAnnouncement, showAnnouncement, showMarkerDetail } from './looper-view';
import { renderNow as drawNow, renderStats as drawStats } from './now-view';
import { type ConnectionState, Realtime } from './realtime';
import { DEFAULT_SETTINGS, type Settings, settingsFromStatus } from './settings';
import { AlarmSound } from './sound';
import { wireSoundPrompts } from './sound-prompt';
import { ScreenWakeLock } from './wake-lock';
import { type Units, unitsLabel } from './units';

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
let connState: ConnectionState = { kind: 'connecting' };

const sound = new AlarmSound();
const timeOf = (ms: number): string =>
  new Date(ms).toLocaleTimeString(currentLanguage().replace('_', '-'), { hour: '2-digit', minute: '2-digit', hour12: settings.timeFormat === 12 });
const chart = new GlucoseChart($('chart'), (m) => showMarkerDetail($('chart-detail'), m, units, timeOf));
const looper = new LooperView($('looper-pills'), () => credential);
const careportal = new Careportal($<HTMLButtonElement>('careportal-open'), $('cp-pending'), {
  credential: () => credential,
  units: () => units,
  storage: store,
});
const banner = new AlarmBanner($('alarm'), {
  sound,
  snoozeMins: (level) => (level >= 2 ? settings.alarmUrgentMins : settings.alarmWarnMins),
  ack: (level, group, ms) => realtime?.ack(level, group, ms),
  sharedSnooze: () => realtime?.canAck ?? false,
  now: () => Date.now(),
});

// ---- rendering ----

function renderNow(): void {
  drawNow(data, settings, units);
}

function renderStats(): void {
  drawStats(data, settings, units, hours);
}

function renderChart(): void {
  const now = Date.now();
  const parts = looperChartParts(data, hours, now);
  chart.update({ sgvs: data.sgvs, treatments: data.treatments, units, thresholds: settings.thresholds, hours, now, ...parts });
  $('legend-basal').hidden = parts.basal.length === 0;
  $('legend-pred').hidden = parts.curves.length === 0;
  $('legend-cone').hidden = parts.cone.length === 0;
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
      ? t('live · %1', s.transport)
      : s.kind === 'connecting'
        ? t('connecting…')
        : s.kind === 'offline'
          ? t('not live · reconnecting')
          : t('sign-in needed');
  el.dataset.transport = s.kind === 'live' ? s.transport : '';
}

function renderUnitsToggle(): void {
  const b = $('units-toggle');
  b.textContent = unitsLabel(units);
  b.setAttribute('aria-label', t('Units: %1. Switch to %2', unitsLabel(units), unitsLabel(units === 'mmol' ? 'mg/dl' : 'mmol')));
}

// ---- data ----

function ingest(payload: unknown): void {
  data = applyDataUpdate(data, payload, Date.now());
  renderAll();
  looper.refresh();
  showAnnouncement($('announcement'), recentAnnouncement(data.treatments, Date.now()));
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
    if (!settings.careportal) careportal.setAllowed(false);
    const lang = chooseLanguage(pref('lang'), settings.language, navigator.languages ?? [navigator.language]);
    if (lang !== currentLanguage() && (await setLanguage(lang))) retranslate();
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
      else banner.show({ ...a, title: t(a.title), message: translateAlarmMessage(a.message) });
    },
    onPermissions: (p) => {
      const allowed = p.writeTreatment && settings.careportal;
      careportal.setAllowed(allowed);
      if (allowed) void careportal.retryPending();
    },
    onAnnouncement: (a) => showAnnouncement($('announcement'), a),
  });
  realtime.start();
}

// ---- sign-in ----

/** Opens the sign-in dialog: `required` when the server shows nothing without a credential. */
function askForCredential(wrong: boolean, required = true): void {
  const dlg = $<HTMLDialogElement>('auth');
  $('auth-error').textContent = wrong ? t('That secret or token was not accepted.') : '';
  $('auth-why').textContent = required
    ? t('This site does not show data without an API secret or access token.')
    : t('Signing in lets a snooze silence the alarm on every dashboard.');
  if (required) renderConnection({ kind: 'denied', wrongCredential: wrong });
  if (!dlg.open) dlg.showModal();
  $('auth-input').focus();
}

function renderSignIn(): void {
  $('signin').textContent = credential ? t('Sign out') : t('Sign in');
}

async function submitCredential(ev: Event): Promise<void> {
  ev.preventDefault();
  const input = $<HTMLInputElement>('auth-input');
  const c = credentialFrom(input.value);
  if (!c) return;
  $('auth-error').textContent = t('Checking…');
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
      e instanceof Unauthorized ? t('That secret or token was not accepted.') : t('Cannot reach the server. Try again.');
  } finally {
    $<HTMLButtonElement>('auth-submit').disabled = false;
  }
}

// ---- language ----

function retranslate(): void {
  translatePage();
  renderSignIn();
  renderUnitsToggle();
  renderConnection(connState);
  setTheme(document.documentElement.dataset.theme ?? 'dark');
  setHours(hours, false);
  looper.render();
  renderAll();
}

// ---- controls ----

function setTheme(theme: string): void {
  document.documentElement.dataset.theme = theme;
  const b = $('theme-toggle');
  b.textContent = theme === 'dark' ? t('Light') : t('Dark');
  b.setAttribute('aria-label', theme === 'dark' ? t('Use light theme') : t('Use dark theme'));
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', theme === 'dark' ? '#0b0f14' : '#f7f9fb');
  chart.restyle();
}

function setHours(h: number, remember = true): void {
  hours = h;
  if (remember) setPref('hours', String(h));
  for (const b of document.querySelectorAll<HTMLButtonElement>('.ranges button')) {
    b.setAttribute('aria-pressed', String(Number(b.dataset.hours) === h));
  }
  $('range-label').textContent = t('%1 hours', h);
  $('chart').setAttribute('aria-label', t('Glucose chart of the last %1 hours; the figures below summarise it', h));
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
  wireSoundPrompts(sound, banner, $('sound-enable'));
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
