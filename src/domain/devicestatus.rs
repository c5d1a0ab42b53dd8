//! Devicestatus (`lib/server/devicestatus.js`): `created_at` in UTC and OpenAPS prediction
//! arrays cut to `PREDICTIONS_MAX_SIZE`.

use serde_json::Value;

use super::Doc;
use super::documents::normalize_created_at;

/// Normalises one uploaded devicestatus; `max_predictions` 0 leaves predictions whole.
pub fn normalize(doc: &mut Doc, now_ms: i64, max_predictions: usize) {
    normalize_created_at(doc, now_ms);
    if max_predictions == 0 {
        return;
    }
    let Some(openaps) = doc.get_mut("openaps").and_then(Value::as_object_mut) else { return };
    for part in ["suggested", "enacted"] {
        let preds = openaps.get_mut(part).and_then(|p| p.get_mut("predBGs")).and_then(Value::as_object_mut);
        let Some(preds) = preds else { continue };
        for curve in ["IOB", "COB", "UAM", "ZT"] {
            if let Some(Value::Array(a)) = preds.get_mut(curve) {
                a.truncate(max_predictions);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openaps_predictions_are_truncated_and_times_normalised() {
        let long: Vec<i64> = (0..300).collect();
        let mut d = json!({"device": "openaps://rig", "created_at": "2014-07-20T00:44:15-07:00",
            "openaps": {"suggested": {"predBGs": {"IOB": long, "COB": [1, 2], "other": long}},
                        "enacted": {"predBGs": {"ZT": long}}}})
        .as_object()
        .cloned()
        .unwrap();
        normalize(&mut d, 0, 288);
        assert_eq!(d["created_at"], "2014-07-20T07:44:15.000Z");
        assert_eq!(d["utcOffset"], -420);
        let s = &d["openaps"]["suggested"]["predBGs"];
        assert_eq!(s["IOB"].as_array().unwrap().len(), 288);
        assert_eq!(s["COB"], json!([1, 2]));
        assert_eq!(s["other"].as_array().unwrap().len(), 300, "only IOB/COB/UAM/ZT are cut");
        assert_eq!(d["openaps"]["enacted"]["predBGs"]["ZT"].as_array().unwrap().len(), 288);
        let mut whole = json!({"openaps": {"suggested": {"predBGs": {"IOB": long}}}}).as_object().cloned().unwrap();
        normalize(&mut whole, 0, 0);
        assert_eq!(whole["openaps"]["suggested"]["predBGs"]["IOB"].as_array().unwrap().len(), 300);
    }
}
