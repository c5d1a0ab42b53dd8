//! The `find[...]` query language (`lib/server/query.js`) parsed into a typed `Filter`, with
//! Nightscout's per-collection type coercion and its default 4-day window. Unlike Nightscout,
//! only a known set of operators is accepted (`$where` and the like are refused).

use serde_json::Value;

use super::Collection;
use super::filter::{Cond, Filter, Val, is_object_id, valid_path};
use super::time::{parse_zoned, to_iso_utc};

/// Nightscout's `deltaAgo`: 2 x TWO_DAYS.
pub const DEFAULT_WINDOW_MS: i64 = 4 * 24 * 3600 * 1000;

/// How a collection's date field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateKind {
    /// Epoch milliseconds (entries `date`).
    EpochMs,
    /// ISO-8601 strings in UTC (`created_at`, `startDate`).
    Iso,
}

/// Per-collection query rules.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub date_field: &'static str,
    pub date_kind: DateKind,
    /// Fields whose values go through JavaScript's `parseInt`.
    pub int_fields: &'static [&'static str],
    /// Fields where `/pattern/flags` is a regular expression.
    pub regex_fields: &'static [&'static str],
}

impl Spec {
    pub fn of(c: Collection) -> Spec {
        const DEFAULT_INTS: &[&str] = &["date", "sgv"];
        match c {
            Collection::Entries => Spec {
                date_field: "date",
                date_kind: DateKind::EpochMs,
                int_fields: &["date", "sgv", "filtered", "unfiltered", "rssi", "noise", "mbg"],
                regex_fields: &[],
            },
            Collection::Treatments => Spec {
                date_field: "created_at",
                date_kind: DateKind::Iso,
                int_fields: &["insulin", "carbs", "glucose"],
                regex_fields: &["notes", "eventType", "enteredBy"],
            },
            Collection::Profile => {
                Spec { date_field: "startDate", date_kind: DateKind::Iso, int_fields: &[], regex_fields: &[] }
            }
            Collection::DeviceStatus | Collection::Activity | Collection::Food => {
                Spec { date_field: "created_at", date_kind: DateKind::Iso, int_fields: DEFAULT_INTS, regex_fields: &[] }
            }
        }
    }
}

/// A query Nightscout's clients could send but that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

/// Parses a qs-decoded `find` object. `uuid_handling` is Nightscout's `UUID_HANDLING`.
pub fn parse_find(find: Option<&Value>, spec: &Spec, uuid_handling: bool) -> Result<Filter, QueryError> {
    let mut p = Parser { spec, uuid_handling, depth: 0 };
    match find {
        None => Ok(Filter::All),
        Some(Value::Object(m)) => p.object("", m),
        Some(Value::String(s)) if s.is_empty() => Ok(Filter::All),
        Some(_) => Err(QueryError("find must be an object, e.g. find[type]=sgv".into())),
    }
}

/// Adds Nightscout's default window (`date >= now - 4 days`) unless the filter already
/// constrains `_id`, the date field or `dateString`.
pub fn with_default_window(filter: Filter, spec: &Spec, now_ms: i64) -> Filter {
    if filter.constrains_any(&["_id", spec.date_field, "dateString"]) {
        return filter;
    }
    let since = now_ms - DEFAULT_WINDOW_MS;
    let v = match spec.date_kind {
        DateKind::EpochMs => Val::Int(since),
        DateKind::Iso => Val::Str(to_iso_utc(since).unwrap_or_default()),
    };
    filter.and(Filter::field(spec.date_field, Cond::Gte(v)))
}

/// JavaScript `parseInt(s, 10)`: optional sign and leading digits; NaN when there are none.
pub fn parse_int_js(s: &str) -> Val {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
    if end == 0 {
        return Val::Nan;
    }
    match digits[..end].parse::<i64>() {
        Ok(n) => Val::Int(if neg { -n } else { n }),
        Err(_) => digits[..end].parse::<f64>().map(|x| Val::Float(if neg { -x } else { x })).unwrap_or(Val::Nan),
    }
}

