/** Glucose units (spec §9, Nightscout `lib/units.js`): storage is always mg/dL. */
export const MMOL_TO_MGDL = 18.01559;

export type Units = 'mg/dl' | 'mmol';

/** Nightscout's `DISPLAY_UNITS` rule: anything containing "mmol" is mmol/L. */
export function parseUnits(raw: unknown): Units {
  return typeof raw === 'string' && raw.toLowerCase().includes('mmol') ? 'mmol' : 'mg/dl';
}

/** `mgdlToMMOL`: rounded to one decimal. */
export function mgdlToMmol(mgdl: number): number {
  return Math.round((mgdl / MMOL_TO_MGDL) * 10) / 10;
}

/** `mmolToMgdl`: rounded to a whole mg/dL. */
export function mmolToMgdl(mmol: number): number {
  return Math.round(mmol * MMOL_TO_MGDL);
}

/** A value in display units, as a number (mmol to 0.1, mg/dL whole). */
export function scale(mgdl: number, units: Units): number {
  return units === 'mmol' ? mgdlToMmol(mgdl) : Math.round(mgdl);
}

/** A value in display units, as text: `5.5` or `99`. */
export function formatBg(mgdl: number, units: Units): string {
  return units === 'mmol' ? mgdlToMmol(mgdl).toFixed(1) : String(Math.round(mgdl));
}

export function unitsLabel(units: Units): string {
  return units === 'mmol' ? 'mmol/L' : 'mg/dL';
}
