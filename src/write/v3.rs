//! API v3's writes (`lib/api3/generic/{create,update,patch,delete}`; spec 6): dedup on create,
//! replace, patch and soft or permanent delete, with the stamps every write gets. Handlers
//! check permissions through `Grants`; the rules live here.

use serde_json::Value;

use super::Writer;
use super::stamp::{identifier_of, str_field};
use crate::domain::filter::{Cond, Filter, Query, Val, is_object_id};
use crate::domain::v3::{self as rules, Invalid};
use crate::domain::{Collection, Doc};
use crate::store::{StoreError, Upsert, WriteMode, new_object_id};

/// Why a v3 write was not made.
#[derive(Debug)]
pub(crate) enum Refused {
    Invalid(Invalid),
    /// The permission that is missing, e.g. `api:treatments:update`.
    Forbidden(String),
    NotFound,
    Gone,
    /// Changed since the client's `If-Unmodified-Since` (412).
    Modified,
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Refused::Store(e)
    }
}

impl From<Invalid> for Refused {
    fn from(e: Invalid) -> Self {
        Refused::Invalid(e)
    }
}

/// What the caller may do to the collection, and who they are.
pub(crate) struct Grants {
    pub create: bool,
    pub update: bool,
    pub subject: Option<String>,
}

impl Grants {
    fn need(&self, ok: bool, coll: Collection, op: &str) -> Result<(), Refused> {
        if ok { Ok(()) } else { Err(Refused::Forbidden(format!("api:{}:{op}", coll.default_name()))) }
    }
}

/// What a create or update did.
#[derive(Debug)]
pub(crate) enum Saved {
    Created {
        identifier: String,
        at: i64,
    },
    /// Written over a stored document: a dedup, or an update (`identifier` changed or dedup).
    Replaced {
        identifier: String,
        previous: String,
        dedup: bool,
        at: i64,
    },
}

/// Stored documents `identifier` names: by `identifier`, or by `_id` (`filterForOne`).
pub(crate) fn by_identifier(identifier: &str) -> Filter {
    let mut any = vec![Filter::eq("identifier", Val::Str(identifier.to_owned()))];
    if is_object_id(identifier) {
        any.push(Filter::eq("_id", Val::ObjectId(identifier.to_ascii_lowercase())));
    }
    Filter::Or(any)
}

impl Writer {
    /// The stored, live document `identifier` names.
    pub(crate) async fn v3_find(&self, coll: Collection, identifier: &str) -> Result<Option<Doc>, StoreError> {
        let live = by_identifier(identifier).and(Filter::field("isValid", Cond::Ne(Val::Bool(false))));
        self.first(coll, live).await
    }

    /// True when `identifier` names a deleted document (a tombstone, or a stored `isValid: false`).
    pub(crate) async fn v3_deleted(&self, coll: Collection, identifier: &str) -> Result<bool, StoreError> {
        let q = Query::new(super::id_filter(identifier)).limit(Some(1));
        if !self.store.buried(coll, &q).await?.is_empty() {
            return Ok(true);
        }
        let gone = by_identifier(identifier).and(Filter::eq("isValid", Val::Bool(false)));
        Ok(self.first(coll, gone).await?.is_some())
    }

    /// The document a create duplicates: same identifier, or (for a stored document that
    /// never had an identifier of its own) the same dedup fields.
    async fn duplicate_of(&self, coll: Collection, doc: &Doc) -> Result<Option<Doc>, StoreError> {
        if let Some(id) = str_field(doc, "identifier")
            && let Some(found) = self.first(coll, by_identifier(id)).await?
        {
            return Ok(Some(found));
        }
        let fields = rules::dedup_fields(coll);
        let values: Vec<(&str, &Value)> = fields.iter().filter_map(|f| doc.get(*f).map(|v| (*f, v))).collect();
        if fields.is_empty() || values.len() < fields.len() {
            return Ok(None);
        }
        let filter = values.iter().fold(Filter::All, |f, (k, v)| f.and(Filter::eq(*k, Val::from_json(v))));
        let found = self.store.find(coll, &Query::new(filter).limit(Some(20))).await?;
        // A v1 document: no identifier, or the one stamped from its `_id`.
        Ok(found.into_iter().find(|d| str_field(d, "identifier").is_none_or(|i| Some(i) == str_field(d, "_id"))))
    }

    /// POST: dedup (200) or insert (201).
    pub(crate) async fn v3_create(&self, coll: Collection, mut doc: Doc, who: &Grants) -> Result<Saved, Refused> {
        if doc.is_empty() {
            return Err(Invalid::Body.into());
        }
        rules::parse_date(&mut doc);
        rules::resolve_identifier(&mut doc);
        match self.duplicate_of(coll, &doc).await? {
            Some(stored) => self.replace(coll, doc, stored, who, true).await,
            None => self.insert(coll, doc, who).await,
        }
    }

    /// PUT: replace the document `identifier` names, or insert it (201).
    pub(crate) async fn v3_update(
        &self,
        coll: Collection,
        identifier: &str,
        mut doc: Doc,
        who: &Grants,
    ) -> Result<Saved, Refused> {
        if doc.is_empty() {
            return Err(Invalid::Body.into());
        }
        rules::parse_date(&mut doc);
        doc.entry("identifier").or_insert_with(|| Value::String(identifier.to_owned()));
        match self.v3_find(coll, identifier).await? {
            Some(stored) => self.replace(coll, doc, stored, who, false).await,
            None if self.v3_deleted(coll, identifier).await? => Err(Refused::Gone),
            None => self.insert(coll, doc, who).await,
        }
    }

