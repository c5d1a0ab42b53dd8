//! Storage of access-token subjects and roles in Nightscout's shapes (`lib/authorization/storage.js`):
//! subject `{_id, name, roles, notes?, created_at}`, role `{_id, name, permissions, notes?, created_at}`;
//! and the JWT signing key, created once and shared by every instance on the same database.

use crate::domain::Doc;

use super::StoreResult;

/// Which of the two authorization collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    Subjects,
    Roles,
}

impl AuthKind {
    /// The collection name after `MONGO_AUTHENTICATION_COLLECTIONS_PREFIX` (`auth_` by default).
    pub fn suffix(self) -> &'static str {
        match self {
            AuthKind::Subjects => "subjects",
            AuthKind::Roles => "roles",
        }
    }
}

/// The name of the key document (MongoDB `<prefix>keys`, SQLite `auth_keys`).
pub const JWT_KEY_ID: &str = "jwt";

/// Subjects, roles and the JWT key, in each backend.
#[async_trait::async_trait]
pub trait AuthStore: Send + Sync {
    /// Every document of `kind`, `_id` as a string.
    async fn auth_list(&self, kind: AuthKind) -> StoreResult<Vec<Doc>>;
    /// Inserts `doc` (an `_id` is created when absent) and returns it with its `_id`.
    async fn auth_insert(&self, kind: AuthKind, doc: Doc) -> StoreResult<Doc>;
    /// Replaces (or inserts) the document with `doc`'s `_id`.
    async fn auth_replace(&self, kind: AuthKind, doc: Doc) -> StoreResult<()>;
    /// Deletes the document with this `_id`; false if there was none.
    async fn auth_delete(&self, kind: AuthKind, id: &str) -> StoreResult<bool>;
    /// The stored JWT signing key; stores `candidate` first when there is none yet. Every caller
    /// (every instance on the same database) gets the same key.
    async fn jwt_key(&self, candidate: String) -> StoreResult<String>;
}
