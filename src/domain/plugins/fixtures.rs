//! Shared test data: a looper's profile and the shapes AndroidAPS, Loop and OpenAPS upload.

use serde_json::{Value, json};

use super::settings::PluginSettings;
use super::{Context, Inputs, inputs};
use crate::domain::Doc;
use crate::domain::units::{Thresholds, Units};

/// 2024-01-01T10:00:00Z.
pub const NOW: i64 = 1_704_103_200_000;
pub const MIN: i64 = 60_000;

pub fn doc(v: Value) -> Doc {
    v.as_object().cloned().unwrap()
}

/// ISO time `mins` minutes before `NOW`.
pub fn ago(mins: f64) -> String {
    crate::domain::time::to_iso_utc(NOW - (mins * MIN as f64) as i64).unwrap()
}

/// A UTC profile: DIA 3, ISF 50, carb ratio 10, 30 g/h, basal 1.0, targets 100-120.
pub fn profile() -> Doc {
    doc(json!({"defaultProfile": "Default", "startDate": "2023-01-01T00:00:00Z", "store": {"Default": {
        "timezone": "UTC", "units": "mg/dl", "dia": 3, "carbs_hr": 30,
        "sens": [{"time": "00:00", "value": 50}], "carbratio": [{"time": "00:00", "value": 10}],
        "basal": [{"time": "00:00", "value": 1.0}],
        "target_low": [{"time": "00:00", "value": 100}], "target_high": [{"time": "00:00", "value": 120}]}}}))
}

pub fn with<'a>(treatments: &[Doc], statuses: &'a [Doc]) -> Inputs<'a> {
    inputs(&[], treatments, statuses, Some(&profile()), NOW)
}

pub const THRESHOLDS: Thresholds =
    Thresholds { bg_high: 260.0, bg_target_top: 180.0, bg_target_bottom: 80.0, bg_low: 55.0 };

pub fn context<'a>(settings: &'a PluginSettings, enabled: &'a [String]) -> Context<'a> {
    Context {
        units: Units::MgDl,
        thresholds: THRESHOLDS,
        settings,
        enabled,
        alarm_high: true,
        alarm_low: true,
        show_rawbg: "never".into(),
        tr: crate::domain::i18n::Tr::english(),
    }
}

pub fn settings(vars: &[(&str, &str)]) -> PluginSettings {
    PluginSettings::from_lookup(&|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
}

/// AndroidAPS (oref1): `openaps.iob` object, `suggested` and `enacted` with `COB` and
/// `predBGs`, `pump` with reservoir, battery percent and status.
pub fn aaps_status(mins_ago: f64) -> Doc {
    let t = ago(mins_ago);
    doc(json!({"device": "openaps://samsung SM-G970F", "created_at": t, "isCharging": false,
        "uploaderBattery": 64,
        "openaps": {
            "iob": {"iob": 1.234, "basaliob": -0.25, "activity": 0.0123, "time": t},
            "suggested": {"bg": 143, "eventualBG": 120, "COB": 25.4, "IOB": 1.234, "timestamp": t,
                "reason": "COB: 25, Dev: 10", "predBGs": {"IOB": [143, 140, 137], "ZT": [143, 138], "COB": [143, 145]}},
            "enacted": {"bg": 143, "eventualBG": 121, "COB": 20, "rate": 0.5, "duration": 30, "received": true,
                "timestamp": ago(mins_ago + 1.0), "predBGs": {"IOB": [140, 138]}}
        },
        "pump": {"clock": t, "reservoir": 8.5, "battery": {"percent": 25},
            "status": {"status": "normal", "timestamp": t}, "extended": {"ActiveProfile": "LocalProfile"}}}))
}

/// Loop (iOS): `loop.iob`, `loop.cob`, `loop.predicted`, `loop.enacted`, and a pump.
pub fn loop_status(mins_ago: f64) -> Doc {
    let t = ago(mins_ago);
    doc(json!({"device": "loop://iPhone", "created_at": t,
        "uploader": {"battery": 80, "name": "iPhone"},
        "loop": {"name": "Loop", "version": "3.2.3", "timestamp": t,
            "iob": {"iob": 0.567, "timestamp": t}, "cob": {"cob": 12.345, "timestamp": t},
            "predicted": {"startDate": t, "values": [120, 118, 115, 113]},
            "enacted": {"rate": 0.8, "duration": 30, "timestamp": t, "received": true},
            "recommendedBolus": 0},
        "pump": {"clock": t, "reservoir": 3, "battery": {"voltage": 1.25}, "manufacturer": "Medtronic",
            "model": "723", "pumpID": "123456", "suspended": false, "bolusing": false}}))
}

/// OpenAPS (oref0 rig): AMA-style `iob` array with `time`, `recieved` spelt as oref0 spells it.
pub fn openaps_status(mins_ago: f64) -> Doc {
    let t = ago(mins_ago);
    doc(json!({"device": "openaps://edison", "created_at": t,
        "openaps": {
            "iob": [{"iob": 2.5, "basaliob": 0.4, "activity": 0.02, "time": t}, {"iob": 2.3, "time": t}],
            "suggested": {"bg": 110, "eventualBG": 95, "COB": 0, "timestamp": t, "predBGs": [110, 108, 106]},
            "enacted": {"rate": 0, "duration": 30, "timestamp": t, "recieved": true, "COB": 0}
        },
        "mmtune": {"timestamp": t, "scanDetails": [["916.5", 5, -80]]},
        "uploader": {"batteryVoltage": 3950, "battery": 90}}))
}
