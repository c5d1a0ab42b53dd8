//! A filter written as the MongoDB query Nightscout would run, for `/api/v1/echo` (a debugging
//! aid: it shows how a `find[...]` query string was understood).

use serde_json::{Map, Value, json};

use super::filter::{Cond, Filter, Val};

fn val(v: &Val) -> Value {
    match v {
        Val::Str(s) | Val::ObjectId(s) => Value::String(s.clone()),
        Val::Int(i) => json!(i),
        Val::Float(f) => json!(f),
        Val::Bool(b) => json!(b),
        Val::Null | Val::Nan => Value::Null,
        Val::Json(j) => j.clone(),
    }
}

fn cond(c: &Cond) -> Value {
    let op = |name: &str, v: Value| json!({ name: v });
    match c {
        Cond::Eq(v) => val(v),
        Cond::Ne(v) => op("$ne", val(v)),
        Cond::Gt(v) => op("$gt", val(v)),
        Cond::Gte(v) => op("$gte", val(v)),
        Cond::Lt(v) => op("$lt", val(v)),
        Cond::Lte(v) => op("$lte", val(v)),
        Cond::In(vs) => op("$in", vs.iter().map(val).collect()),
        Cond::Nin(vs) => op("$nin", vs.iter().map(val).collect()),
        Cond::Regex { pattern, options } => json!({"$regex": pattern, "$options": options}),
        Cond::Exists(b) => op("$exists", json!(b)),
    }
}

/// The filter as a MongoDB query document; conditions on one field are merged as Mongo
/// writes them (`{"date": {"$gte": a, "$lte": b}}`).
pub fn to_mongo_json(f: &Filter) -> Value {
    match f {
        Filter::All => json!({}),
        Filter::Field { path, cond: c } => json!({ path.clone(): cond(c) }),
        Filter::Or(fs) => json!({"$or": fs.iter().map(to_mongo_json).collect::<Vec<_>>()}),
        Filter::And(fs) => {
            let mut out = Map::new();
            for part in fs.iter().map(to_mongo_json) {
                let Value::Object(m) = part else { continue };
                for (k, v) in m {
                    match (out.get_mut(&k), v) {
                        (None, v) => {
                            out.insert(k, v);
                        }
                        (Some(Value::Object(have)), Value::Object(more))
                            if have.keys().all(|x| x.starts_with('$'))
                                && !more.keys().any(|x| have.contains_key(x)) =>
                        {
                            have.extend(more);
                        }
                        _ => return json!({"$and": fs.iter().map(to_mongo_json).collect::<Vec<_>>()}),
                    }
                }
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_render_as_mongo_writes_them() {
        let f = Filter::eq("type", Val::Str("sgv".into()))
            .and(Filter::field("date", Cond::Gte(Val::Int(1))))
            .and(Filter::field("date", Cond::Lte(Val::Int(2))));
        assert_eq!(to_mongo_json(&f), json!({"type": "sgv", "date": {"$gte": 1, "$lte": 2}}));
        let clash = Filter::eq("a", Val::Int(1)).and(Filter::eq("a", Val::Int(2)));
        assert_eq!(to_mongo_json(&clash), json!({"$and": [{"a": 1}, {"a": 2}]}));
        let or = Filter::Or(vec![Filter::field("n", Cond::Regex { pattern: "^x".into(), options: "i".into() })]);
        assert_eq!(to_mongo_json(&or), json!({"$or": [{"n": {"$regex": "^x", "$options": "i"}}]}));
        assert_eq!(to_mongo_json(&Filter::All), json!({}));
    }
}
