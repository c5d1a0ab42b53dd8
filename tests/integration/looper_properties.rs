//! Contract: a looper's data (AndroidAPS and Loop uploads, careportal treatments, a profile)
//! gives followers Nightscout's plugin properties on `/api/v2/properties` and the `iob`, `cob`
//! and `bwp` fields on `/pebble`, on both backends.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

const MIN: i64 = 60_000;
const PLUGINS: &str = "careportal iob cob basal pump loop openaps cage sage iage bage rawbg bwp";

macro_rules! looper {
    ($($name:ident: $vars:expr),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { if let Some(app) = $crate::common::TestApp::spawn_with($crate::common::Backend::Sqlite, $vars).await { super::$name(app).await } } )*
        }
        mod mongo {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { if let Some(app) = $crate::common::TestApp::spawn_with($crate::common::Backend::Mongo, $vars).await { super::$name(app).await } } )*
        }
    };
}

looper!(
    an_androidaps_looper_gets_iob_cob_basal_pump_openaps_and_ages: &[("ENABLE", super::PLUGINS)],
    a_loop_user_gets_loop_status_iob_cob_and_an_urgent_pump: &[("ENABLE", super::PLUGINS)],
    pebble_carries_iob_cob_and_the_bolus_wizard_for_a_looper: &[("ENABLE", super::PLUGINS)],
    without_enable_the_plugins_stay_out_of_properties_and_pebble: &[],
    plugin_properties_can_be_picked_by_name: &[("ENABLE", super::PLUGINS)],
    a_week_old_sensor_change_and_a_three_day_old_site_change_show_in_sage_and_cage: &[("ENABLE", super::PLUGINS)],
    status_json_has_the_careportal_by_default: &[],
    disable_careportal_takes_the_careportal_out_of_status_json: &[("DISABLE", "careportal")],
);

fn ago(mins: i64) -> String {
    iso(now_ms() - mins * MIN)
}

/// Three readings ending a minute ago (100, 110, 120), a UTC profile (DIA 3, ISF 50, IC 10,
/// 30 g/h, basal 1.0, target 100-120) and the careportal changes of a looper.
async fn seed(app: &TestApp) {
    let t = now_ms() - MIN;
    let docs: Vec<Value> = (0..3).map(|i| xdrip_reading(t - (2 - i) * 5 * MIN, 100 + i * 10)).collect();
    app.post_entries(Value::Array(docs)).await;
    let profile = json!({"defaultProfile": "LocalProfile", "startDate": ago(60 * 24 * 30), "units": "mg/dl",
        "store": {"LocalProfile": {"timezone": "UTC", "units": "mg/dl", "dia": 3, "carbs_hr": 30,
            "sens": [{"time": "00:00", "value": 50, "timeAsSeconds": 0}],
            "carbratio": [{"time": "00:00", "value": 10, "timeAsSeconds": 0}],
            "basal": [{"time": "00:00", "value": 1.0, "timeAsSeconds": 0}],
            "target_low": [{"time": "00:00", "value": 100}], "target_high": [{"time": "00:00", "value": 120}]}}});
    app.write_json(Method::POST, "/api/v1/profile", profile).await;
    let treatments = json!([
        {"eventType": "Site Change", "created_at": ago(50 * 60 + 30), "enteredBy": "mum"},
        {"eventType": "Sensor Change", "created_at": ago(3 * 24 * 60), "enteredBy": "mum"},
        {"eventType": "Insulin Change", "created_at": ago(20 * 60)},
        {"eventType": "Pump Battery Change", "created_at": ago(5 * 24 * 60)},
        {"eventType": "Temp Basal", "created_at": ago(10), "duration": 30, "absolute": 0.5, "rate": 0.5,
            "enteredBy": "AndroidAPS"},
    ]);
    app.write_json(Method::POST, "/api/v1/treatments", treatments).await;
}

fn aaps_status() -> Value {
    json!({"device": "openaps://samsung SM-G970F", "created_at": ago(2), "uploaderBattery": 64,
        "openaps": {
            "iob": {"iob": 1.234, "basaliob": -0.25, "activity": 0.0123, "time": ago(2)},
            "suggested": {"bg": 120, "eventualBG": 118, "COB": 25.4, "timestamp": ago(2),
                "predBGs": {"IOB": [120, 118, 116], "ZT": [120, 117]}},
            "enacted": {"bg": 120, "eventualBG": 119, "COB": 20, "rate": 0.5, "duration": 30, "received": true,
                "timestamp": ago(3)}},
        "pump": {"clock": ago(2), "reservoir": 8.5, "battery": {"percent": 25}, "status": {"status": "normal"}}})
}

