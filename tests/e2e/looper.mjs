// A looper's data for the dashboard tests, shaped like AndroidAPS 3.x uploads it (NSClient v1):
// readings every 5 minutes, a profile, temp basals every 10 minutes, SMBs every 15 minutes, a meal,
// device changes, and devicestatus with pump state, IOB/COB and predBGs.
import { SECRET_SHA1, sgv } from './harness.mjs';

const MIN = 60_000;
const iso = (ms) => new Date(ms).toISOString();

export function looperData(now = Date.now()) {
  const entries = [];
  for (let t = now - 6 * 60 * MIN, i = 0; t <= now; t += 5 * MIN, i++) {
    const h = (now - t) / (60 * MIN);
    const v = Math.round(125 + 45 * Math.exp(-((h - 2.2) ** 2) / 0.8) - 20 * Math.sin(h / 1.7) + (h < 0.6 ? 12 * (0.6 - h) : 0));
    entries.push(sgv(v, t, h < 0.5 ? 'FortyFiveUp' : 'Flat'));
  }
  const treatments = [];
  for (let t = now - 6 * 60 * MIN, i = 0; t <= now - 5 * MIN; t += 10 * MIN, i++) {
    const absolute = [0.4, 1.1, 1.8, 0, 0.9, 1.4][i % 6];
    treatments.push({ eventType: 'Temp Basal', created_at: iso(t), absolute, rate: absolute, duration: 30, durationInMilliseconds: 30 * MIN, enteredBy: 'openaps://AndroidAPS', pumpId: 1000 + i });
  }
  for (let t = now - 6 * 60 * MIN + 7 * MIN, i = 0; t <= now; t += 15 * MIN, i++) {
    treatments.push({ eventType: 'Correction Bolus', created_at: iso(t), insulin: [0.2, 0.35, 0.5, 0.15][i % 4], type: 'SMB', isSMB: true, enteredBy: 'openaps://AndroidAPS', pumpId: 2000 + i });
  }
  treatments.push(
    { eventType: 'Meal Bolus', created_at: iso(now - 150 * MIN), carbs: 45, insulin: 3.5, enteredBy: 'openaps://AndroidAPS' },
    { eventType: 'Site Change', created_at: iso(now - 50 * 60 * MIN), enteredBy: 'e2e' },
    { eventType: 'Sensor Change', created_at: iso(now - 7 * 24 * 60 * MIN + 2 * 60 * MIN), enteredBy: 'e2e' },
    { eventType: 'Insulin Change', created_at: iso(now - 30 * 60 * MIN), enteredBy: 'e2e' },
    { eventType: 'Pump Battery Change', created_at: iso(now - 100 * 60 * MIN), enteredBy: 'e2e' },
  );
  const profile = {
    defaultProfile: 'Default', startDate: iso(now - 3 * 24 * 60 * MIN), created_at: iso(now - 3 * 24 * 60 * MIN), units: 'mg/dl', enteredBy: 'AndroidAPS',
    store: {
      Default: {
        dia: 5, timezone: 'UTC', units: 'mg/dl', carbs_hr: 20, delay: 20,
        basal: [0, 3, 6, 9, 12, 15, 18, 21].map((h, i) => ({ time: `${String(h).padStart(2, '0')}:00`, timeAsSeconds: h * 3600, value: [0.7, 0.8, 1.1, 0.9, 0.85, 0.95, 1.0, 0.75][i] })),
        carbratio: [{ time: '00:00', timeAsSeconds: 0, value: 10 }],
        sens: [{ time: '00:00', timeAsSeconds: 0, value: 45 }],
        target_low: [{ time: '00:00', timeAsSeconds: 0, value: 100 }],
        target_high: [{ time: '00:00', timeAsSeconds: 0, value: 110 }],
      },
    },
  };
  const last = entries.at(-1);
  const devicestatus = [];
  for (let k = 3; k >= 0; k--) {
    const at = now - k * 5 * MIN - 20_000;
    const start = last.sgv;
    const curve = (slope, n) => Array.from({ length: n }, (_, i) => Math.round(start + slope * i - 0.04 * i * i));
    devicestatus.push({
      device: 'openaps://samsung SM-G970F',
      created_at: iso(at),
      pump: { clock: iso(at), reservoir: 42.5, battery: { percent: 75 }, status: { status: 'normal', timestamp: iso(at) }, extended: { Version: '3.2.0', ActiveProfile: 'Default' } },
      openaps: {
        suggested: {
          timestamp: iso(at), bg: start, eventualBG: start + 20, targetBG: 105, COB: 12, IOB: 1.42, reason: 'COB: 12, Dev: 8, BGI: -1.2, ISF: 45, CR: 10, minPredBG 121',
          predBGs: { IOB: curve(1.2, 36), ZT: curve(-0.8, 28), COB: curve(2.4, 40), UAM: curve(1.8, 36) },
        },
        enacted: { timestamp: iso(at), rate: 1.4, duration: 30, received: true, bg: start, eventualBG: start + 20, IOB: 1.42, reason: 'temp 1.4' },
        iob: { iob: 1.42, basaliob: 0.61, activity: 0.012, time: iso(at), timestamp: iso(at) },
      },
      uploaderBattery: 64,
      isCharging: false,
    });
  }
  return { entries, treatments, profile, devicestatus };
}

async function post(base, path, body) {
  const r = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'api-secret': SECRET_SHA1 }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
}

/** Stores a looper's data on the server. */
export async function seedLooper(base, d = looperData()) {
  await post(base, '/api/v1/profile', d.profile);
  await post(base, '/api/v1/entries', d.entries);
  await post(base, '/api/v1/treatments', d.treatments);
  await post(base, '/api/v1/devicestatus', d.devicestatus);
  return d;
}
