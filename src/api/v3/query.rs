//! Search parameters (`lib/api3/generic/search/input.js`, `collection.js` `parseLimit`):
//! `limit` (1..=1000, default 1000), `skip`, `sort` or `sort$desc`, `fields`, and
//! `field$op=value` filters turned into the domain filter tree, so both stores run them.

use serde_json::Value;

use super::V3Error;
use crate::domain::filter::{Cond, Dir, Filter, Query, Val, valid_path};
use crate::domain::time::to_iso_utc;
use crate::domain::v3::parse_moment;

/// `API3_MAX_LIMIT`.
pub const MAX_LIMIT: u64 = 1000;
const RESERVED: [&str; 7] = ["token", "sort", "sort$desc", "limit", "skip", "fields", "now"];

/// JavaScript's `!isNaN(s)` for a query string value, and its number.
fn js_numeric(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return Some(0.0);
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `parseLimit`: absent = the maximum; otherwise 1..=1000 or 400.
pub fn limit(params: &[(String, String)]) -> Result<u64, V3Error> {
    match params.iter().find(|(k, _)| k == "limit") {
        None => Ok(MAX_LIMIT),
        Some((_, v)) if v.is_empty() => Ok(MAX_LIMIT),
        Some((_, v)) => match js_numeric(v) {
            Some(n) if n > 0.0 && n <= MAX_LIMIT as f64 && n >= 1.0 => Ok(n as u64),
            _ => Err(V3Error::bad("Parameter limit out of tolerance")),
        },
    }
}

fn skip(params: &[(String, String)]) -> Result<u64, V3Error> {
    match params.iter().find(|(k, _)| k == "skip") {
        None => Ok(0),
        Some((_, v)) if v.is_empty() => Ok(0),
        Some((_, v)) => match js_numeric(v) {
            Some(n) if n >= 0.0 => Ok(n as u64),
            _ => Err(V3Error::bad("Parameter skip out of tolerance")),
        },
    }
}

/// `parseSort`: the asked field, then `identifier`, `created_at`, `date`, all one direction.
fn sort(params: &[(String, String)]) -> Result<Vec<(String, Dir)>, V3Error> {
    let get = |k: &str| params.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let (field, dir) = match (get("sort"), get("sort$desc")) {
        (Some(_), Some(_)) => return Err(V3Error::bad("Parameters sort and sort_desc cannot be combined")),
        (None, Some(f)) => (Some(f), Dir::Desc),
        (f, None) => (f, Dir::Asc),
    };
    let mut out: Vec<(String, Dir)> = Vec::new();
    for f in field.into_iter().chain(["identifier", "created_at", "date"]) {
        if !valid_path(f) {
            return Err(V3Error::bad(format!("Bad sort field {f}")));
        }
        if !out.iter().any(|(g, _)| g == f) {
            out.push((f.to_owned(), dir));
        }
    }
    Ok(out)
}

/// `parseValue`: numbers, booleans, `'quoted'` strings; dates as ms, `created_at` as ISO.
fn value(field: &str, raw: &str) -> Val {
    let numeric = !raw.trim().is_empty() && raw.trim().parse::<f64>().is_ok_and(f64::is_finite);
    let mut v = if numeric {
        let x: f64 = raw.trim().parse().unwrap_or_default();
        if x.fract() == 0.0 && x.abs() < 9.0e15 { Val::Int(x as i64) } else { Val::Float(x) }
    } else {
        match raw {
            "true" => Val::Bool(true),
            "false" => Val::Bool(false),
            s if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') => Val::Str(s[1..s.len() - 1].to_owned()),
            s => Val::Str(s.to_owned()),
        }
    };
    let json = match &v {
        Val::Int(i) => Value::from(*i),
        Val::Float(x) => Value::from(*x),
        Val::Str(s) => Value::String(s.clone()),
        _ => Value::Null,
    };
    if matches!(field, "date" | "srvModified" | "srvCreated")
        && let Some((ms, _)) = parse_moment(&json)
    {
        v = Val::Int(ms);
    }
    if field == "created_at"
        && let Some(iso) = parse_moment(&json).and_then(|(ms, _)| to_iso_utc(ms))
    {
        v = Val::Str(iso);
    }
    v
}

/// `parseFilter`: every parameter that is not reserved, `field` or `field$op`.
pub fn filter(params: &[(String, String)]) -> Result<Filter, V3Error> {
    let mut out = Filter::All;
    for (param, raw) in params {
        if RESERVED.contains(&param.as_str()) {
            continue;
        }
        let (field, op) = match param.rsplit_once('$') {
            Some((f, op)) if !op.is_empty() && op.bytes().all(|b| b.is_ascii_alphabetic()) => (f, op),
            _ => (param.as_str(), "eq"),
        };
        if !valid_path(field) {
            return Err(V3Error::bad(format!("Bad filter field {field}")));
        }
        let list = || raw.split('|').map(|s| Val::Str(s.to_owned())).collect::<Vec<_>>();
        let cond = match op {
            "eq" => Cond::Eq(value(field, raw)),
            "ne" => Cond::Ne(value(field, raw)),
            "gt" => Cond::Gt(value(field, raw)),
            "gte" => Cond::Gte(value(field, raw)),
            "lt" => Cond::Lt(value(field, raw)),
            "lte" => Cond::Lte(value(field, raw)),
            "in" => Cond::In(list()),
            "nin" => Cond::Nin(list()),
            "re" => Cond::Regex { pattern: raw.clone(), options: String::new() },
            other => return Err(V3Error::bad(format!("Unsupported filter operator {other}"))),
        };
        out = out.and(Filter::field(field, cond));
    }
    Ok(out)
}

/// `fields=a,b` (or `_all`, or absent: everything).
pub fn fields(params: &[(String, String)]) -> Option<Vec<String>> {
    let f = params.iter().find(|(k, _)| k == "fields").map(|(_, v)| v.as_str())?;
    if f.is_empty() || f == "_all" {
        return None;
    }
    Some(f.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

/// The whole search: valid documents only, as Nightscout's `onlyValid`.
pub fn search(params: &[(String, String)]) -> Result<Query, V3Error> {
    let valid = Filter::field("isValid", Cond::Ne(Val::Bool(false)));
    let mut q = Query::new(filter(params)?.and(valid)).limit(Some(limit(params)?));
    q.sort = sort(params)?;
    q.skip = skip(params)?;
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn filters_become_the_filter_tree() {
        let f = filter(&p(&[("date$gt", "1700000000000"), ("type", "sgv"), ("limit", "5")])).unwrap();
        assert_eq!(
            f,
            Filter::field("date", Cond::Gt(Val::Int(1700000000000))).and(Filter::eq("type", Val::Str("sgv".into())))
        );
        let c = filter(&p(&[("created_at$gt", "2023-11-14T22:13:20Z")])).unwrap();
        assert_eq!(c, Filter::field("created_at", Cond::Gt(Val::Str("2023-11-14T22:13:20.000Z".into()))));
        assert_eq!(
            filter(&p(&[("sgv$in", "100|120")])).unwrap(),
            Filter::field("sgv", Cond::In(vec![Val::Str("100".into()), Val::Str("120".into())]))
        );
        assert_eq!(
            filter(&p(&[("a", "'12'"), ("b", "true")])).unwrap(),
            Filter::eq("a", Val::Str("12".into())).and(Filter::eq("b", Val::Bool(true)))
        );
        assert!(filter(&p(&[("date$foo", "1")])).is_err());
    }

    #[test]
    fn limits_skips_and_sorts_are_checked() {
        assert_eq!(limit(&p(&[])).unwrap(), 1000);
        assert_eq!(limit(&p(&[("limit", "500")])).unwrap(), 500);
        for bad in ["1001", "0", "-1", "x"] {
            assert!(limit(&p(&[("limit", bad)])).is_err(), "{bad}");
        }
        assert!(skip(&p(&[("skip", "-1")])).is_err());
        assert!(sort(&p(&[("sort", "date"), ("sort$desc", "date")])).is_err());
        let s = sort(&p(&[("sort$desc", "date")])).unwrap();
        let names: Vec<&str> = s.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["date", "identifier", "created_at"]);
        assert!(s.iter().all(|(_, d)| *d == Dir::Desc));
    }
}