    async fn insert(&self, coll: Collection, mut doc: Doc, who: &Grants) -> Result<Saved, Refused> {
        who.need(who.create, coll, "create")?;
        rules::validate_create(&doc)?;
        let now = self.tick();
        let identifier = str_field(&doc, "identifier").unwrap_or_default().to_owned();
        if !doc.get("_id").and_then(Value::as_str).is_some_and(is_object_id) {
            doc.insert("_id".into(), Value::String(new_object_id()));
        }
        doc.insert("srvCreated".into(), now.into());
        doc.insert("srvModified".into(), now.into());
        if let Some(s) = &who.subject {
            doc.insert("subject".into(), Value::String(s.clone()));
        }
        self.store.insert_many(coll, vec![doc]).await?;
        // A document created again under a deleted identifier is alive again.
        self.store.unbury(coll, &super::id_filter(&identifier)).await?;
        Ok(Saved::Created { identifier, at: now })
    }

    async fn replace(
        &self,
        coll: Collection,
        mut doc: Doc,
        stored: Doc,
        who: &Grants,
        dedup: bool,
    ) -> Result<Saved, Refused> {
        who.need(who.update, coll, "update")?;
        let previous = identifier_of(&stored).unwrap_or_default();
        rules::validate_update(&doc, &stored, &previous, false, dedup)?;
        let now = self.tick();
        let id = stored.get("_id").cloned().unwrap_or(Value::Null);
        doc.insert("_id".into(), id.clone());
        doc.entry("identifier").or_insert_with(|| Value::String(previous.clone()));
        let created = stored.get("srvCreated").filter(|v| v.is_number()).cloned().unwrap_or_else(|| now.into());
        doc.insert("srvCreated".into(), created);
        doc.insert("srvModified".into(), now.into());
        if let Some(s) = &who.subject {
            doc.insert("subject".into(), Value::String(s.clone()));
        }
        let identifier = str_field(&doc, "identifier").unwrap_or_default().to_owned();
        let filter = super::id_filter(id.as_str().unwrap_or_default());
        self.store.upsert_many(coll, vec![Upsert { filter, doc, mode: WriteMode::Replace }]).await?;
        Ok(Saved::Replaced { identifier, previous, dedup, at: now })
    }

    /// PATCH: the given fields set on the document `identifier` names.
    pub(crate) async fn v3_patch(
        &self,
        coll: Collection,
        identifier: &str,
        mut patch: Doc,
        who: &Grants,
        if_unmodified_since: Option<i64>,
    ) -> Result<i64, Refused> {
        if patch.is_empty() {
            return Err(Invalid::Body.into());
        }
        who.need(who.update, coll, "update")?;
        let Some(stored) = self.v3_find(coll, identifier).await? else {
            return Err(if self.v3_deleted(coll, identifier).await? { Refused::Gone } else { Refused::NotFound });
        };
        if let (Some(since), Some(modified)) = (if_unmodified_since, modified_ms(coll, &stored))
            && modified / 1000 > since / 1000
        {
            return Err(Refused::Modified);
        }
        let previous = identifier_of(&stored).unwrap_or_default();
        rules::validate_update(&patch, &stored, &previous, true, false)?;
        let now = self.tick();
        patch.remove("_id");
        patch.insert("srvModified".into(), now.into());
        if let Some(s) = &who.subject {
            patch.insert("modifiedBy".into(), Value::String(s.clone()));
        }
        let id = stored.get("_id").and_then(Value::as_str).unwrap_or_default();
        if !self.store.update_by_id(coll, id, patch, Vec::new()).await? {
            return Err(Refused::NotFound);
        }
        Ok(now)
    }

    /// DELETE: soft (a tombstone for history) or, with `permanent`, without a trace.
    pub(crate) async fn v3_delete(&self, coll: Collection, identifier: &str, permanent: bool) -> Result<(), Refused> {
        let tomb = super::id_filter(identifier);
        match self.v3_find(coll, identifier).await? {
            Some(stored) if rules::is_read_only(&stored) => Err(Invalid::ReadOnly.into()),
            Some(stored) => {
                self.delete_docs(coll, vec![stored], !permanent).await?;
                if permanent {
                    self.store.unbury(coll, &tomb).await?;
                }
                Ok(())
            }
            None if self.v3_deleted(coll, identifier).await? => {
                if permanent {
                    self.store.unbury(coll, &tomb).await?;
                    self.store.delete_many(coll, &by_identifier(identifier)).await?;
                }
                Ok(())
            }
            None => Err(Refused::NotFound),
        }
    }
}

/// `resolveDates`: `srvModified`, else the collection's date field.
pub(crate) fn modified_ms(coll: Collection, doc: &Doc) -> Option<i64> {
    match doc.get("srvModified").and_then(Value::as_f64) {
        Some(ms) => Some(ms as i64),
        None => crate::domain::time::field_ms(doc, rules::fallback_date_field(coll)),
    }
}
