/**
 * The careportal's event types and the treatment each form produces (Nightscout
 * `lib/plugins/careportal.js` and `lib/client/careportal.js`: which fields an event type has, glucose
 * stored in the entered units with `units`, temp targets in mg/dL). Pure: no DOM, no network.
 */
import { type Units, mmolToMgdl } from './units';

export type Field = 'glucose' | 'carbs' | 'insulin' | 'duration' | 'targetTop' | 'targetBottom' | 'reason' | 'notes';

export interface EventType {
  /** Nightscout's `eventType` value (also the translation key). */
  value: string;
  fields: readonly Field[];
}

export const EVENT_TYPES: readonly EventType[] = [
  { value: 'BG Check', fields: ['glucose', 'notes'] },
  { value: 'Meal Bolus', fields: ['carbs', 'insulin', 'notes'] },
  { value: 'Snack Bolus', fields: ['carbs', 'insulin', 'notes'] },
  { value: 'Correction Bolus', fields: ['insulin', 'notes'] },
  { value: 'Carb Correction', fields: ['carbs', 'notes'] },
  { value: 'Note', fields: ['notes'] },
  { value: 'Announcement', fields: ['notes'] },
  { value: 'Exercise', fields: ['duration', 'notes'] },
  { value: 'Site Change', fields: ['notes'] },
  { value: 'Sensor Start', fields: ['notes'] },
  { value: 'Sensor Change', fields: ['notes'] },
  { value: 'Insulin Change', fields: ['notes'] },
  { value: 'Pump Battery Change', fields: ['notes'] },
  { value: 'Temporary Target', fields: ['targetBottom', 'targetTop', 'duration', 'reason', 'notes'] },
  { value: 'Temporary Target Cancel', fields: ['notes'] },
];

export function eventType(value: string): EventType | undefined {
  return EVENT_TYPES.find((e) => e.value === value);
}

/** What the form holds, as typed (strings), plus the event time. */
export interface FormValues {
  eventType: string;
  /** Epoch ms of the event. */
  at: number;
  enteredBy: string;
  values: Partial<Record<Field, string>>;
}

export type Built = { ok: true; treatment: Record<string, unknown> } | { ok: false; error: string; field?: Field };

const NUMERIC: Partial<Record<Field, { min: number; max: number }>> = {
  glucose: { min: 0, max: 1000 },
  carbs: { min: 0, max: 500 },
  insulin: { min: 0, max: 100 },
  duration: { min: 0, max: 24 * 60 },
  targetTop: { min: 0, max: 500 },
  targetBottom: { min: 0, max: 500 },
};

/** The treatment to POST, or why the form cannot be saved (an English message key). */
export function buildTreatment(f: FormValues, units: Units): Built {
  const et = eventType(f.eventType);
  if (!et) return { ok: false, error: 'Choose an event type' };
  if (!Number.isFinite(f.at)) return { ok: false, error: 'Enter a valid time' };
  const out: Record<string, unknown> = {
    eventType: et.value,
    created_at: new Date(f.at).toISOString(),
    enteredBy: f.enteredBy.trim() || 'Ferroscout',
  };
  for (const field of et.fields) {
    const raw = (f.values[field] ?? '').trim().replace(',', '.');
    if (raw === '') continue;
    const range = NUMERIC[field];
    if (!range) {
      out[field] = raw;
      continue;
    }
    const n = Number(raw);
    if (!Number.isFinite(n) || n < range.min || n > range.max) return { ok: false, error: 'Enter a number in range', field };
    out[field] = n;
  }
  if (et.value === 'BG Check') {
    if (out.glucose === undefined) return { ok: false, error: 'Enter the glucose reading', field: 'glucose' };
    out.glucoseType = 'Finger';
    out.units = units;
  }
  if ((et.value === 'Meal Bolus' || et.value === 'Snack Bolus') && out.carbs === undefined && out.insulin === undefined) {
    return { ok: false, error: 'Enter carbs or insulin', field: 'carbs' };
  }
  if (et.value === 'Correction Bolus' && out.insulin === undefined) return { ok: false, error: 'Enter the insulin', field: 'insulin' };
  if (et.value === 'Carb Correction' && out.carbs === undefined) return { ok: false, error: 'Enter the carbs', field: 'carbs' };
  if ((et.value === 'Note' || et.value === 'Announcement') && !out.notes) return { ok: false, error: 'Enter a note', field: 'notes' };
  if (et.value === 'Temporary Target') {
    if (out.targetBottom === undefined || out.targetTop === undefined) return { ok: false, error: 'Enter both targets', field: 'targetBottom' };
    if (out.duration === undefined) return { ok: false, error: 'Enter the duration', field: 'duration' };
    if (units === 'mmol') {
      out.targetTop = mmolToMgdl(out.targetTop as number);
      out.targetBottom = mmolToMgdl(out.targetBottom as number);
    }
    if ((out.targetBottom as number) > (out.targetTop as number)) return { ok: false, error: 'The bottom target is above the top', field: 'targetBottom' };
    out.units = 'mg/dl';
  }
  if (et.value === 'Temporary Target Cancel') out.duration = 0;
  if (et.value === 'Announcement') out.isAnnouncement = true;
  return { ok: true, treatment: out };
}

/** Entries waiting for a successful save, kept on the device (localStorage) across reloads. */
export class PendingStore {
  constructor(
    private readonly storage: Storage | undefined,
    private readonly key = 'ferroscout.careportal.pending',
  ) {}

  all(): Record<string, unknown>[] {
    try {
      const v = JSON.parse(this.storage?.getItem(this.key) ?? '[]') as unknown;
      return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
    } catch {
      return [];
    }
  }

  private write(list: Record<string, unknown>[]): void {
    try {
      if (list.length) this.storage?.setItem(this.key, JSON.stringify(list));
      else this.storage?.removeItem(this.key);
    } catch {
      /* private mode: kept for this page only through the form */
    }
  }

  /** Same event type and time: the same entry (Nightscout upserts on these two too). */
  private static same(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
    return a.eventType === b.eventType && a.created_at === b.created_at;
  }

  add(t: Record<string, unknown>): void {
    this.write([...this.all().filter((x) => !PendingStore.same(x, t)), t]);
  }

  remove(t: Record<string, unknown>): void {
    this.write(this.all().filter((x) => !PendingStore.same(x, t)));
  }
}
