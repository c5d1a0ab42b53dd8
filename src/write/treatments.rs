//! Treatments (`lib/server/treatments.js`): normalised (`prepareData`), a `preBolus` with carbs
//! split into two records on create, then replace-upserted on Nightscout's key (identifier, else
//! `_id`, else `{created_at, eventType}`).

use serde_json::Value;

use super::{Writer, with_id};
use crate::domain::filter::{Filter, Query};
use crate::domain::purify::purify;
use crate::domain::time::now_ms;
use crate::domain::treatments::{self, Key};
use crate::domain::{Collection, Doc};
use crate::store::{StoreResult, Upsert, WriteMode, Written};

const T: Collection = Collection::Treatments;

/// One planned write: the document as it will be answered, its key and filter.
struct Planned {
    doc: Doc,
    key: Key,
    filter: Filter,
}

impl Writer {
    /// POST: each treatment normalised, `preBolus` split; answered in order with `_id`s.
    pub async fn create_treatments(&self, docs: Vec<Doc>) -> StoreResult<Vec<Doc>> {
        let now = now_ms();
        let planned = docs.into_iter().flat_map(|d| self.prepare(d, now, true)).collect();
        self.write_treatments(planned).await
    }

    /// PUT: the same key and normalisation; unlike Nightscout, `preBolus` does not take the
    /// carbs off the record (there is no second record on PUT).
    pub async fn update_treatments(&self, docs: Vec<Doc>) -> StoreResult<Vec<Doc>> {
        let now = now_ms();
        let planned = docs.into_iter().flat_map(|d| self.prepare(d, now, false)).collect();
        self.write_treatments(planned).await
    }

    fn plan(&self, mut doc: Doc) -> Planned {
        let (key, filter) = treatments::dedup(&mut doc, self.uuid_handling);
        Planned { doc, key, filter }
    }

    /// Normalises one treatment; with `split`, a `preBolus` with carbs becomes two records.
    fn prepare(&self, mut doc: Doc, now: i64, split: bool) -> Vec<Planned> {
        // Nightscout purifies POSTs only; an edit (PUT) can carry the same script.
        purify(&mut doc);
        let carbs = treatments::normalize(&mut doc, self.uuid_handling, now, split);
        let second = carbs.clone().and_then(|c| treatments::prebolus_record(&doc, c));
        if let (Some(c), None) = (carbs, &second) {
            doc.insert("carbs".into(), c); // never lose the carbs
        }
        let mut out = vec![self.plan(doc)];
        out.extend(second.map(|d| self.plan(d)));
        out
    }

    /// Replace-upserts in order; answers each document with its `_id` where Nightscout gives one.
    async fn write_treatments(&self, mut planned: Vec<Planned>) -> StoreResult<Vec<Doc>> {
        let items = planned.iter_mut().map(|p| (&p.filter, &mut p.doc)).collect();
        let matched = self.stamp_upserts(T, items).await?;
        let ops = planned
            .iter()
            .map(|p| Upsert { filter: p.filter.clone(), doc: p.doc.clone(), mode: WriteMode::Replace })
            .collect();
        let written = self.store.upsert_many(T, ops).await?;
        let mut out = Vec::with_capacity(planned.len());
        for ((p, w), matched) in planned.into_iter().zip(written).zip(matched) {
            let id = match (w, &p.key) {
                (Written::Inserted(id), _) => Some(id),
                (Written::Updated(Some(id)), Key::Identifier(_)) => Some(id),
                // The document read before the write (a replace keeps its `_id`).
                (Written::Updated(None), Key::Identifier(_)) if matched.is_some() => matched,
                (Written::Updated(None), Key::Identifier(_)) => {
                    let found = self.store.find(T, &Query::new(p.filter.clone()).limit(Some(1))).await?;
                    found.first().and_then(|d| d.get("_id")).and_then(Value::as_str).map(str::to_owned)
                }
                _ => None,
            };
            out.push(with_id(p.doc, id));
        }
        Ok(out)
    }
}