fn loop_status() -> Value {
    json!({"device": "loop://iPhone", "created_at": ago(2), "uploader": {"battery": 80},
        "loop": {"name": "Loop", "timestamp": ago(2), "iob": {"iob": 0.567, "timestamp": ago(2)},
            "cob": {"cob": 12.345, "timestamp": ago(2)},
            "predicted": {"startDate": ago(2), "values": [120, 118, 115]},
            "enacted": {"rate": 0.8, "duration": 30, "timestamp": ago(2), "received": true}},
        "pump": {"clock": ago(2), "reservoir": 3, "battery": {"voltage": 1.25}, "suspended": false, "bolusing": false}})
}

async fn an_androidaps_looper_gets_iob_cob_basal_pump_openaps_and_ages(app: TestApp) {
    seed(&app).await;
    app.write_json(Method::POST, "/api/v1/devicestatus", aaps_status()).await;
    let p = app.get_json("/api/v2/properties").await;
    assert_eq!(p["iob"]["iob"], 1.234);
    assert_eq!(p["iob"]["display"], "1.23");
    assert_eq!(p["iob"]["displayLine"], "IOB: 1.23U");
    assert_eq!(p["iob"]["source"], "OpenAPS");
    assert_eq!(p["cob"]["display"], 25.4);
    assert_eq!(p["cob"]["source"], "OpenAPS");
    assert_eq!(p["basal"]["display"], "T: 0.500U");
    assert_eq!(p["basal"]["current"]["basal"], 1);
    assert_eq!(p["pump"]["data"]["reservoir"]["display"], "8.50U");
    assert_eq!(p["pump"]["data"]["battery"]["display"], "25%");
    assert_eq!(p["pump"]["data"]["level"], 1);
    assert_eq!(p["openaps"]["status"]["code"], "enacted");
    assert_eq!(p["openaps"]["lastLoopMoment"], p["openaps"]["lastSuggested"]["moment"]);
    assert_eq!(p["openaps"]["lastPredBGs"]["IOB"], json!([120, 118, 116]));
    assert_eq!(p["cage"]["age"], 50);
    assert_eq!(p["cage"]["display"], "50h");
    assert_eq!(p["cage"]["level"], 1);
    assert_eq!(p["cage"]["notes"], Value::Null);
    assert_eq!(p["sage"]["min"], "Sensor Change");
    assert_eq!(p["sage"]["Sensor Change"]["display"], "3d0h");
    assert_eq!(p["iage"]["display"], "20h");
    assert_eq!(p["bage"]["display"], "5d0h");
    assert_eq!(p["loop"]["lastLoop"], Value::Null, "no Loop uploads");
    assert_eq!(p["ar2"]["forecast"]["predicted"].as_array().unwrap().len(), 6);
    assert_eq!(p["bwp"]["iob"], 1.234);
    assert_eq!(p["rawbg"], json!({}), "no calibration");
    assert_eq!(p["upbat"]["display"], "64%");
}

async fn a_loop_user_gets_loop_status_iob_cob_and_an_urgent_pump(app: TestApp) {
    seed(&app).await;
    app.write_json(Method::POST, "/api/v1/devicestatus", loop_status()).await;
    let p = app.get_json("/api/v2/properties").await;
    assert_eq!(p["loop"]["display"], json!({"symbol": "⌁", "code": "enacted", "label": "Enacted"}));
    assert_eq!(p["loop"]["lastPredicted"]["values"], json!([120, 118, 115]));
    assert_eq!(p["loop"]["lastOkMoment"], p["loop"]["lastLoop"]["moment"]);
    assert_eq!(p["iob"]["source"], "Loop");
    assert_eq!(p["iob"]["display"], "0.57");
    assert_eq!(p["cob"]["display"], 12.3);
    assert_eq!(p["pump"]["data"]["level"], 2);
    assert_eq!(p["pump"]["data"]["title"], "URGENT: Pump Reservoir Low");
    assert_eq!(p["pump"]["data"]["battery"]["display"], "1.25v");
    assert_eq!(p["openaps"]["lastLoopMoment"], Value::Null);
}

