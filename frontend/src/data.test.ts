import { describe, expect, it } from 'vitest';
import { applyDataUpdate, emptyData } from './data';

const now = 1_700_000_000_000;

describe('dataUpdate merging', () => {
  it('takes a full update, then merges deltas by mills and treatments by _id', () => {
    let s = applyDataUpdate(emptyData(), {
      sgvs: [{ _id: 'a', mgdl: 100, mills: now - 600_000, direction: 'Flat' }, { _id: 'b', mgdl: 105, mills: now - 300_000 }],
      treatments: [{ _id: 't1', mills: now - 100_000, carbs: 20 }],
      mbgs: [], cals: [], devicestatus: [], profiles: [],
    }, now);
    expect(s.sgvs.map((x) => x.mgdl)).toEqual([100, 105]);
    s = applyDataUpdate(s, { delta: true, lastUpdated: now, sgvs: [{ _id: 'c', mgdl: 110, mills: now, direction: 'SingleUp' }] }, now);
    expect(s.sgvs.map((x) => x.mgdl)).toEqual([100, 105, 110]);
    expect(s.treatments).toHaveLength(1);
    s = applyDataUpdate(s, { delta: true, lastUpdated: now, treatments: [
      { _id: 't1', mills: now - 100_000, carbs: 30, action: 'update' },
      { _id: 't2', mills: now - 50_000, insulin: 2.5 },
    ] }, now);
    expect(s.treatments.map((t) => [t._id, t.carbs ?? t.insulin])).toEqual([['t1', 30], ['t2', 2.5]]);
    s = applyDataUpdate(s, { delta: true, lastUpdated: now, treatments: [{ _id: 't1', mills: now - 100_000, action: 'remove' }] }, now);
    expect(s.treatments.map((t) => t._id)).toEqual(['t2']);
  });
  it('reads REST entries too and drops non-sgv entries', () => {
    const s = applyDataUpdate(emptyData(), { delta: true, sgvs: [
      { sgv: 120, date: now, type: 'sgv' }, { mbg: 100, date: now, type: 'mbg' },
    ] }, now);
    expect(s.sgvs).toEqual([{ mgdl: 120, mills: now }]);
  });
});
