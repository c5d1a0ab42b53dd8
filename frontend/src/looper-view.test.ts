import { describe, expect, it } from 'vitest';
import { emptyData } from './data';
import { looperChartParts, recentAnnouncement } from './looper-view';

const now = Date.parse('2026-01-10T12:00:00Z');

describe('looper view parts', () => {
  it('shows the newest announcement of the last hour only', () => {
    const tr = [
      { _id: 'a', mills: now - 2 * 3600_000, eventType: 'Announcement', notes: 'old' },
      { _id: 'b', mills: now - 10 * 60_000, eventType: 'Announcement', notes: 'new' },
      { _id: 'c', mills: now - 5 * 60_000, eventType: 'Note', notes: 'not one' },
    ];
    expect(recentAnnouncement(tr, now)?.message).toBe('new');
    expect(recentAnnouncement(tr.slice(0, 1), now)).toBeNull();
  });

  it('gives the chart nothing extra for a non-looper', () => {
    const d = { ...emptyData(), sgvs: [{ mills: now - 300_000, mgdl: 100 }, { mills: now, mgdl: 104 }] };
    const parts = looperChartParts(d, 3, now);
    expect(parts.basal).toEqual([]);
    expect(parts.curves).toEqual([]);
    expect(parts.cone).toHaveLength(13);
  });
});
