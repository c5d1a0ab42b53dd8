import { describe, expect, it } from 'vitest';
import { PendingStore, buildTreatment } from './careportal-form';

const at = Date.parse('2026-01-10T12:00:00Z');

class MemoryStorage implements Storage {
  private m = new Map<string, string>();
  get length(): number { return this.m.size; }
  clear(): void { this.m.clear(); }
  getItem(k: string): string | null { return this.m.get(k) ?? null; }
  key(i: number): string | null { return [...this.m.keys()][i] ?? null; }
  removeItem(k: string): void { this.m.delete(k); }
  setItem(k: string, v: string): void { this.m.set(k, v); }
}

describe('careportal form', () => {
  it('builds a meal bolus, a BG check in mmol and a temp target stored in mg/dL', () => {
    expect(buildTreatment({ eventType: 'Meal Bolus', at, enteredBy: 'Mum', values: { carbs: '45', insulin: '4,5', glucose: '99' } }, 'mg/dl')).toEqual({
      ok: true, treatment: { eventType: 'Meal Bolus', created_at: '2026-01-10T12:00:00.000Z', enteredBy: 'Mum', carbs: 45, insulin: 4.5 },
    });
    const bg = buildTreatment({ eventType: 'BG Check', at, enteredBy: '', values: { glucose: '5.4' } }, 'mmol');
    expect(bg.ok && bg.treatment).toMatchObject({ glucose: 5.4, glucoseType: 'Finger', units: 'mmol', enteredBy: 'Ferroscout' });
    const tt = buildTreatment({ eventType: 'Temporary Target', at, enteredBy: 'x', values: { targetBottom: '7', targetTop: '8', duration: '60', reason: 'Activity' } }, 'mmol');
    expect(tt.ok && tt.treatment).toMatchObject({ targetBottom: 126, targetTop: 144, duration: 60, reason: 'Activity', units: 'mg/dl' });
  });

  it('refuses what Nightscout could not use, naming the field', () => {
    expect(buildTreatment({ eventType: 'Correction Bolus', at, enteredBy: '', values: {} }, 'mg/dl')).toMatchObject({ ok: false, field: 'insulin' });
    expect(buildTreatment({ eventType: 'Meal Bolus', at, enteredBy: '', values: { carbs: '-5' } }, 'mg/dl')).toMatchObject({ ok: false, field: 'carbs' });
    expect(buildTreatment({ eventType: 'Note', at, enteredBy: '', values: { notes: ' ' } }, 'mg/dl')).toMatchObject({ ok: false, field: 'notes' });
    expect(buildTreatment({ eventType: 'Nope', at, enteredBy: '', values: {} }, 'mg/dl').ok).toBe(false);
    expect(buildTreatment({ eventType: 'Temporary Target', at, enteredBy: '', values: { targetBottom: '150', targetTop: '100', duration: '30' } }, 'mg/dl')).toMatchObject({ ok: false, field: 'targetBottom' });
  });

  it('keeps unsaved entries on the device, one per event type and time', () => {
    const s = new MemoryStorage();
    const p = new PendingStore(s);
    const a = { eventType: 'Note', created_at: '2026-01-10T12:00:00.000Z', notes: 'a' };
    p.add(a);
    p.add({ ...a, notes: 'a, edited' });
    expect(new PendingStore(s).all()).toEqual([{ ...a, notes: 'a, edited' }]);
    p.remove(a);
    expect(p.all()).toEqual([]);
    expect(s.length).toBe(0);
  });
});
