//! MongoDB batch writes split under the server's limits: 16 MiB per command (with room for the
//! envelope) and `maxWriteBatchSize` statements.

use mongodb::bson::Document;

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
