//! A typed filter tree: what `find[...]` means once parsed, independent of any backend.
//! Semantics follow MongoDB's query operators (type bracketing: a number never matches a string).

/// A value to compare a field with.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    /// A 24-hex `_id`; stores match it whether the id is held as an ObjectId or a string.
    ObjectId(String),
    /// A whole JSON value (object or array), compared exactly.
    Json(serde_json::Value),
    /// A value that can match nothing (JavaScript's `parseInt` gave NaN).
    Nan,
}

impl Val {
    /// The value a JSON scalar stands for, kept with its JSON type.
    pub fn from_json(v: &serde_json::Value) -> Val {
        use serde_json::Value as J;
        match v {
            J::Null => Val::Null,
            J::Bool(b) => Val::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            J::String(s) => Val::Str(s.clone()),
            other => Val::Json(other.clone()),
        }
    }
}

/// A condition on one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Eq(Val),
    Ne(Val),
    Gt(Val),
    Gte(Val),
    Lt(Val),
    Lte(Val),
    In(Vec<Val>),
    Nin(Vec<Val>),
    /// A regular expression; `options` holds Mongo's flags (`i`, `m`, `s`, `x`).
    Regex {
        pattern: String,
        options: String,
    },
    Exists(bool),
}

/// A filter over documents. Field paths are dotted (`pump.battery.percent`).
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    All,
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Field { path: String, cond: Cond },
}

impl Filter {
    pub fn field(path: impl Into<String>, cond: Cond) -> Filter {
        Filter::Field { path: path.into(), cond }
    }

    pub fn eq(path: impl Into<String>, v: Val) -> Filter {
        Filter::field(path, Cond::Eq(v))
    }

    /// `self AND other`, flattening nested conjunctions.
    pub fn and(self, other: Filter) -> Filter {
        match (self, other) {
            (Filter::All, f) | (f, Filter::All) => f,
            (Filter::And(mut a), Filter::And(b)) => {
                a.extend(b);
                Filter::And(a)
            }
            (Filter::And(mut a), f) | (f, Filter::And(mut a)) => {
                a.push(f);
                Filter::And(a)
            }
            (a, b) => Filter::And(vec![a, b]),
        }
    }

    /// True when some `Field` condition anywhere in the tree is on one of `paths`.
    pub fn constrains_any(&self, paths: &[&str]) -> bool {
        match self {
            Filter::All => false,
            Filter::And(fs) | Filter::Or(fs) => fs.iter().any(|f| f.constrains_any(paths)),
            Filter::Field { path, .. } => paths.contains(&path.as_str()),
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Asc,
    Desc,
}

/// A whole read: filter, sort, skip and limit (`None` = no limit).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub filter: Filter,
    pub sort: Vec<(String, Dir)>,
    pub skip: u64,
    pub limit: Option<u64>,
}

impl Query {
    pub fn new(filter: Filter) -> Query {
        Query { filter, sort: Vec::new(), skip: 0, limit: None }
    }

    pub fn sort(mut self, path: &str, dir: Dir) -> Query {
        self.sort.push((path.to_owned(), dir));
        self
    }

    pub fn limit(mut self, n: Option<u64>) -> Query {
        self.limit = n;
        self
    }
}

/// True when `s` is a 24-character hex string (any case).
pub fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Field names a store can address safely: no empty segments, no quotes, no `$` at a segment start.
pub fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 200
        && path.split('.').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('$')
                && !seg.chars().any(|c| c == '"' || c == '\'' || c == '\\' || c.is_control())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_flattens_and_drops_all() {
        let a = Filter::eq("type", Val::Str("sgv".into()));
        let b = Filter::eq("sgv", Val::Int(100));
        assert_eq!(Filter::All.and(a.clone()), a);
        let both = a.clone().and(b.clone());
        assert_eq!(both.clone().and(Filter::All), both);
        match both.and(a) {
            Filter::And(v) => assert_eq!(v.len(), 3),
            other => panic!("expected And, got {other:?}"),
        }
    }

    #[test]
    fn object_ids_and_paths_are_recognised() {
        assert!(is_object_id("5c9c1c3e2f8b4a0012345678"));
        assert!(is_object_id("5C9C1C3E2F8B4A0012345678"));
        assert!(!is_object_id("5c9c1c3e2f8b4a001234567"));
        assert!(!is_object_id("xc9c1c3e2f8b4a0012345678"));
        assert!(valid_path("pump.battery.percent"));
        assert!(!valid_path("a..b"));
        assert!(!valid_path("a\"b"));
        assert!(!valid_path("$where"));
        assert!(!valid_path(""));
    }
}
