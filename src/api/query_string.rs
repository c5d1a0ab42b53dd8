//! Query strings parsed as Express 4's `qs` ("extended") does: `find[sgv][$gte]=120` nests,
//! `a[]=x&a[]=y` and repeated keys make arrays; depth 5, 1000 parameters, 20 array indices.

use serde_json::{Map, Value};

const DEPTH: usize = 5;
const PARAMETER_LIMIT: usize = 1000;
const ARRAY_LIMIT: usize = 20;

/// Parses a raw query string (without `?`).
pub fn parse(raw: &str) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in form_urlencoded::parse(raw.as_bytes()).take(PARAMETER_LIMIT) {
        if key.is_empty() {
            continue;
        }
        let segments = split_key(&key);
        insert(&mut root, &segments, Value::String(value.into_owned()));
    }
    root
}

/// The first string value at a top-level key (an array gives its first element).
pub fn first_str<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    match map.get(key)? {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first().and_then(Value::as_str),
        _ => None,
    }
}

/// `a[b][c]` -> `["a", "b", "c"]`; `a[]` -> `["a", ""]`. Past `DEPTH` brackets the rest is one
/// literal segment, as qs keeps it.
fn split_key(key: &str) -> Vec<String> {
    let Some(open) = key.find('[').filter(|&i| i > 0) else {
        return vec![key.to_owned()];
    };
    let mut out = vec![key[..open].to_owned()];
    let mut rest = &key[open..];
    while out.len() <= DEPTH {
        let Some(inner) = rest.strip_prefix('[') else { break };
        let Some(close) = inner.find(']') else { break };
        out.push(inner[..close].to_owned());
        rest = &inner[close + 1..];
    }
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

fn insert(map: &mut Map<String, Value>, segments: &[String], value: Value) {
    let (head, tail) = match segments.split_first() {
        Some(s) => s,
        None => return,
    };
    if tail.is_empty() {
        match map.get_mut(head) {
            None => {
                map.insert(head.clone(), value);
            }
            Some(Value::Array(a)) => a.push(value),
            Some(Value::Object(o)) => {
                // qs: a plain value next to bracketed keys becomes a key of its own.
                if let Value::String(s) = value {
                    o.insert(s, Value::Bool(true));
                }
            }
            Some(existing) => {
                let prev = existing.take();
                *existing = Value::Array(vec![prev, value]);
            }
        }
        return;
    }
    let next = &tail[0];
    let slot = map.entry(head.clone()).or_insert(Value::Null);
    if next.is_empty() && tail.len() == 1 {
        // `a[]=x`: append.
        match slot {
            Value::Array(a) => a.push(value),
            Value::Null => *slot = Value::Array(vec![value]),
            Value::Object(o) => {
                let k = o.len().to_string();
                o.insert(k, value);
            }
            other => {
                let prev = other.take();
                *other = Value::Array(vec![prev, value]);
            }
        }
        return;
    }
    let index = next.parse::<usize>().ok().filter(|&i| i <= ARRAY_LIMIT && tail.len() == 1);
    if let (Some(_), Value::Null | Value::Array(_)) = (index, &*slot) {
        // `a[0]=x`: arrays keep order of appearance (sparse indices compact).
        match slot {
            Value::Array(a) => a.push(value),
            _ => *slot = Value::Array(vec![value]),
        }
        return;
    }
    // Nested object; an array or scalar already here becomes an object with index keys.
    let obj = match slot {
        Value::Object(o) => o,
        other => {
            let mut o = Map::new();
            match other.take() {
                Value::Array(a) => {
                    for (i, v) in a.into_iter().enumerate() {
                        o.insert(i.to_string(), v);
                    }
                }
                Value::Null => {}
                v => {
                    if let Value::String(s) = v {
                        o.insert(s, Value::Bool(true));
                    }
                }
            }
            *other = Value::Object(o);
            match other {
                Value::Object(o) => o,
                _ => return,
            }
        }
    };
    insert(obj, tail, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Value {
        Value::Object(parse(s))
    }

    #[test]
    fn brackets_nest_and_plus_decodes() {
        assert_eq!(
            p("find[sgv][$gte]=120&count=5&find[eventType]=Carb+Correction"),
            json!({"find": {"sgv": {"$gte": "120"}, "eventType": "Carb Correction"}, "count": "5"})
        );
        assert_eq!(p("find%5Bsgv%5D=1"), json!({"find": {"sgv": "1"}}));
    }

    #[test]
    fn arrays_from_brackets_indices_and_repeats() {
        assert_eq!(p("find[sgv][$in][]=1&find[sgv][$in][]=2"), json!({"find": {"sgv": {"$in": ["1", "2"]}}}));
        assert_eq!(p("a[0]=x&a[1]=y"), json!({"a": ["x", "y"]}));
        assert_eq!(p("a=1&a=2"), json!({"a": ["1", "2"]}));
        assert_eq!(p("a[25]=x"), json!({"a": {"25": "x"}}));
    }

    #[test]
    fn depth_limit_keeps_the_rest_literal() {
        assert_eq!(p("a[b][c][d][e][f][g]=1"), json!({"a": {"b": {"c": {"d": {"e": {"f": {"[g]": "1"}}}}}}}));
    }

    #[test]
    fn odd_inputs_never_panic() {
        for s in [
            "[[[",
            "a[]]",
            "%",
            "%ff=%fe",
            "a[b]c=1",
            "=x",
            "a[b]=1&a=2",
            "a=1&a[b]=2",
            "a[]=1&a[b]=2",
            "a[0]=1&a[x]=2",
            "&&&",
            "a[=1",
            "]=",
            "a]b[=1",
        ] {
            let _ = parse(s);
        }
        let many: String = (0..10_000).map(|i| format!("k{i}=v&")).collect();
        assert_eq!(parse(&many).len(), PARAMETER_LIMIT);
        let deep = format!("a{}=1", "[x]".repeat(500));
        let _ = parse(&deep);
        assert_eq!(first_str(&parse("count=3&count=4"), "count"), Some("3"));
    }
}
