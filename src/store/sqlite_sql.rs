//! Filter tree -> SQLite SQL over JSON documents, with MongoDB's type bracketing:
//! a number only matches numbers, a string only strings, booleans only booleans.

use rusqlite::types::Value as SqlValue;

use crate::domain::filter::{Cond, Dir, Filter, Query, Val};

/// The SQL expression that reads a field. Indexes are created on exactly these expressions,
/// so the planner can use them.
pub fn path_expr(path: &str) -> String {
    if path == "_id" {
        return "id".to_owned();
    }
    format!("json_extract(doc, '{}')", json_path(path))
}

fn type_expr(path: &str) -> String {
    format!("json_type(doc, '{}')", json_path(path))
}

/// `pump.battery` -> `$."pump"."battery"`. Paths were validated (no quotes) by the query parser.
fn json_path(path: &str) -> String {
    let mut out = String::from("$");
    for seg in path.split('.') {
        out.push_str(".\"");
        out.push_str(&seg.replace(['"', '\''], ""));
        out.push('"');
    }
    out
}

/// Builds a WHERE clause and its parameters.
pub struct SqlBuilder {
    pub params: Vec<SqlValue>,
}

impl SqlBuilder {
    pub fn new() -> Self {
        SqlBuilder { params: Vec::new() }
    }

    fn bind(&mut self, v: SqlValue) -> &'static str {
        self.params.push(v);
        "?"
    }

    pub fn filter(&mut self, f: &Filter) -> String {
        match f {
            Filter::All => "1".to_owned(),
            Filter::And(fs) if fs.is_empty() => "1".to_owned(),
            Filter::Or(fs) if fs.is_empty() => "0".to_owned(),
            Filter::And(fs) => self.join(fs, " AND "),
            Filter::Or(fs) => self.join(fs, " OR "),
            Filter::Field { path, cond } => self.cond(path, cond),
        }
    }

    fn join(&mut self, fs: &[Filter], sep: &str) -> String {
        let parts: Vec<String> = fs.iter().map(|f| self.filter(f)).collect();
        balanced(parts, sep)
    }

    fn cond(&mut self, path: &str, cond: &Cond) -> String {
        match cond {
            Cond::Eq(v) => self.eq(path, v),
            Cond::Ne(v) => negate(self.eq(path, v)),
            Cond::In(vs) if vs.is_empty() => "0".to_owned(),
            Cond::In(vs) => {
                let parts: Vec<String> = vs.iter().map(|v| self.eq(path, v)).collect();
                balanced(parts, " OR ")
            }
            Cond::Nin(vs) => negate(self.cond(path, &Cond::In(vs.clone()))),
            Cond::Gt(v) => self.range(path, ">", v),
            Cond::Gte(v) => self.range(path, ">=", v),
            Cond::Lt(v) => self.range(path, "<", v),
            Cond::Lte(v) => self.range(path, "<=", v),
            Cond::Regex { pattern, options } => {
                if path == "_id" {
                    let p = self.bind(SqlValue::Text(regex_source(pattern, options)));
                    return format!("regexp({p}, id)");
                }
                let p = self.bind(SqlValue::Text(regex_source(pattern, options)));
                format!("({} = 'text' AND regexp({p}, {}))", type_expr(path), path_expr(path))
            }
            Cond::Exists(true) if path == "_id" => "1".to_owned(),
            Cond::Exists(false) if path == "_id" => "0".to_owned(),
            Cond::Exists(true) => format!("{} IS NOT NULL", type_expr(path)),
            Cond::Exists(false) => format!("{} IS NULL", type_expr(path)),
        }
    }

    fn eq(&mut self, path: &str, v: &Val) -> String {
        if path == "_id" {
            return match id_text(v) {
                Some(id) => format!("id = {}", self.bind(SqlValue::Text(id))),
                None => "0".to_owned(),
            };
        }
        let (e, t) = (path_expr(path), type_expr(path));
        match v {
            Val::Str(s) | Val::ObjectId(s) => {
                format!("({t} = 'text' AND {e} = {})", self.bind(SqlValue::Text(s.clone())))
            }
            Val::Int(i) => format!("({t} IN ('integer','real') AND {e} = {})", self.bind((*i).into())),
            Val::Float(x) => format!("({t} IN ('integer','real') AND {e} = {})", self.bind((*x).into())),
            Val::Bool(true) => format!("{t} = 'true'"),
            Val::Bool(false) => format!("{t} = 'false'"),
            Val::Null => format!("({t} IS NULL OR {t} = 'null')"),
            Val::Json(j) => {
                let p = self.bind(SqlValue::Text(j.to_string()));
                format!("({t} IN ('object','array') AND {e} = json({p}))")
            }
            Val::Nan => "0".to_owned(),
        }
    }

    fn range(&mut self, path: &str, op: &str, v: &Val) -> String {
        if path == "_id" {
            return match id_text(v) {
                Some(id) => format!("id {op} {}", self.bind(SqlValue::Text(id))),
                None => "0".to_owned(),
            };
        }
        let (e, t) = (path_expr(path), type_expr(path));
        match v {
            Val::Str(s) | Val::ObjectId(s) => {
                format!("({t} = 'text' AND {e} {op} {})", self.bind(SqlValue::Text(s.clone())))
            }
            Val::Int(i) => {
                format!("({t} IN ('integer','real') AND {e} {op} {})", self.bind((*i).into()))
            }
            Val::Float(x) => {
                format!("({t} IN ('integer','real') AND {e} {op} {})", self.bind((*x).into()))
            }
            _ => "0".to_owned(),
        }
    }

    /// `ORDER BY .. LIMIT .. OFFSET ..` for a query.
    pub fn tail(&mut self, q: &Query) -> String {
        let mut out = String::new();
        if !q.sort.is_empty() {
            let keys: Vec<String> = q
                .sort
                .iter()
                .map(|(p, d)| format!("{} {}", path_expr(p), if *d == Dir::Desc { "DESC" } else { "ASC" }))
                .collect();
            out.push_str(" ORDER BY ");
            out.push_str(&keys.join(", "));
            let last = if q.sort[0].1 == Dir::Desc { "DESC" } else { "ASC" };
            out.push_str(&format!(", rowid {last}"));
        }
        let limit = q.limit.map(|l| l.min(i64::MAX as u64) as i64).unwrap_or(-1);
        out.push_str(&format!(" LIMIT {}", self.bind(limit.into())));
        let skip = q.skip.min(i64::MAX as u64) as i64;
        out.push_str(&format!(" OFFSET {}", self.bind(skip.into())));
        out
    }
}

