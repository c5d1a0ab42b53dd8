use super::*;

#[test]
fn login_pages_give_their_form_action_and_hidden_fields() {
    let html = r#"<html><form action="https://mdtlogin.example/mmcl/auth?x=1&amp;y=2" method="POST">
        <input type="hidden" name="sessionID" value="abc"><input type="hidden" name="sessionData" value="s d"></form>"#;
    assert_eq!(form_field(html, "action").as_deref(), Some("https://mdtlogin.example/mmcl/auth?x=1&y=2"));
    assert_eq!(form_field(html, "sessionID").as_deref(), Some("abc"));
    assert_eq!(form_field(html, "sessionData").as_deref(), Some("s d"));
    assert_eq!(form_field(html, "missing"), None);
}

#[test]
fn reading_times_take_the_conduit_zone_and_the_last_reading_the_trend() {
    let data = json!({
        "medicalDeviceFamily": "NGP",
        "lastConduitDateTime": "2024-01-02T10:20:00.000+01:00",
        "lastSG": {"sg": 120, "datetime": "2024-01-02T10:15:00.000Z"},
        "lastSGTrend": "UP",
        "sgs": [
            {"sg": 110, "datetime": "2024-01-02T10:10:00.000Z"},
            {"sg": 0, "datetime": "2024-01-02T10:12:00.000Z"},
            {"sg": 115},
            {"sg": 120, "datetime": "2024-01-02T10:15:00.000-07:00"}
        ]
    });
    let e = to_entries(&data, "nightscout-connect://minimedcarelink");
    assert_eq!(e.len(), 2);
    // 10:10 at +01:00 is 09:10 UTC.
    assert_eq!(e[0]["dateString"], "2024-01-02T09:10:00.000Z");
    assert_eq!(e[0].get("direction"), None);
    assert_eq!(e[1]["dateString"], "2024-01-02T09:15:00.000Z");
    assert_eq!((e[1]["trend"].clone(), e[1]["direction"].clone()), (json!(2), json!("SingleUp")));
    assert_eq!(e[1]["device"], "nightscout-connect://minimedcarelink/NGP");
    assert!(to_entries(&json!({"sgs": []}), "d").is_empty());
}

#[test]
fn zone_suffixes_are_replaced_only_where_present() {
    assert_eq!(with_offset("2024-01-02T10:10:00Z", "+02:00"), "2024-01-02T10:10:00+02:00");
    assert_eq!(with_offset("2024-01-02T10:10:00-07:00", "+02:00"), "2024-01-02T10:10:00+02:00");
    assert_eq!(with_offset("2024-01-02T10:10:00", "+02:00"), "2024-01-02T10:10:00");
}