fn is_numeric(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// True for RFC-4122-looking UUIDs (`8-4-4-4-12` hex).
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Most alternatives one `$in`, `$nin`, `$or`, `$and` or list may hold.
pub const MAX_ALTERNATIVES: usize = 5_000;

fn too_many_alternatives(what: &str) -> QueryError {
    QueryError(format!("{what} may hold at most {MAX_ALTERNATIVES} alternatives"))
}

struct Parser<'a> {
    spec: &'a Spec,
    uuid_handling: bool,
    depth: usize,
}

impl Parser<'_> {
    fn object(&mut self, prefix: &str, m: &serde_json::Map<String, Value>) -> Result<Filter, QueryError> {
        self.depth += 1;
        if self.depth > 8 {
            return Err(QueryError("find is nested too deeply".into()));
        }
        let mut out = Filter::All;
        for (k, v) in m {
            let f = match k.as_str() {
                "$or" | "$and" if prefix.is_empty() => self.logical(k, v)?,
                _ if k.starts_with('$') => {
                    return Err(QueryError(format!("Unsupported query operator {k}")));
                }
                _ => {
                    let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    if !valid_path(&path) {
                        return Err(QueryError(format!("Invalid field name {path:?}")));
                    }
                    self.field(&path, v)?
                }
            };
            out = out.and(f);
        }
        self.depth -= 1;
        Ok(out)
    }

    fn logical(&mut self, op: &str, v: &Value) -> Result<Filter, QueryError> {
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            Value::Object(m) => m.values().collect(),
            _ => return Err(QueryError(format!("{op} needs a list of conditions"))),
        };
        if items.len() > MAX_ALTERNATIVES {
            return Err(too_many_alternatives(op));
        }
        let mut parts = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Value::Object(m) => parts.push(self.object("", m)?),
                _ => return Err(QueryError(format!("{op} needs a list of conditions"))),
            }
        }
        Ok(if op == "$or" { Filter::Or(parts) } else { Filter::And(parts) })
    }

    fn field(&mut self, path: &str, v: &Value) -> Result<Filter, QueryError> {
        match v {
            Value::Object(m) if m.keys().any(|k| k.starts_with('$')) => self.operators(path, m),
            Value::Object(m) => self.object(path, m),
            Value::Array(items) => {
                if items.len() > MAX_ALTERNATIVES {
                    return Err(too_many_alternatives("a list"));
                }
                let vals = items.iter().map(|i| self.scalar(path, i)).collect::<Result<_, _>>()?;
                Ok(Filter::field(path, Cond::In(vals)))
            }
            Value::String(s) => self.equals(path, s),
            other => Ok(Filter::eq(path, Val::from_json(other))),
        }
    }

    fn equals(&self, path: &str, s: &str) -> Result<Filter, QueryError> {
        if path == "_id" && self.uuid_handling && is_uuid(s) {
            return Ok(Filter::Or(vec![
                Filter::eq("identifier", Val::Str(s.to_owned())),
                Filter::eq("_id", Val::Str(s.to_owned())),
            ]));
        }
        Ok(match self.coerce(path, s)? {
            Val::Str(p) if self.spec.regex_fields.contains(&path) => match regex_literal(&p) {
                Some((pattern, options)) => Filter::field(path, regex_cond(pattern, options)?),
                None => Filter::eq(path, Val::Str(p)),
            },
            v => Filter::eq(path, v),
        })
    }

    fn operators(&mut self, path: &str, m: &serde_json::Map<String, Value>) -> Result<Filter, QueryError> {
        let mut out = Filter::All;
        for (op, v) in m {
            let cond = match op.as_str() {
                "$eq" => Cond::Eq(self.scalar(path, v)?),
                "$ne" => Cond::Ne(self.scalar(path, v)?),
                "$gt" => Cond::Gt(self.scalar(path, v)?),
                "$gte" => Cond::Gte(self.scalar(path, v)?),
                "$lt" => Cond::Lt(self.scalar(path, v)?),
                "$lte" => Cond::Lte(self.scalar(path, v)?),
                "$in" | "$nin" => {
                    let items: Vec<&Value> = match v {
                        Value::Array(a) => a.iter().collect(),
                        Value::Object(o) => o.values().collect(),
                        single => vec![single],
                    };
                    if items.len() > MAX_ALTERNATIVES {
                        return Err(too_many_alternatives(op));
                    }
                    let vals = items.into_iter().map(|i| self.scalar(path, i)).collect::<Result<_, _>>()?;
                    if op == "$in" { Cond::In(vals) } else { Cond::Nin(vals) }
                }
                "$regex" => {
                    let Value::String(p) = v else {
                        return Err(QueryError(format!("$regex on {path} needs a string")));
                    };
                    let options = m.get("$options").and_then(Value::as_str).unwrap_or_default();
                    let (pattern, options) = regex_literal(p).unwrap_or_else(|| (p.clone(), options.to_owned()));
                    regex_cond(pattern, options)?
                }
                "$options" if m.contains_key("$regex") => continue,
                "$exists" => Cond::Exists(match v.as_str().unwrap_or_default() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => return Err(QueryError(format!("$exists takes true or false, got {other:?}"))),
                }),
                _ => return Err(QueryError(format!("Unsupported query operator {op}"))),
            };
            out = out.and(Filter::field(path, cond));
        }
        Ok(out)
    }

    fn scalar(&self, path: &str, v: &Value) -> Result<Val, QueryError> {
        match v {
            Value::String(s) => self.coerce(path, s),
            Value::Object(_) | Value::Array(_) => {
                Err(QueryError(format!("Unsupported value for {path}: expected a single value")))
            }
            other => Ok(Val::from_json(other)),
        }
    }

    /// The per-collection coercion table, then the date-field rewrite.
    fn coerce(&self, path: &str, s: &str) -> Result<Val, QueryError> {
        if path == "_id" {
            return Ok(if is_object_id(s) { Val::ObjectId(s.to_owned()) } else { Val::Str(s.to_owned()) });
        }
        if path == self.spec.date_field {
            return self.date_value(s);
        }
        if self.spec.int_fields.contains(&path) {
            return Ok(parse_int_js(s));
        }
        Ok(Val::Str(s.to_owned()))
    }

    /// Numbers stay numbers (epoch ms) or strings (ISO fields, compared as text, so `2015`
    /// works as a prefix); dates are rewritten to the stored form. A `+` sent unescaped
    /// arrives as a space and is put back.
    fn date_value(&self, s: &str) -> Result<Val, QueryError> {
        if is_numeric(s) {
            return Ok(match self.spec.date_kind {
                DateKind::EpochMs => parse_int_js(s),
                DateKind::Iso => Val::Str(s.to_owned()),
            });
        }
        let fixed = s.replacen(' ', "+", 1);
        let t = parse_zoned(&fixed)
            .or_else(|| parse_zoned(s))
            .ok_or_else(|| QueryError(format!("Cannot parse {s} as a valid ISO-8601 date")))?;
        Ok(match self.spec.date_kind {
            DateKind::EpochMs => Val::Int(t.epoch_ms),
            DateKind::Iso => Val::Str(to_iso_utc(t.epoch_ms).unwrap_or_else(|| s.to_owned())),
        })
    }
}

/// `/pattern/flags` -> (pattern, flags).
fn regex_literal(s: &str) -> Option<(String, String)> {
    let rest = s.strip_prefix('/')?;
    let end = rest.rfind('/')?;
    let flags = &rest[end + 1..];
    flags.chars().all(|c| c.is_ascii_alphabetic()).then(|| (rest[..end].to_owned(), flags.to_owned()))
}

/// A regex condition whose options and pattern every backend accepts: the pattern must compile
/// (the embedded store's engine; no look-around or back-references), so a bad one is a 400
/// everywhere instead of a database error on one backend.
fn regex_cond(pattern: String, options: String) -> Result<Cond, QueryError> {
    if let Some(c) = options.chars().find(|c| !matches!(c, 'i' | 'm' | 's' | 'x' | 'u' | 'g')) {
        return Err(QueryError(format!("Unsupported regex option {c:?}")));
    }
    // Validated as it will run: with its options (`x` changes what a pattern means).
    if let Err(e) = super::regex_check::check(&pattern, &options) {
        return Err(QueryError(format!("Invalid regular expression {pattern:?}: {e}")));
    }
    Ok(Cond::Regex { pattern, options })
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
