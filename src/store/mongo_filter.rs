//! Filter tree -> MongoDB query document.

use mongodb::bson::{Bson, Document, Regex, doc, oid::ObjectId};

use super::mongo_bson::to_bson;
use crate::domain::filter::{Cond, Dir, Filter, Val};

pub fn to_query(f: &Filter) -> Document {
    match f {
        Filter::All => Document::new(),
        Filter::And(fs) if fs.is_empty() => Document::new(),
        Filter::And(fs) => doc! {"$and": fs.iter().map(|f| Bson::Document(to_query(f))).collect::<Vec<_>>()},
        Filter::Or(fs) if fs.is_empty() => doc! {"_id": {"$in": []}},
        Filter::Or(fs) => doc! {"$or": fs.iter().map(|f| Bson::Document(to_query(f))).collect::<Vec<_>>()},
        Filter::Field { path, cond } => {
            let mut d = Document::new();
            d.insert(path.clone(), cond_doc(cond));
            d
        }
    }
}

fn cond_doc(c: &Cond) -> Bson {
    let (op, v) = match c {
        // NaN compares with nothing: no range on it selects a document.
        Cond::Gt(Val::Nan) | Cond::Gte(Val::Nan) | Cond::Lt(Val::Nan) | Cond::Lte(Val::Nan) => {
            return Bson::Document(doc! {"$in": []});
        }
        Cond::Eq(v) => return Bson::Document(eq_doc(v)),
        Cond::Ne(v) => return Bson::Document(doc! {"$not": eq_doc(v)}),
        Cond::Gt(v) => ("$gt", val(v)),
        Cond::Gte(v) => ("$gte", val(v)),
        Cond::Lt(v) => ("$lt", val(v)),
        Cond::Lte(v) => ("$lte", val(v)),
        Cond::In(vs) => ("$in", Bson::Array(vs.iter().flat_map(vals).collect())),
        Cond::Nin(vs) => ("$nin", Bson::Array(vs.iter().flat_map(vals).collect())),
        Cond::Regex { pattern, options } => {
            let mut flags: Vec<char> = options.chars().filter(|c| matches!(c, 'i' | 'm' | 's' | 'x')).collect();
            flags.sort_unstable();
            flags.dedup();
            (
                "$regex",
                Bson::RegularExpression(Regex { pattern: pattern.clone(), options: flags.into_iter().collect() }),
            )
        }
        Cond::Exists(b) => ("$exists", Bson::Boolean(*b)),
    };
    let mut d = Document::new();
    d.insert(op, v);
    Bson::Document(d)
}

/// Equality as an operator document. An ObjectId-looking value matches either storage form.
fn eq_doc(v: &Val) -> Document {
    match v {
        Val::ObjectId(_) => doc! {"$in": vals(v)},
        Val::Nan => doc! {"$in": []},
        other => doc! {"$eq": val(other)},
    }
}

fn vals(v: &Val) -> Vec<Bson> {
    match v {
        Val::ObjectId(hex) => match ObjectId::parse_str(hex) {
            Ok(oid) => vec![Bson::ObjectId(oid), Bson::String(hex.clone())],
            Err(_) => vec![Bson::String(hex.clone())],
        },
        Val::Nan => Vec::new(),
        other => vec![val(other)],
    }
}

fn val(v: &Val) -> Bson {
    match v {
        Val::Str(s) | Val::ObjectId(s) => Bson::String(s.clone()),
        Val::Int(i) => Bson::Int64(*i),
        Val::Float(x) => Bson::Double(*x),
        Val::Bool(b) => Bson::Boolean(*b),
        Val::Null => Bson::Null,
        Val::Json(j) => to_bson(j),
        Val::Nan => Bson::Null,
    }
}

pub fn sort_doc(sort: &[(String, Dir)]) -> Document {
    let mut d = Document::new();
    for (p, dir) in sort {
        d.insert(p.clone(), if *dir == Dir::Desc { -1 } else { 1 });
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_id_equality_matches_both_storage_forms() {
        let q = to_query(&Filter::eq("_id", Val::ObjectId("5c9c1c3e2f8b4a0012345678".into())));
        let arr = q.get_document("_id").unwrap().get_array("$in").unwrap();
        assert_eq!(arr.len(), 2);
    }

    #[test]
    fn ranges_and_regexes_become_operators() {
        let f = Filter::field("date", Cond::Gte(Val::Int(5)))
            .and(Filter::field("notes", Cond::Regex { pattern: "x".into(), options: "i".into() }));
        let q = to_query(&f);
        assert_eq!(q.get_array("$and").unwrap().len(), 2);
    }
}
