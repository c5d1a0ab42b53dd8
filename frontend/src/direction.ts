/** Direction names to arrows (spec §9, Nightscout `lib/plugins/direction.js`). */
const ARROWS: Record<string, string> = {
  NONE: '⇼',
  TripleUp: '⤊',
  DoubleUp: '⇈',
  SingleUp: '↑',
  FortyFiveUp: '↗',
  Flat: '→',
  FortyFiveDown: '↘',
  SingleDown: '↓',
  DoubleDown: '⇊',
  TripleDown: '⤋',
  'NOT COMPUTABLE': '-',
  'RATE OUT OF RANGE': '⇕',
};

/** Words for screen readers. */
const WORDS: Record<string, string> = {
  NONE: 'no direction',
  TripleUp: 'rising very fast',
  DoubleUp: 'rising fast',
  SingleUp: 'rising',
  FortyFiveUp: 'rising slowly',
  Flat: 'steady',
  FortyFiveDown: 'falling slowly',
  SingleDown: 'falling',
  DoubleDown: 'falling fast',
  TripleDown: 'falling very fast',
  'NOT COMPUTABLE': 'direction not computable',
  'RATE OUT OF RANGE': 'rate out of range',
};

export interface Direction {
  arrow: string;
  label: string;
}

/** The arrow for a reading; a CGM error (BG < 39) is `✖`, an unknown name `-`. */
export function directionOf(name: string | undefined, mgdl?: number): Direction {
  if (mgdl !== undefined && mgdl < 39) return { arrow: '✖', label: 'CGM error' };
  if (name !== undefined && Object.hasOwn(ARROWS, name)) {
    return { arrow: ARROWS[name] as string, label: WORDS[name] as string };
  }
  return { arrow: '-', label: 'direction unknown' };
}
