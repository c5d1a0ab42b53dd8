use super::*;

fn r(mills: i64, mgdl: f64) -> Reading {
    Reading { id: None, mills, mgdl, direction: Some("Flat".into()), device: None }
}

const MIN: i64 = 60_000;

#[test]
fn units_use_the_2025_factor_and_javascript_rounding() {
    assert_eq!(mgdl_to_mmol(100.0), 5.6);
    assert_eq!(mgdl_to_mmol(180.0), 10.0);
    assert_eq!(mmol_to_mgdl(5.5), 99.0);
    assert_eq!(fixed1(mgdl_to_mmol(180.0)), "10.0");
    assert_eq!(fixed1(-0.04), "0.0");
    assert_eq!(js_round(-2.5), -2.0);
    assert_eq!(js_str(-3.0), "-3");
    assert_eq!(js_str(0.3), "0.3");
    assert_eq!(scale(100.0, Units::MgDl), 100.0);
}

#[test]
fn directions_map_to_arrows_and_pebble_trends() {
    assert_eq!(arrow("Flat"), "→");
    assert_eq!(arrow("bogus"), "-");
    assert_eq!(trend("NONE"), 0);
    assert_eq!(trend("DoubleDown"), 7);
    assert_eq!(trend("TripleUp"), 8);
    assert_eq!(trend("RATE OUT OF RANGE"), 9);
    let info = direction_info(Some(&r(0, 100.0)));
    assert_eq!(info, json!({"display": null, "value": "Flat", "label": "→", "entity": "&#8594;"}));
    let none = Reading { direction: None, ..r(0, 100.0) };
    assert_eq!(direction_info(Some(&none)), json!({"display": null, "label": "-", "entity": "&#45;"}));
    assert_eq!(direction_info(None), json!({"display": null}));
}

#[test]
fn five_minute_delta_uses_bucket_means() {
    let t = 1_700_000_000_000;
    let rs = [r(t, 120.0), r(t - 5 * MIN, 110.0), r(t - 10 * MIN, 100.0)];
    let b = buckets(&rs);
    assert_eq!(b.len(), 4);
    let d = delta(&b, Units::MgDl).unwrap();
    assert_eq!(d.mgdl, 10.0);
    assert!(!d.interpolated);
    assert_eq!(d.display, "+10");
    assert_eq!((d.recent_mills, d.previous_mills), (t, t - 5 * MIN));
    let d = delta(&b, Units::Mmol).unwrap();
    assert_eq!(d.scaled, 0.6, "6.7 - 6.1");
    assert_eq!(d.display, "+0.6");
}

#[test]
fn one_minute_readings_are_averaged_per_bucket() {
    let t = 1_700_000_000_000;
    // Libre-style: a reading every minute; bucket 0 holds t-2..t, bucket 1 t-7..t-3.
    let rs: Vec<Reading> = (0..10).map(|i| r(t - i * MIN, 150.0 - i as f64)).collect();
    let b = buckets(&rs);
    assert_eq!(b[0].mean, Some(149.0));
    assert_eq!(b[1].mean, Some(145.0));
    assert_eq!(delta(&b, Units::MgDl).unwrap().mgdl, 4.0, "elapsed 3 min, not interpolated");
}

#[test]
fn a_gap_past_nine_minutes_is_interpolated_to_five() {
    let t = 1_700_000_000_000;
    let b = buckets(&[r(t, 130.0), r(t - 10 * MIN, 110.0)]);
    let d = delta(&b, Units::MgDl).unwrap();
    assert!(d.interpolated);
    assert_eq!(d.mgdl, 10.0);
    assert_eq!(d.elapsed_mins, 10.0);
}

#[test]
fn no_delta_without_a_previous_reading_or_with_errors() {
    let t = 1_700_000_000_000;
    assert_eq!(delta(&buckets(&[r(t, 100.0)]), Units::MgDl), None);
    assert_eq!(delta(&buckets(&[r(t, 100.0), r(t - 30 * MIN, 90.0)]), Units::MgDl), None, "too old");
    assert_eq!(delta(&buckets(&[r(t, 5.0), r(t - 5 * MIN, 90.0)]), Units::MgDl), None, "error code now");
    let b = buckets(&[r(t, 100.0), r(t - 5 * MIN, 9.0), r(t - 10 * MIN, 90.0)]);
    assert_eq!(delta(&b, Units::MgDl).unwrap().mgdl, 5.0, "the error bucket is skipped, then interpolated");
    assert!(buckets(&[]).is_empty());
}

#[test]
fn buckets_show_as_bgnow_without_their_bounds() {
    let t = 1_700_000_000_000;
    let b = buckets(&[r(t, 100.0), r(t - MIN, 5.0), r(t - 5 * MIN, 90.0)]);
    let v = b[0].to_json(Units::MgDl);
    assert_eq!(v["mean"], 100);
    assert_eq!(v["last"], 100);
    assert_eq!(v["mills"], t);
    assert_eq!(v["sgvs"].as_array().unwrap().len(), 2);
    assert_eq!(v["errors"][0]["mgdl"], 5);
    assert!(v.get("fromMills").is_none());
    let d = delta(&b, Units::MgDl).unwrap().to_json(Units::MgDl);
    assert_eq!(d["previous"]["mean"], 90);
    assert_eq!(d["previous"]["sgvs"][0]["mgdl"], 90);
}