/// `NOT`, treating SQL NULL (field missing) as false first, as `$ne`/`$nin` match missing fields.
fn negate(expr: String) -> String {
    format!("NOT COALESCE({expr}, 0)")
}

/// The text an `_id` is stored as: ObjectIds in lowercase hex, other strings verbatim.
fn id_text(v: &Val) -> Option<String> {
    match v {
        Val::ObjectId(s) => Some(s.to_ascii_lowercase()),
        Val::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// Mongo regex options -> an inline-flag prefix the `regex` crate understands.
/// `(a OR b OR ..)` grouped in nested runs of at most 50, so thousands of alternatives stay
/// far below SQLite's expression depth limit (1,000) instead of failing the query.
fn balanced(mut parts: Vec<String>, sep: &str) -> String {
    const RUN: usize = 50;
    while parts.len() > RUN {
        parts = parts.chunks(RUN).map(|c| format!("({})", c.join(sep))).collect();
    }
    format!("({})", parts.join(sep))
}

pub fn regex_source(pattern: &str, options: &str) -> String {
    let flags: String = options.chars().filter(|c| matches!(c, 'i' | 'm' | 's' | 'x')).collect();
    if flags.is_empty() { pattern.to_owned() } else { format!("(?{flags}){pattern}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_quoted_json_paths() {
        assert_eq!(path_expr("date"), "json_extract(doc, '$.\"date\"')");
        assert_eq!(path_expr("pump.battery"), "json_extract(doc, '$.\"pump\".\"battery\"')");
        assert_eq!(path_expr("_id"), "id");
    }

    #[test]
    fn negations_treat_missing_fields_as_not_equal() {
        let mut b = SqlBuilder::new();
        let sql = b.filter(&Filter::field("sgv", Cond::Ne(Val::Int(5))));
        assert!(sql.starts_with("NOT COALESCE("), "{sql}");
        assert_eq!(b.params.len(), 1);
    }

    #[test]
    fn regex_options_become_inline_flags() {
        assert_eq!(regex_source("bolus", "i"), "(?i)bolus");
        assert_eq!(regex_source("a", "gu"), "a");
    }
}
