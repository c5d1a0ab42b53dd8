import { describe, expect, it } from 'vitest';
import { directionOf } from './direction';
import { errorCode, isCgmError } from './errorcodes';

describe('direction arrows', () => {
  it('maps every Nightscout direction name', () => {
    const cases: [string, string][] = [
      ['NONE', '⇼'], ['TripleUp', '⤊'], ['DoubleUp', '⇈'], ['SingleUp', '↑'], ['FortyFiveUp', '↗'],
      ['Flat', '→'], ['FortyFiveDown', '↘'], ['SingleDown', '↓'], ['DoubleDown', '⇊'], ['TripleDown', '⤋'],
      ['NOT COMPUTABLE', '-'], ['RATE OUT OF RANGE', '⇕'],
    ];
    for (const [name, arrow] of cases) expect(directionOf(name, 120).arrow).toBe(arrow);
  });
  it('unknown is "-", and a CGM error is ✖', () => {
    expect(directionOf('Sideways', 120).arrow).toBe('-');
    expect(directionOf(undefined).arrow).toBe('-');
    expect(directionOf('toString').arrow).toBe('-');
    expect(directionOf('Flat', 10).arrow).toBe('✖');
    expect(directionOf('Flat', 39).arrow).toBe('→');
  });
  it('has words for screen readers', () => {
    expect(directionOf('DoubleDown', 100).label).toBe('falling fast');
  });
});

describe('CGM error codes', () => {
  it('maps the known codes and N?? otherwise', () => {
    expect([1, 2, 3, 5, 6, 9, 10, 12].map(errorCode)).toEqual(['?SN', '?MD', '?NA', '?NC', '?CD', '?AD', '???', '?RF']);
    expect(errorCode(4)).toBe('N??');
    expect(errorCode(0)).toBe('N??');
    expect(isCgmError(38)).toBe(true);
    expect(isCgmError(39)).toBe(false);
  });
});
