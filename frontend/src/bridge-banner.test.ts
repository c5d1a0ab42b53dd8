import { describe, expect, it } from 'vitest';
import { bridgeAlerts } from './bridge-banner';

describe('bridge banner', () => {
  it('shows only bridges that ask for attention, in their own words', () => {
    const status = {
      bridges: [
        { source: 'dexcomshare', alert: false, message: 'Dexcom Share is working' },
        { source: 'linkup', alert: true, message: 'LibreLinkUp needs you: accept its new terms of use', nextAttempt: null },
      ],
    };
    expect(bridgeAlerts(status)).toEqual(['LibreLinkUp needs you: accept its new terms of use']);
  });

  it('names the next try when there is one', () => {
    const lines = bridgeAlerts({ bridges: [{ alert: true, message: 'Dexcom Share has failed for 20 min: x', nextAttempt: 0 }] });
    expect(lines[0]).toMatch(/^Dexcom Share has failed for 20 min: x Next try at /);
  });

  it('shows nothing without bridges or with odd payloads', () => {
    expect(bridgeAlerts({})).toEqual([]);
    expect(bridgeAlerts(null)).toEqual([]);
    expect(bridgeAlerts({ bridges: [null, { alert: 'yes', message: 1 }] })).toEqual([]);
  });
});
