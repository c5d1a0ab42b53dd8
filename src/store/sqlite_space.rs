//! Space on the embedded store: the size limit (`FERROSCOUT_SQLITE_MAX_SIZE_MB`, SQLite's
//! `max_page_count` on the writer), and the write probe that tells whether new data still fits.
//! A write past the limit fails as a full disk does (SQLITE_FULL): 507, nothing written.

use rusqlite::Connection;

use super::StoreResult;
use super::sqlite::map_err;

/// Where the probe writes; it is emptied again in the same transaction.
pub(super) const PROBE_TABLE: &str = "ferroscout_probe";

/// Bytes the probe needs: more than a page, so it allocates pages as a reading does.
const PROBE_BYTES: i64 = 8192;

/// Creates the probe's table.
pub(super) fn create_probe_table(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(&format!("CREATE TABLE IF NOT EXISTS {PROBE_TABLE} (b BLOB)")).map_err(map_err)
}

/// Caps the database at `max_bytes` (rounded down to whole pages, at least what it holds now:
/// SQLite never sets the limit below the current size, so a database already over it takes no
/// more data until some is deleted).
pub(super) fn limit(conn: &Connection, max_bytes: u64) -> StoreResult<()> {
    let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0)).map_err(map_err)?;
    let pages = (max_bytes / page.max(512) as u64).max(1);
    let set: i64 = conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| r.get(0)).map_err(map_err)?;
    if (set as u64) > pages {
        tracing::warn!(
            limit_pages = pages,
            size_pages = set,
            "the database is already over FERROSCOUT_SQLITE_MAX_SIZE_MB: new data is refused until old data is deleted"
        );
    }
    Ok(())
}

/// Inside a write transaction: stores and removes a blob that needs new pages. Fails as a real
/// write would when the database or the disk is full; leaves nothing behind.
pub(super) fn probe(tx: &Connection) -> StoreResult<()> {
    tx.execute(&format!("INSERT INTO {PROBE_TABLE} (b) VALUES (randomblob(?1))"), [PROBE_BYTES]).map_err(map_err)?;
    tx.execute(&format!("DELETE FROM {PROBE_TABLE}"), []).map_err(map_err)?;
    Ok(())
}
