//! SQLite reads beyond one query: in pages (`Store::find_pages`): one statement on a reader
//! connection, stepped on the blocking pool, its rows handed over a page at a time through a
//! channel of one page, so a large answer holds two pages in memory however many rows it has,
//! and one read snapshot from its first row to its last (a reader that goes away ends the
//! statement); and what a batch of upserts will write over (`Store::stamps_matched`), in one read.

use rusqlite::{Connection, params_from_iter};
use tokio::sync::mpsc;

use super::sqlite::{SqliteStore, first_match, map_err, with_id};
use super::sqlite_sql::SqlBuilder;
use super::{Collection, Pages, STAMP_FIELDS, StoreResult};
use crate::domain::Doc;
use crate::domain::filter::{Filter, Query};

pub(super) fn pages(store: &SqliteStore, table: &'static str, q: Query, page: usize) -> Pages {
    let (tx, rx) = mpsc::channel::<StoreResult<Vec<Doc>>>(1);
    let page = page.max(1);
    let read = store.read(move |conn| {
        if let Err(e) = step(conn, table, &q, page, &tx) {
            let _ = tx.blocking_send(Err(e));
        }
        Ok(())
    });
    tokio::spawn(read);
    Box::pin(futures_util::StreamExt::fuse(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|p| (p, rx))
    })))
}

/// Steps the query, sending a page whenever one is full; stops when the receiver is gone.
fn step(
    conn: &Connection,
    table: &str,
    q: &Query,
    page: usize,
    tx: &mpsc::Sender<StoreResult<Vec<Doc>>>,
) -> StoreResult<()> {
    let mut b = SqlBuilder::new();
    let w = b.filter(&q.filter);
    let tail = b.tail(q);
    let sql = format!("SELECT id, json(doc) FROM {table} WHERE {w}{tail}");
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let mut rows = stmt.query(params_from_iter(b.params.iter())).map_err(map_err)?;
    let mut chunk = Vec::with_capacity(page);
    let mut total = 0usize;
    while let Some(row) = rows.next().map_err(map_err)? {
        let (id, text) = (row.get::<_, String>(0).map_err(map_err)?, row.get::<_, String>(1).map_err(map_err)?);
        chunk.push(with_id(id, &text)?);
        if chunk.len() == page {
            total += page;
            if tx.blocking_send(Ok(std::mem::replace(&mut chunk, Vec::with_capacity(page)))).is_err() {
                tracing::debug!(%sql, rows = total, "sqlite paged find: reader gone");
                return Ok(());
            }
        }
    }
    total += chunk.len();
    if !chunk.is_empty() {
        let _ = tx.blocking_send(Ok(chunk));
    }
    tracing::debug!(%sql, rows = total, "sqlite paged find");
    Ok(())
}

/// For each filter, the stamp fields of the first document it matches.
pub(super) fn stamps(c: &Connection, coll: Collection, filters: &[Filter]) -> StoreResult<Vec<Option<Doc>>> {
    let stamps = |(id, doc): (String, Doc)| {
        let mut out: Doc = doc.into_iter().filter(|(k, _)| STAMP_FIELDS.contains(&k.as_str())).collect();
        out.insert("_id".into(), id.into());
        out
    };
    filters.iter().map(|f| Ok(first_match(c, coll, f)?.map(stamps))).collect()
}
