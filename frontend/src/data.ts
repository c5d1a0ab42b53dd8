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
}

export interface DataState {
  sgvs: Sgv[];
  treatments: Treatment[];
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
  return t;
}

export function emptyData(): DataState {
  return { sgvs: [], treatments: [] };
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
  if (full) {
    return {
      // A full update that carries no sgvs (e.g. an empty database) keeps nothing stale.
      sgvs: mergeSgvs(Array.isArray(p.sgvs) ? [] : state.sgvs, sgvs, now),
      treatments: mergeTreatments(Array.isArray(p.treatments) ? [] : state.treatments, treatments, now),
    };
  }
  return {
    sgvs: sgvs.length ? mergeSgvs(state.sgvs, sgvs, now) : state.sgvs,
    treatments: treatments.length ? mergeTreatments(state.treatments, treatments, now) : state.treatments,
  };
}
