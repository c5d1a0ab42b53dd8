//! The data sets the bench stores before it measures: a day of sgvs only, or what an AndroidAPS
//! looper's site holds after two days (issue #12): 48 h of sgvs every 5 minutes, 60 h of
//! treatments (a temp basal every 10 minutes, an SMB every 15, meals), 24 h of devicestatus every
//! 5 minutes with `openaps.suggested`/`enacted` carrying four 48-point `predBGs` curves, one profile.

use serde_json::{Value, json};

const MIN: i64 = 60_000;

fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", rem / 3600, rem % 3600 / 60, rem % 60, ms.rem_euclid(1000))
}

fn bg(t: i64) -> i64 {
    let x = (t / MIN) as f64 / 90.0;
    (130.0 + 45.0 * x.sin() + 15.0 * (x * 2.7).cos()) as i64
}

/// One sgv as xDrip+/AndroidAPS upload it.
pub fn sgv(t: i64, device: &str) -> Value {
    json!({"type": "sgv", "sgv": bg(t), "date": t, "dateString": iso(t), "direction": "Flat",
        "device": device, "noise": 1, "filtered": bg(t) * 1000, "unfiltered": bg(t) * 1000 + 350,
        "rssi": 100, "delta": 1.5, "sysTime": iso(t), "utcOffset": 60})
}

pub fn temp_basal(t: i64, i: i64) -> Value {
    json!({"eventType": "Temp Basal", "created_at": iso(t), "date": t, "duration": 30,
        "durationInMilliseconds": 1_800_000, "rate": 0.45 + (i % 7) as f64 * 0.1, "absolute": 0.45 + (i % 7) as f64 * 0.1,
        "percent": -20 + (i % 9) * 10, "type": "NORMAL", "isValid": true, "enteredBy": "openaps://AndroidAPS",
        "pumpId": 1_700_000_000_000i64 + i, "pumpType": "OMNIPOD_DASH", "pumpSerial": "4241", "app": "AAPS"})
}

pub fn smb(t: i64, i: i64) -> Value {
    json!({"eventType": "Correction Bolus", "created_at": iso(t), "date": t, "insulin": 0.1 + (i % 5) as f64 * 0.05,
        "type": "SMB", "isBasalInsulin": false, "isValid": true, "enteredBy": "openaps://AndroidAPS",
        "pumpId": 1_800_000_000_000i64 + i, "pumpType": "OMNIPOD_DASH", "pumpSerial": "4241", "app": "AAPS"})
}

fn meal(t: i64) -> Value {
    json!({"eventType": "Meal Bolus", "created_at": iso(t), "date": t, "carbs": 45, "insulin": 4.5,
        "type": "NORMAL", "isValid": true, "enteredBy": "openaps://AndroidAPS", "app": "AAPS"})
}

fn curve(t: i64, shift: i64) -> Vec<i64> {
    (0..48).map(|k| (bg(t + k * 5 * MIN) + shift - k).clamp(39, 400)).collect()
}

fn loop_result(t: i64, enacted: bool) -> Value {
    let mut v = json!({"algorithm": "SMB", "bg": bg(t), "tick": "+2", "eventualBG": bg(t) - 12,
        "targetBG": 100, "insulinReq": 0.42, "deliverAt": iso(t), "sensitivityRatio": 1.0,
        "variable_sens": 46.3, "COB": 12.5, "IOB": 1.23, "timestamp": iso(t),
        "predBGs": {"IOB": curve(t, 0), "ZT": curve(t, -20), "COB": curve(t, 15), "UAM": curve(t, 5)},
        "reason": "COB: 12, Dev: 14, BGI: -1.8, ISF: 46, CR: 9.5, Target: 100, minPredBG 92, minGuardBG 88, \
            IOBpredBG 95, COBpredBG 118, UAMpredBG 104; Eventual BG 118 >= 100, insulinReq 0.42; setting 30m \
            low temp of 0U/h. Microbolusing 0.2U. ", "rate": 0.0, "duration": 30});
    if enacted {
        v["recieved"] = json!(true);
        v["smb"] = json!(0.2);
        v["units"] = json!(0.2);
    }
    v
}

