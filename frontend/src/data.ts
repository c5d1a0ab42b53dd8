/**
 * The readings and treatments the dashboard holds, merged from REST answers and socket.io
 * `dataUpdate` payloads the way Nightscout's `lib/client/receiveddata.js` does: sgvs by `mills`,
 * treatments by `_id` honouring `action: 'update' | 'remove'`.
 */
export interface Sgv {
  mills: number;
  mgdl: number;
  direction?: string;
  noise?: number;
}

export interface Treatment {
  _id: string;
  mills: number;
  eventType?: string;
  carbs?: number;
  insulin?: number;
  /** Minutes. */
  duration?: number;
  /** Temp basal rate, U/h (`absolute`, else `rate`). */
  absolute?: number;
  percent?: number;
  /** An automatic small bolus (AAPS/Trio `isSMB`, or `type: 'SMB'`). */
  smb?: boolean;
  glucose?: number;
  notes?: string;
  enteredBy?: string;
  profile?: string;
  profileJson?: string;
  percentage?: number;
  targetTop?: number;
  targetBottom?: number;
  reason?: string;
}

export interface DataState {
  sgvs: Sgv[];
  treatments: Treatment[];
  /** The newest devicestatus documents (runtime form), ascending. */
  devicestatus: Record<string, unknown>[];
  profiles: unknown[];
}

const HOLD_MS = 48 * 3600_000;

function num(x: unknown): number | undefined {
  const n = typeof x === 'string' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** A socket sgv (`{mgdl, mills}`) or a REST entry (`{sgv, date}`), or null for other entries. */
export function toSgv(raw: unknown): Sgv | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (r.type !== undefined && r.type !== 'sgv') return null;
  const mgdl = num(r.mgdl) ?? num(r.sgv);
  const mills = num(r.mills) ?? num(r.date);
  if (mgdl === undefined || mills === undefined) return null;
  const s: Sgv = { mills, mgdl };
  if (typeof r.direction === 'string') s.direction = r.direction;
  const noise = num(r.noise);
  if (noise !== undefined) s.noise = noise;
  return s;
}

export function toTreatment(raw: unknown): Treatment | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const mills = num(r.mills) ?? (typeof r.created_at === 'string' ? Date.parse(r.created_at) : undefined);
  if (typeof r._id !== 'string' || mills === undefined || Number.isNaN(mills)) return null;
  const t: Treatment = { _id: r._id, mills };
  if (typeof r.eventType === 'string') t.eventType = r.eventType;
  const carbs = num(r.carbs);
  if (carbs !== undefined && carbs > 0) t.carbs = carbs;
  const insulin = num(r.insulin);
  if (insulin !== undefined && insulin > 0) t.insulin = insulin;
  for (const k of ['duration', 'percent', 'glucose', 'percentage', 'targetTop', 'targetBottom'] as const) {
    const v = num(r[k]);
    if (v !== undefined) t[k] = v;
  }
  const rate = num(r.absolute) ?? num(r.rate);
  if (rate !== undefined) t.absolute = rate;
  if (r.isSMB === true || r.type === 'SMB') t.smb = true;
  for (const k of ['notes', 'enteredBy', 'profile', 'profileJson', 'reason'] as const) {
    if (typeof r[k] === 'string' && r[k]) t[k] = r[k] as string;
  }
  return t;
}

export function emptyData(): DataState {
  return { sgvs: [], treatments: [], devicestatus: [], profiles: [] };
}

/** Adds or replaces sgvs by `mills`, keeps 48 h, ascending. */
export function mergeSgvs(current: readonly Sgv[], incoming: readonly unknown[], now: number): Sgv[] {
  const byMills = new Map<number, Sgv>();
  for (const s of current) byMills.set(s.mills, s);
  for (const raw of incoming) {
    const s = toSgv(raw);
    if (s) byMills.set(s.mills, s);
  }
  return [...byMills.values()].filter((s) => s.mills >= now - HOLD_MS).sort((a, b) => a.mills - b.mills);
}

/** Applies treatments: new ones added, `action:'update'` replaces, `action:'remove'` deletes. */
export function mergeTreatments(current: readonly Treatment[], incoming: readonly unknown[], now: number): Treatment[] {
  const byId = new Map<string, Treatment>();
  for (const t of current) byId.set(t._id, t);
  for (const raw of incoming) {
    const r = raw as Record<string, unknown> | null;
    if (r && r.action === 'remove' && typeof r._id === 'string') {
      byId.delete(r._id);
      continue;
    }
    const t = toTreatment(raw);
    if (t) byId.set(t._id, t);
  }
  return [...byId.values()].filter((t) => t.mills >= now - HOLD_MS - 12 * 3600_000).sort((a, b) => a.mills - b.mills);
}

const DEVICESTATUS_KEEP = 30;

/** Adds devicestatus by `_id` (or time), keeps the newest 30, ascending. */
export function mergeDevicestatus(current: readonly Record<string, unknown>[], incoming: readonly unknown[]): Record<string, unknown>[] {
  const key = (d: Record<string, unknown>): string => (typeof d._id === 'string' ? d._id : `${d.mills ?? d.created_at}`);
  const at = (d: Record<string, unknown>): number => (typeof d.mills === 'number' ? d.mills : Date.parse(String(d.created_at)) || 0);
  const byId = new Map<string, Record<string, unknown>>();
  for (const d of current) byId.set(key(d), d);
  for (const raw of incoming) if (raw && typeof raw === 'object') byId.set(key(raw as Record<string, unknown>), raw as Record<string, unknown>);
  return [...byId.values()].sort((a, b) => at(a) - at(b)).slice(-DEVICESTATUS_KEEP);
}

/**
 * Applies a `dataUpdate`: a full one (no `delta` key) replaces what is held, a delta merges.
 * Returns the new state and whether the newest reading changed.
 */
export function applyDataUpdate(state: DataState, payload: unknown, now: number): DataState {
  if (!payload || typeof payload !== 'object') return state;
  const p = payload as Record<string, unknown>;
  const full = p.delta !== true;
  const sgvs = Array.isArray(p.sgvs) ? p.sgvs : [];
  const treatments = Array.isArray(p.treatments) ? p.treatments : [];
  const ds = Array.isArray(p.devicestatus) ? p.devicestatus : [];
  const profiles = Array.isArray(p.profiles) && p.profiles.length ? p.profiles : state.profiles;
  if (full) {
    return {
      devicestatus: mergeDevicestatus([], ds),
      profiles,
      // A full update that carries no sgvs (e.g. an empty database) keeps nothing stale.
      sgvs: mergeSgvs(Array.isArray(p.sgvs) ? [] : state.sgvs, sgvs, now),
      treatments: mergeTreatments(Array.isArray(p.treatments) ? [] : state.treatments, treatments, now),
    };
  }
  return {
    devicestatus: ds.length ? mergeDevicestatus(state.devicestatus, ds) : state.devicestatus,
    profiles,
    sgvs: sgvs.length ? mergeSgvs(state.sgvs, sgvs, now) : state.sgvs,
    treatments: treatments.length ? mergeTreatments(state.treatments, treatments, now) : state.treatments,
  };
}
