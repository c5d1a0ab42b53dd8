//! MongoDB batch writes split under the server's limits: 16 MiB per command (with room for the
//! envelope) and `maxWriteBatchSize` statements; and the reads a batch of upserts needs before
//! it is written (`Store::stamps_matched`), one aggregate per chunk of filters.

use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};

use super::StoreResult;
use super::mongo::map_err;
use super::mongo_bson::from_document;
use super::mongo_filter::to_query;
use crate::domain::Doc;
use crate::domain::filter::Filter;

/// Filters per aggregate: one `$match` on all of them (indexed), then a `$facet` branch per
/// filter takes the first document it matches, projected to the stamp fields (so the one
/// result document stays far under 16 MiB).
pub(super) const MATCH_CHUNK: usize = 500;

pub(super) async fn stamps_matched(
    c: mongodb::Collection<Document>,
    filters: Vec<Filter>,
) -> StoreResult<Vec<Option<Doc>>> {
    let mut out = Vec::with_capacity(filters.len());
    for chunk in filters.chunks(MATCH_CHUNK) {
        let queries: Vec<Document> = chunk.iter().map(to_query).collect();
        let project: Document = super::STAMP_FIELDS.iter().map(|f| (f.to_string(), Bson::Int32(1))).collect();
        let facets: Document = queries
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let branch = vec![doc! {"$match": q.clone()}, doc! {"$limit": 1}, doc! {"$project": project.clone()}];
                (i.to_string(), Bson::from(branch))
            })
            .collect();
        let pipeline = vec![doc! {"$match": {"$or": queries}}, doc! {"$facet": facets}];
        tracing::debug!(collection = c.name(), filters = chunk.len(), "mongodb stamps read (one aggregate)");
        let mut cursor = c.aggregate(pipeline).await.map_err(map_err)?;
        let result = cursor.try_next().await.map_err(map_err)?.unwrap_or_default();
        for i in 0..chunk.len() {
            let first = result.get_array(i.to_string()).ok().and_then(|a| a.first()).and_then(Bson::as_document);
            out.push(first.cloned().map(from_document));
        }
    }
    Ok(out)
}

/// Bytes of update statements per command: under 16 MiB with room for the envelope.
const MAX_BATCH_BYTES: usize = 12 << 20;
/// MongoDB's `maxWriteBatchSize`.
const MAX_BATCH_OPS: usize = 100_000;

/// Consecutive runs of `updates` within the batch limits, each with the index of its first.
pub(super) fn batches(updates: Vec<Document>) -> Vec<(usize, Vec<Document>)> {
    let mut out: Vec<(usize, Vec<Document>)> = Vec::new();
    let mut bytes = 0;
    for (i, u) in updates.into_iter().enumerate() {
        let size = mongodb::bson::to_vec(&u).map_or(0, |v| v.len());
        let full = out.last().is_none_or(|(_, b)| b.len() >= MAX_BATCH_OPS || bytes + size > MAX_BATCH_BYTES);
        if full {
            out.push((i, Vec::new()));
            bytes = 0;
        }
        bytes += size;
        if let Some((_, b)) = out.last_mut() {
            b.push(u);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    #[test]
    fn upsert_batches_stay_under_the_message_limit_and_keep_their_offsets() {
        let big = "x".repeat(1 << 20);
        let updates: Vec<Document> = (0..40).map(|i| doc! {"q": {"i": i}, "u": {"pad": &big}}).collect();
        let b = batches(updates);
        assert!(b.len() >= 4, "40 MiB in batches of at most 12 MiB");
        assert_eq!(b[0].0, 0);
        for w in b.windows(2) {
            assert_eq!(w[1].0, w[0].0 + w[0].1.len(), "offsets follow on");
        }
        assert_eq!(b.iter().map(|(_, v)| v.len()).sum::<usize>(), 40);
        assert_eq!(batches(vec![doc! {"q": {}}]).len(), 1);
    }
}
