//! One home for each collection's write rules: normalisation, dedup, `_id` checks and what a
//! write answers with. REST v1 and the socket write events call these (and so will API v3, the
//! bridges and the careportal), so a rule is never written twice. Every write goes through the
//! notifying store, so realtime pushes follow from here without any caller remembering them.

use std::sync::Arc;

use serde_json::Value;

use crate::config::Config;
use crate::domain::Doc;
use crate::domain::filter::{Filter, Val, is_object_id};
use crate::store::Store;

mod delete;
mod documents;
mod entries;
mod socket;
pub(crate) mod stamp;
mod treatments;
pub(crate) mod v3;

pub(crate) use entries::incoming as incoming_entries;

pub(crate) use documents::{check_given_ids, invalid_given_id};

/// The write side of the application: the store plus the settings the rules depend on.
#[derive(Clone)]
pub struct Writer {
    store: Arc<dyn Store>,
    /// `UUID_HANDLING`: a UUID `_id` moves to `identifier`.
    uuid_handling: bool,
    /// `PREDICTIONS_MAX_SIZE`: OpenAPS `predBGs` arrays are cut to this length (0 = no cut).
    predictions_max_size: usize,
    /// The last `srvModified` handed out (`stamp::Clock`).
    clock: stamp::Clock,
}

impl Writer {
    pub fn new(store: Arc<dyn Store>, config: &Config) -> Writer {
        Writer {
            store,
            uuid_handling: config.uuid_handling,
            predictions_max_size: config.predictions_max_size,
            clock: stamp::Clock::default(),
        }
    }
}

/// `{_id, ...doc}` unless the document has its `_id` already.
fn with_id(mut doc: Doc, id: Option<String>) -> Doc {
    match id {
        Some(id) if !doc.contains_key("_id") => {
            let mut d = Doc::with_capacity(doc.len() + 1);
            d.insert("_id".into(), Value::String(id));
            d.append(&mut doc);
            d
        }
        _ => doc,
    }
}

/// `_id` as stores match it: a 24-hex id also matches an ObjectId.
pub(crate) fn id_filter(id: &str) -> Filter {
    let v = if is_object_id(id) { Val::ObjectId(id.to_ascii_lowercase()) } else { Val::Str(id.to_owned()) };
    Filter::eq("_id", v)
}