async fn pebble_carries_iob_cob_and_the_bolus_wizard_for_a_looper(app: TestApp) {
    seed(&app).await;
    app.write_json(Method::POST, "/api/v1/devicestatus", aaps_status()).await;
    let bg = app.get_json("/pebble").await["bgs"][0].clone();
    assert_eq!(bg["sgv"], "120");
    assert_eq!(bg["iob"], "1.23");
    assert_eq!(bg["cob"], 25.4);
    // 120 - 1.234 U * 50 = 58.3: under the low target 100 by 41.7 -> -0.834 U.
    assert_eq!(bg["bwp"], "-0.84");
    assert_eq!(bg["bwpo"], 58);
}

async fn without_enable_the_plugins_stay_out_of_properties_and_pebble(app: TestApp) {
    seed(&app).await;
    app.write_json(Method::POST, "/api/v1/devicestatus", aaps_status()).await;
    let p = app.get_json("/api/v2/properties").await;
    for k in ["iob", "cob", "pump", "openaps", "loop", "cage", "sage", "rawbg", "bwp"] {
        assert!(p.get(k).is_none(), "{k} is not enabled");
    }
    assert_eq!(p["basal"]["display"], "T: 0.500U", "basal is a default feature");
    assert!(p.get("ar2").is_some(), "ALARM_TYPES defaults to predict");
    let bg = app.get_json("/pebble").await["bgs"][0].clone();
    assert!(bg.get("iob").is_none() && bg.get("cob").is_none() && bg.get("bwp").is_none());
}

async fn plugin_properties_can_be_picked_by_name(app: TestApp) {
    seed(&app).await;
    app.write_json(Method::POST, "/api/v1/devicestatus", aaps_status()).await;
    let p = app.get_json("/api/v2/properties/iob,cob,sage").await;
    let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["iob", "cob", "sage"]);
}

/// Nightscout loads the newest device change of each kind from the last 62 days, beyond the
/// 60-hour treatments window, so sensor and cannula ages show however many treatments followed.
async fn a_week_old_sensor_change_and_a_three_day_old_site_change_show_in_sage_and_cage(app: TestApp) {
    let t = now_ms() - MIN;
    app.post_entries(json!([xdrip_reading(t, 120)])).await;
    let mut treatments = vec![
        json!({"eventType": "Sensor Change", "created_at": ago(7 * 24 * 60), "enteredBy": "mum"}),
        json!({"eventType": "Site Change", "created_at": ago(3 * 24 * 60), "enteredBy": "mum"}),
    ];
    // Two days of boluses and temp basals after them, as a looper's phone uploads.
    treatments.extend((0..600).map(|i| {
        json!({"eventType": "Temp Basal", "created_at": ago(5 + i * 5),
        "duration": 5, "absolute": 0.8, "enteredBy": "AndroidAPS"})
    }));
    app.write_json(Method::POST, "/api/v1/treatments", Value::Array(treatments)).await;
    let p = app.get_json("/api/v2/properties/sage,cage").await;
    assert_eq!(p["sage"]["min"], "Sensor Change");
    assert_eq!(p["sage"]["Sensor Change"]["found"], true);
    assert_eq!(p["sage"]["Sensor Change"]["age"], 7 * 24);
    assert_eq!(p["sage"]["Sensor Change"]["display"], "7d0h");
    assert_eq!(p["sage"]["Sensor Change"]["level"], 2, "past SAGE_URGENT (166 h)");
    assert_eq!(p["cage"]["found"], true);
    assert_eq!(p["cage"]["age"], 72);
    assert_eq!(p["cage"]["display"], "72h");
}

async fn status_json_has_the_careportal_by_default(app: TestApp) {
    let s = app.get_json("/api/v1/status.json").await;
    assert_eq!(s["careportalEnabled"], true);
    assert!(s["settings"]["enable"].as_array().unwrap().contains(&json!("careportal")));
}

async fn disable_careportal_takes_the_careportal_out_of_status_json(app: TestApp) {
    let s = app.get_json("/api/v1/status.json").await;
    assert_eq!(s["careportalEnabled"], false);
    assert!(!s["settings"]["enable"].as_array().unwrap().contains(&json!("careportal")));
}