/// One AndroidAPS devicestatus (about 4 KB).
pub fn devicestatus(t: i64) -> Value {
    json!({"device": "openaps://samsung SM-G991B", "created_at": iso(t), "date": t,
        "pump": {"clock": iso(t), "reservoir": 112.5, "battery": {"percent": 76},
            "status": {"status": "normal", "timestamp": iso(t)},
            "extended": {"Version": "3.2.0.4-abcdef", "LastBolus": "12:03", "LastBolusAmount": 0.2,
                "TempBasalAbsoluteRate": 0.0, "TempBasalStart": "12:00", "TempBasalRemaining": 28,
                "BaseBasalRate": 0.85, "ActiveProfile": "Default"}},
        "openaps": {"suggested": loop_result(t, false), "enacted": loop_result(t, true),
            "iob": {"iob": 1.23, "basaliob": -0.12, "bolusiob": 1.35, "activity": 0.012, "time": iso(t),
                "lastBolusTime": t - 20 * MIN, "iobWithZeroTemp": {"iob": 1.1, "basaliob": -0.25,
                    "bolussnooze": 0, "activity": 0.011, "lastBolusTime": t - 20 * MIN, "time": iso(t)}}},
        "uploaderBattery": 64, "isCharging": false,
        "configuration": {"insulin": 5, "insulinConfiguration": {"insulinLabel": "Lyumjev", "insulinPeakTime": 45,
                "insulinEndTime": 25_200_000},
            "sensitivity": 2, "sensitivityConfiguration": {"openapsama_min_5m_carbimpact": 8,
                "absorption_cutoff": 6, "autosens_max": 1.2, "autosens_min": 0.7},
            "smoothing": "EXPONENTIAL", "aps": "OpenAPSSMBDynamicISF",
            "safety": "Objectives", "pump": "OmnipodDash", "version": "3.2.0.4", "insulinConcentration": 1,
            "overviewConfiguration": {"units": "mg/dl", "QuickWizard": "[]", "eatingsoon_duration": 45,
                "eatingsoon_target": 90, "activity_duration": 90, "activity_target": 140,
                "hypo_duration": 60, "hypo_target": 160, "low_mark": 72, "high_mark": 180,
                "statuslights_cage_warning": 48, "statuslights_cage_critical": 72,
                "statuslights_iage_warning": 72, "statuslights_iage_critical": 144,
                "statuslights_sage_warning": 216, "statuslights_sage_critical": 240,
                "statuslights_sbat_warning": 25, "statuslights_sbat_critical": 5,
                "statuslights_bage_warning": 216, "statuslights_bage_critical": 240,
                "statuslights_res_warning": 80, "statuslights_res_critical": 10,
                "statuslights_bat_warning": 51, "statuslights_bat_critical": 26},
            "safetyConfiguration": {"age": "adult", "treatmentsafety_maxbolus": 10,
                "treatmentsafety_maxcarbs": 70}}})
}

pub fn profile(t: i64) -> Value {
    let hours = |v: f64| {
        (0..24).map(|h| json!({"time": format!("{h:02}:00"), "timeAsSeconds": h * 3600, "value": v + (h % 4) as f64 * 0.05})).collect::<Vec<_>>()
    };
    json!({"defaultProfile": "Default", "date": t, "created_at": iso(t), "startDate": iso(t), "mills": t,
        "units": "mg/dl", "enteredBy": "openaps://AndroidAPS",
        "store": {"Default": {"dia": 7, "carbratio": hours(9.5), "sens": hours(46.0), "basal": hours(0.8),
            "target_low": [{"time": "00:00", "timeAsSeconds": 0, "value": 100}],
            "target_high": [{"time": "00:00", "timeAsSeconds": 0, "value": 100}],
            "units": "mg/dl", "timezone": "Europe/Berlin"}}})
}

/// What to POST before measuring, by collection path.
pub struct DataSet {
    pub entries: Vec<Value>,
    pub treatments: Vec<Value>,
    pub devicestatus: Vec<Value>,
    pub profile: Option<Value>,
}

impl DataSet {
    pub fn sgv_only(now: i64, readings: i64) -> DataSet {
        let entries = (1..=readings).map(|i| sgv(now - i * 5 * MIN, "bench")).collect();
        DataSet { entries, treatments: Vec::new(), devicestatus: Vec::new(), profile: None }
    }

    pub fn looper(now: i64) -> DataSet {
        let device = "AndroidAPS-DexcomG6";
        let entries = (1..=576).map(|i| sgv(now - i * 5 * MIN, device)).collect();
        let mut treatments: Vec<Value> = (1..=360).map(|i| temp_basal(now - i * 10 * MIN, i)).collect();
        treatments.extend((1..=240).map(|i| smb(now - i * 15 * MIN - 2 * MIN, i)));
        treatments.extend((0..8).map(|i| meal(now - (i * 7 + 3) * 60 * MIN - 7 * MIN)));
        let devicestatus = (1..=288).map(|i| devicestatus(now - i * 5 * MIN + MIN)).collect();
        DataSet { entries, treatments, devicestatus, profile: Some(profile(now - 72 * 60 * MIN)) }
    }

    pub fn json_bytes(&self) -> usize {
        let n = |v: &[Value]| v.iter().map(|d| d.to_string().len()).sum::<usize>();
        n(&self.entries)
            + n(&self.treatments)
            + n(&self.devicestatus)
            + self.profile.iter().map(|p| p.to_string().len()).sum::<usize>()
    }
}

/// The i-th of the mixed writes a looper's phone makes, one request each: (path, body).
pub fn mixed_write(now: i64, i: i64) -> (&'static str, Value) {
    let t = now - 1000 + i;
    match i % 4 {
        0 => ("entries", sgv(t, "AndroidAPS-DexcomG6")),
        1 => ("treatments", temp_basal(t, 10_000 + i)),
        2 => ("treatments", smb(t, 10_000 + i)),
        _ => ("devicestatus", devicestatus(t)),
    }
}
