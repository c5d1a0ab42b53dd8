//! Bounded fuzzing (proptest, a fixed number of cases so `cargo test` stays quick): any `find`
//! a client can send is parsed and translated to SQLite SQL and to a MongoDB filter without a
//! panic; any body is normalised per collection, purified and checked without a panic.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::mongo_filter::to_query;
use super::sqlite_sql::SqlBuilder;
use crate::domain::query::{Spec, parse_find};
use crate::domain::{Collection, devicestatus, documents, entries, purify, treatments};

/// Keys clients send, operators, and junk.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "sgv",
            "date",
            "dateString",
            "type",
            "created_at",
            "_id",
            "eventType",
            "notes",
            "insulin",
            "carbs",
            "$in",
            "$nin",
            "$gt",
            "$gte",
            "$lt",
            "$lte",
            "$ne",
            "$eq",
            "$regex",
            "$options",
            "$or",
            "$and",
            "$where",
            "a.b",
            "pump.battery",
            "",
            ".",
            "x\u{0}y",
            "$",
        ])
        .prop_map(str::to_owned),
        "[a-z$._\\[\\]]{0,8}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "/a(/i",
            "/^T1[0-9]/x",
            "[ ]",
            "(?P<",
            "2026-01-01T00:00:00Z",
            "1e308",
            "-0",
            "0x1A"
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn any_find_parses_and_translates_to_sql_and_mongo_without_panicking(find in json()) {
        for coll in Collection::ALL {
            if let Ok(filter) = parse_find(Some(&find), &Spec::of(coll), true) {
                let mut b = SqlBuilder::new();
                let _ = b.filter(&filter);
                let _ = to_query(&filter);
            }
        }
    }

    #[test]
    fn any_body_is_normalised_per_collection_without_panicking(body in json()) {
        let _ = documents::bad_key(&body);
        for mut doc in documents::docs_of(body) {
            purify::purify(&mut doc);
            let mut e = doc.clone();
            entries::normalize(&mut e, true, 1_700_000_000_000);
            let _ = entries::dedup_filter(&e);
            let mut t = doc.clone();
            let _ = treatments::normalize(&mut t, true, 1_700_000_000_000, true);
            devicestatus::normalize(&mut doc, 1_700_000_000_000, 288);
        }
    }
}
