/** CGM error codes: readings below 39 mg/dL (spec §9, `lib/plugins/errorcodes.js`). */
const CODES: Record<number, string> = {
  1: '?SN',
  2: '?MD',
  3: '?NA',
  5: '?NC',
  6: '?CD',
  9: '?AD',
  10: '???',
  12: '?RF',
};

const MEANINGS: Record<number, string> = {
  1: 'sensor not active',
  2: 'minimal deviation',
  3: 'no antenna',
  5: 'sensor not calibrated',
  6: 'counts deviation',
  9: 'absolute deviation',
  10: 'power deviation',
  12: 'bad RF',
};

export function isCgmError(mgdl: number): boolean {
  return mgdl < 39;
}

/** The code shown instead of a number, e.g. `?NA`; unknown codes are `N??`. */
export function errorCode(mgdl: number): string {
  return CODES[mgdl] ?? 'N??';
}

/** A phrase for screen readers and the title attribute. */
export function errorMeaning(mgdl: number): string {
  return MEANINGS[mgdl] ?? 'unknown CGM error';
}
