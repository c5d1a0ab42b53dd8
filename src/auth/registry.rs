//! The subjects and roles in memory (`lib/authorization/storage.js` `reload`): read from the
//! store, built-in roles added when the database has none of that name, tokens derived. Reloaded
//! after every change made here, when older than [`MAX_AGE`] (changes made by another instance),
//! and when a presented token is not found (so a subject created elsewhere works at once).

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::token::{self, Derived};
use crate::domain::Doc;
use crate::store::{AuthKind, Store, StoreResult};

/// How long a loaded set is used before it is read again for a token lookup.
pub const MAX_AGE: Duration = Duration::from_secs(10);
/// A token not found triggers a reload at most this often.
const MISS_RELOAD: Duration = Duration::from_millis(500);

/// Nightscout's built-in roles (`storage.defaultRoles`).
pub const BUILTIN_ROLES: [(&str, &[&str]); 7] = [
    ("admin", &["*"]),
    ("denied", &[]),
    ("status-only", &["api:status:read"]),
    ("readable", &["*:*:read"]),
    ("careportal", &["api:treatments:create"]),
    ("devicestatus-upload", &["api:devicestatus:create"]),
    ("activity", &["api:activity:create"]),
];

#[derive(Debug, Clone)]
pub struct Role {
    pub name: String,
    pub permissions: Vec<String>,
    /// As stored (or `{name, permissions}` for a built-in one), for `GET /roles`.
    pub doc: Doc,
}

#[derive(Debug, Clone)]
pub struct Subject {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    /// `None` without `API_SECRET`: then no token exists.
    pub derived: Option<Derived>,
}

/// One consistent view of roles and subjects, both sorted by name.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub roles: Vec<Role>,
    pub subjects: Vec<Subject>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl Snapshot {
    /// Builds the view from stored documents; `secret_sha1` is the API secret's SHA-1 hex.
    pub fn build(role_docs: Vec<Doc>, subject_docs: Vec<Doc>, secret_sha1: Option<&str>) -> Snapshot {
        let mut roles: Vec<Role> = role_docs
            .into_iter()
            .map(|d| Role { name: text(d.get("name")), permissions: strings(d.get("permissions")), doc: d })
            .collect();
        for (name, perms) in BUILTIN_ROLES {
            if !roles.iter().any(|r| r.name == name) {
                let doc = json!({"name": name, "permissions": perms});
                let doc = doc.as_object().cloned().unwrap_or_default();
                roles.push(Role { name: name.into(), permissions: perms.iter().map(|p| p.to_string()).collect(), doc });
            }
        }
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        let mut subjects: Vec<Subject> = subject_docs
            .into_iter()
            .map(|d| {
                let (id, name) = (text(d.get("_id")), text(d.get("name")));
                let derived = secret_sha1.map(|s| token::derive(s, &id, &name));
                Subject { id, name, roles: strings(d.get("roles")), derived }
            })
            .collect();
        subjects.sort_by(|a, b| a.name.cmp(&b.name));
        Snapshot { roles, subjects }
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The permissions of each named role, in order; an unknown role has none.
    pub fn groups(&self, roles: &[String]) -> Vec<Vec<String>> {
        roles.iter().map(|r| self.role(r).map(|r| r.permissions.clone()).unwrap_or_default()).collect()
    }

    /// The first subject (by name) whose token `presented` is (`findSubject`).
    pub fn find(&self, presented: &str) -> Option<&Subject> {
        self.subjects.iter().find(|s| s.derived.as_ref().is_some_and(|d| token::matches(d, presented)))
    }
}

/// The current view and how to refresh it.
pub struct Registry {
    store: Arc<dyn Store>,
    secret_sha1: Option<String>,
    current: RwLock<Arc<Snapshot>>,
    /// When the last load finished (successful or not); `None` before the first.
    attempted: Mutex<Option<Instant>>,
    loading: tokio::sync::Mutex<()>,
}

impl Registry {
    pub fn new(store: Arc<dyn Store>, secret_sha1: Option<String>) -> Registry {
        let builtins = Snapshot::build(Vec::new(), Vec::new(), None);
        Registry {
            store,
            secret_sha1,
            current: RwLock::new(Arc::new(builtins)),
            attempted: Mutex::default(),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The view in memory, without reading the store.
    pub fn cached(&self) -> Arc<Snapshot> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn age(&self) -> Option<Duration> {
        self.attempted.lock().unwrap_or_else(|e| e.into_inner()).map(|t| t.elapsed())
    }

    /// Reads roles and subjects again; on a store error the previous view stays in use.
    pub async fn reload(&self) -> StoreResult<Arc<Snapshot>> {
        let _one_at_a_time = self.loading.lock().await;
        self.load().await
    }

    /// The load itself; the caller holds `loading`.
    async fn load(&self) -> StoreResult<Arc<Snapshot>> {
        let auth = self.store.auth();
        let loaded = async { Ok((auth.auth_list(AuthKind::Roles).await?, auth.auth_list(AuthKind::Subjects).await?)) };
        let result = loaded.await;
        *self.attempted.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        let (roles, subjects) = result.inspect_err(|e| tracing::warn!("cannot load access tokens: {e}"))?;
        let snap = Arc::new(Snapshot::build(roles, subjects, self.secret_sha1.as_deref()));
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = snap.clone();
        Ok(snap)
    }

    /// The view, read again first when the last read is older than `max_age` (or there was
    /// none). A read already under way is waited for, not repeated.
    pub async fn fresh(&self, max_age: Duration) -> Arc<Snapshot> {
        let stale = || self.age().is_none_or(|a| a >= max_age);
        if stale() {
            let _one_at_a_time = self.loading.lock().await;
            if stale() {
                let _ = self.load().await;
            }
        }
        self.cached()
    }

    /// The subject `presented` is the token of, reading the store again when it is not found.
    pub async fn find(&self, presented: &str) -> Option<(Subject, Arc<Snapshot>)> {
        let snap = self.fresh(MAX_AGE).await;
        if let Some(s) = snap.find(presented) {
            return Some((s.clone(), snap.clone()));
        }
        let snap = self.fresh(MISS_RELOAD).await;
        snap.find(presented).cloned().map(|s| (s, snap))
    }
}
