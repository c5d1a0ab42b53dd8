//! MongoDB change streams: every insert, update, replace and delete in Nightscout's collections,
//! by anyone (another Ferroscout, an old Nightscout, a tool), as the engine applies writes.
//! Needs a replica set (one node is enough); on a standalone server opening the stream fails
//! and the engine's periodic reconcile alone finds such writes.

use std::collections::HashMap;

use futures_util::StreamExt;
use mongodb::bson::Document;
use mongodb::change_stream::event::{ChangeStreamEvent, OperationType};

use super::mongo_bson::{from_bson, from_document, to_document};
use super::notify::{Wrote, id_filter};
use super::{Collection, StoreResult, Watch};
use crate::domain::Doc;
use crate::domain::filter::Filter;

/// Opens a change stream on the whole database.
pub(super) async fn watch(db: &mongodb::Database, names: HashMap<String, Collection>) -> StoreResult<Watch> {
    // With the document itself (inserts always carry it; updates ask for the current one), so
    // the engine applies what was written without reading it back; our own writes, which the
    // engine has already applied from the write path, then change nothing and cost no query.
    let stream = db
        .watch()
        .full_document(mongodb::options::FullDocumentType::UpdateLookup)
        .await
        .map_err(super::mongo::map_err)?;
    let events = stream.filter_map(move |ev| {
        let out = match ev {
            Err(e) => Some(Err(super::mongo::map_err(e))),
            Ok(ev) => change(&names, ev).map(Ok),
        };
        std::future::ready(out)
    });
    Ok(Box::pin(events))
}

fn change(names: &HashMap<String, Collection>, ev: ChangeStreamEvent<Document>) -> Option<(Collection, Wrote)> {
    let coll = *names.get(ev.ns.as_ref()?.coll.as_ref()?)?;
    let id = match ev.document_key.as_ref().and_then(|k| k.get("_id")).cloned().map(from_bson) {
        Some(serde_json::Value::String(s)) => Some(id_filter(&s)),
        _ => None,
    };
    match ev.operation_type {
        OperationType::Insert | OperationType::Update | OperationType::Replace => match ev.full_document {
            Some(full) => Some((coll, Wrote::Stored(vec![from_document(full)]))),
            // Deleted again before the lookup, or a server that does not send it: read it back.
            None => Some((coll, Wrote::Touched(vec![id?]))),
        },
        OperationType::Delete => Some((coll, Wrote::Deleted(id?))),
        OperationType::Drop | OperationType::Rename => Some((coll, Wrote::Deleted(Filter::All))),
        _ => None,
    }
}

/// A document as MongoDB gives it back (integral doubles as integers, ObjectIds as hex).
pub(super) fn as_stored(doc: &Doc) -> Doc {
    from_document(to_document(doc))
}
