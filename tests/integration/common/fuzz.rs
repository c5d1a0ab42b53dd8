//! Random inputs for the bounded fuzz tests: JSON shapes biased towards what Nightscout clients
//! send (their keys, operators, ids, numbers at the edges), from a seeded generator, so a run is
//! repeatable (`FERROSCOUT_FUZZ_SEED=<n>` picks another; the seed in use is printed).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Map, Value};

/// A runner whose seed is `FERROSCOUT_FUZZ_SEED`, or fixed.
pub fn runner(name: &str) -> TestRunner {
    let seed: u64 = std::env::var("FERROSCOUT_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(14);
    eprintln!("{name}: FERROSCOUT_FUZZ_SEED={seed}");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// One value of `s`.
pub fn draw<S: Strategy>(runner: &mut TestRunner, s: &S) -> S::Value {
    s.new_tree(runner).expect("a value").current()
}

/// Keys Nightscout documents and queries carry, operators, and junk.
pub fn key() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => prop::sample::select(vec![
            "_id", "sgv", "date", "dateString", "type", "device", "created_at", "eventType", "insulin", "carbs",
            "notes", "duration", "mills", "identifier", "srvModified", "collection", "data", "secret", "token",
            "accessToken", "collections", "status", "history", "$in", "$gt", "$gte", "$lt", "$ne", "$regex",
            "$options", "$or", "$where", "$oid", "a.b", "", "x\u{0}y", "__proto__",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,10}",
    ]
}

pub fn scalar() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![0i64, -1, 1, 4, 40, 400, 1_700_000_000_000, i64::MAX, i64::MIN])
            .prop_map(Value::from),
        any::<f64>().prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        "\\PC{0,16}".prop_map(Value::String),
        prop::sample::select(vec![
            "entries",
            "treatments",
            "devicestatus",
            "profile",
            "food",
            "activity",
            "settings",
            "foods",
            "5f1e0c8a9b1e8a0012345678",
            "2026-12-01T10:00:00.000Z",
            "2026-13-45",
            "/(a/",
            "<img src=x onerror=1>",
            "Meal Bolus",
            "sgv",
            "b723e97aa97846eb92d5264f084b2823f57c4aa1",
            "",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

/// Any JSON, nested a few levels.
pub fn json() -> impl Strategy<Value = Value> + Clone {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}
