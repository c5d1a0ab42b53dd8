import { describe, expect, it } from 'vitest';
import { MMOL_TO_MGDL, formatBg, mgdlToMmol, mmolToMgdl, parseUnits, scale, unitsLabel } from './units';

describe('units', () => {
  it('uses Nightscout 15 factor 18.01559, not 18', () => {
    expect(MMOL_TO_MGDL).toBe(18.01559);
    expect(mgdlToMmol(100)).toBe(5.6);
    expect(mgdlToMmol(180)).toBe(10);
    expect(mgdlToMmol(39)).toBe(2.2);
    expect(mmolToMgdl(5.5)).toBe(99);
    expect(mmolToMgdl(10)).toBe(180);
  });
  it('formats in display units', () => {
    expect(formatBg(180, 'mmol')).toBe('10.0');
    expect(formatBg(123, 'mg/dl')).toBe('123');
    expect(scale(123.4, 'mg/dl')).toBe(123);
    expect(unitsLabel('mmol')).toBe('mmol/L');
  });
  it('parses DISPLAY_UNITS like Nightscout', () => {
    expect(parseUnits('mmol')).toBe('mmol');
    expect(parseUnits('MMOL/L')).toBe('mmol');
    expect(parseUnits('mg/dl')).toBe('mg/dl');
    expect(parseUnits(undefined)).toBe('mg/dl');
  });
});
