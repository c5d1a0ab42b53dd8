//! `basal` (`lib/plugins/basalprofile.js`): the basal running now, from the profile and the
//! temp basal and combo bolus treatments.

use serde_json::{Value, json};

use super::{Inputs, fixed};

/// `{display: "T: 0.450U", current: {basal, treatment, combobolustreatment, tempbasal,
/// combobolusbasal, totalbasal}}`; `T` marks a temp basal, `C` a combo bolus. `None` without a
/// profile basal.
pub fn property(inp: &Inputs) -> Option<Value> {
    let p = inp.profile.as_ref()?;
    p.basal(inp.now)?;
    let current = p.temp_basal(inp.now);
    let mut mark = String::new();
    if current.treatment.is_some() {
        mark.push('T');
    }
    if current.combo.is_some() {
        mark.push('C');
    }
    if !mark.is_empty() {
        mark.push_str(": ");
    }
    Some(json!({"display": format!("{mark}{}U", fixed(current.totalbasal, 3)), "current": current.to_json()}))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::plugins::inputs;

    fn doc(v: serde_json::Value) -> crate::domain::Doc {
        v.as_object().cloned().unwrap()
    }

    const NOW: i64 = 1_704_103_200_000; // 2024-01-01T10:00:00Z

    fn profile() -> crate::domain::Doc {
        doc(json!({"defaultProfile": "Default", "startDate": "2023-01-01T00:00:00Z", "store": {"Default": {
            "timezone": "Europe/Berlin", "dia": 5, "basal": [{"time": "00:00", "value": 0.8},
            {"time": "10:30", "value": 1.1}, {"time": "12:00", "value": 0.9}]}}}))
    }

    #[test]
    fn the_profile_basal_is_read_in_the_profiles_time_zone() {
        // 10:00 UTC is 11:00 in Berlin: the 10:30 entry.
        let inp = inputs(&[], &[], &[], Some(&profile()), NOW);
        let b = super::property(&inp).unwrap();
        assert_eq!(b["display"], "1.100U");
        assert_eq!(b["current"]["basal"], 1.1);
        assert_eq!(b["current"]["treatment"], json!(null));
    }

    #[test]
    fn an_absolute_temp_basal_is_marked_and_a_percent_one_scales_the_profile() {
        let t = [doc(json!({"eventType": "Temp Basal", "created_at": "2024-01-01T09:50:00Z", "duration": 30,
            "absolute": 0.45, "enteredBy": "AndroidAPS"}))];
        let b = super::property(&inputs(&[], &t, &[], Some(&profile()), NOW)).unwrap();
        assert_eq!(b["display"], "T: 0.450U");
        assert_eq!(b["current"]["tempbasal"], 0.45);
        assert_eq!(b["current"]["treatment"]["absolute"], 0.45);
        let t = [doc(json!({"eventType": "Temp Basal", "created_at": "2024-01-01T09:50:00Z", "duration": 30,
            "percent": -50}))];
        let b = super::property(&inputs(&[], &t, &[], Some(&profile()), NOW)).unwrap();
        assert_eq!(b["display"], "T: 0.550U");
        // A later zero-duration temp basal ends the first one.
        let t = [
            doc(
                json!({"eventType": "Temp Basal", "created_at": "2024-01-01T09:50:00Z", "duration": 30, "absolute": 0}),
            ),
            doc(json!({"eventType": "Temp Basal", "created_at": "2024-01-01T09:55:00Z", "duration": 0})),
        ];
        let b = super::property(&inputs(&[], &t, &[], Some(&profile()), NOW)).unwrap();
        assert_eq!(b["display"], "1.100U", "the temp basal was cancelled at 09:55");
    }

    #[test]
    fn a_combo_bolus_adds_its_relative_rate() {
        let t = [doc(json!({"eventType": "Combo Bolus", "created_at": "2024-01-01T09:00:00Z", "duration": 120,
            "relative": 0.5, "insulin": 1}))];
        let b = super::property(&inputs(&[], &t, &[], Some(&profile()), NOW)).unwrap();
        assert_eq!(b["display"], "C: 1.600U");
        assert_eq!(b["current"]["combobolusbasal"], 0.5);
    }

    #[test]
    fn no_profile_or_no_basal_gives_no_property() {
        assert!(super::property(&inputs(&[], &[], &[], None, NOW)).is_none());
        let p = doc(json!({"defaultProfile": "A", "store": {"A": {"dia": 3}}}));
        assert!(super::property(&inputs(&[], &[], &[], Some(&p), NOW)).is_none());
    }
}
