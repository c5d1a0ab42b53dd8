//! MongoDB reads: whole (`find`) or as a stream of pages from the cursor (`find_pages`), each
//! with the read time limit.

use futures_util::TryStreamExt;
use mongodb::bson::Document;

use super::StoreResult;
use super::mongo::{READ_TIME_LIMIT, map_err};
use super::mongo_bson::from_document;
use super::mongo_filter::{sort_doc, to_query};
use crate::domain::Doc;
use crate::domain::filter::Query;

pub(super) async fn find_in(c: mongodb::Collection<Document>, q: &Query) -> StoreResult<Vec<Doc>> {
    let cursor = cursor(c, q, None).await?;
    let docs: Vec<Document> = cursor.try_collect().await.map_err(map_err)?;
    Ok(docs.into_iter().map(from_document).collect())
}

/// `find` as a stream of pages: the cursor fetches `page` documents per round trip.
pub(super) fn pages_in(c: mongodb::Collection<Document>, q: Query, page: usize) -> super::Pages {
    use futures_util::StreamExt;
    let page = page.max(1);
    futures_util::stream::once(async move { cursor(c, &q, Some(page)).await })
        .map(move |opened| match opened {
            Ok(cur) => cur
                .map(|d| d.map(from_document).map_err(map_err))
                .chunks(page)
                .map(|chunk| chunk.into_iter().collect::<StoreResult<Vec<Doc>>>())
                .boxed(),
            Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
        })
        .flatten()
        .boxed()
}

async fn cursor(
    c: mongodb::Collection<Document>,
    q: &Query,
    batch: Option<usize>,
) -> StoreResult<mongodb::Cursor<Document>> {
    let filter = to_query(&q.filter);
    tracing::debug!(collection = c.name(), fields = ?filter.keys().collect::<Vec<_>>(), limit = ?q.limit, "mongodb find");
    let mut find = c.find(filter);
    if !q.sort.is_empty() {
        find = find.sort(sort_doc(&q.sort));
    }
    if q.skip > 0 {
        find = find.skip(q.skip);
    }
    if let Some(l) = q.limit {
        find = find.limit(l.min(i64::MAX as u64) as i64);
    }
    if let Some(b) = batch {
        find = find.batch_size(u32::try_from(b).unwrap_or(u32::MAX));
    }
    // A slow query (an unanchored regex over years of data) holds a pool connection at most this long.
    find.max_time(READ_TIME_LIMIT).await.map_err(map_err)
}
