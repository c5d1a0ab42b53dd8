//! The vendor-cloud bridges end to end against fake vendors on 127.0.0.1, on both backends:
//! readings stored once and pushed to a dashboard, session expiry, wrong password, terms to
//! accept, rate limiting, back-off, clock skew, health in status.json, restart without gaps.

use crate::bridge_fakes::dashboard::Dashboard;
use crate::bridge_fakes::harness::{
    assert_once, at_min, entries, entries_count, health_until, spawn, status, vars, wait_for,
};
use crate::bridge_fakes::{Shared, carelink, dexcom, linkup, serve};
use crate::common::{Backend, SECRET_SHA1, TestApp};

const USER: &str = "ann.parent@example.com";
const PASS: &str = "correct horse battery";

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Sqlite).await } )* }
        mod mongo { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(super::Backend::Mongo).await } )* }
    };
}

both!(
    dexcom_share_readings_are_stored_once_pushed_live_and_survive_session_expiry_and_clock_skew,
    a_wrong_dexcom_password_is_reported_in_plain_words_and_not_retried_soon,
    the_legacy_bridge_settings_run_dexcom_share_and_bridge_is_not_echoed_in_enable,
    a_bridge_that_cannot_run_is_reported_and_the_server_still_serves,
    failures_back_off_exponentially_and_the_bridge_recovers,
    librelinkup_follows_the_chosen_patient_with_the_current_app_headers,
    librelinkup_terms_to_accept_are_reported_and_the_bridge_resumes_once_accepted,
    librelinkup_rate_limiting_waits_as_long_as_the_vendor_asks,
    librelinkup_adopts_the_minimum_app_version_the_vendor_names,
    librelinkup_never_follows_another_patient_than_the_one_named,
    carelink_readings_arrive_through_the_sso_login_of_a_care_partner,
    a_wrong_carelink_password_needs_the_user_and_is_not_retried_soon,
    a_restarted_bridge_resumes_from_the_newest_reading_without_gaps,
    a_failing_bridge_raises_the_alert_while_the_stale_data_alarm_still_fires,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_two_instances_on_one_mongodb_one_polls_and_both_show_its_health() {
    let fake = Shared::new(USER, PASS);
    fake.add(at_min(-5), 111);
    let Some(a) = dexcom_app(Backend::Mongo, &fake, &[("FERROSCOUT_INSTANCE", "instance-a")]).await else { return };
    entries_count(&a, 1).await;
    health_until(&a, "instance a polls", |h| h["state"] == "ok").await;
    let base = serve(dexcom::router(fake.clone())).await;
    let creds = [("CONNECT_SHARE_ACCOUNT_NAME", USER), ("CONNECT_SHARE_PASSWORD", PASS)];
    let mut v = vars("dexcomshare", &creds, &[("FERROSCOUT_INSTANCE", "instance-b")]);
    v.push(("CONNECT_SHARE_SERVER", &base));
    let dir = std::env::temp_dir().join(crate::common::unique("ferroscout_b"));
    let b = TestApp::spawn_at(Backend::Mongo, &v, dir, a.mongo_uri.clone()).await;
    let seen = health_until(&b, "b shows a's report", |h| h["state"] == "ok" && h["polledBy"] == "instance-a").await;
    assert_eq!(seen["readingsStored"], 1);
    // A new reading in the cloud: still stored once, by the holder, and B's status follows.
    fake.add(at_min(0), 112);
    entries_count(&b, 2).await;
    health_until(&b, "b follows a's report", |h| h["readingsStored"] == 2).await;
    assert_eq!(fake.lock().logins, 1, "only the lease holder logs in to the vendor");
    let (text, _) = status(&b).await;
    no_credentials(&text);
}

async fn dexcom_app(backend: Backend, fake: &Shared, extra: &[(&str, &str)]) -> Option<TestApp> {
    let base = serve(dexcom::router(fake.clone())).await;
    let creds = [("CONNECT_SHARE_ACCOUNT_NAME", USER), ("CONNECT_SHARE_PASSWORD", PASS)];
    let mut v = vars("dexcomshare", &creds, extra);
    v.push(("CONNECT_SHARE_SERVER", &base));
    spawn(backend, &v).await
}

/// Asserts status.json never shows the credentials.
fn no_credentials(status_text: &str) {
    assert!(!status_text.contains(PASS), "password in status.json");
    assert!(!status_text.contains(USER), "user name in status.json");
}

async fn dexcom_share_readings_are_stored_once_pushed_live_and_survive_session_expiry_and_clock_skew(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    let first = [at_min(-15), at_min(-10), at_min(-5)];
    for (i, t) in first.iter().enumerate() {
        fake.add(*t, 100 + i as i64);
    }
    let Some(app) = dexcom_app(backend, &fake, &[]).await else { return };
    let stored = entries_count(&app, 3).await;
    assert_once(&stored, &first);
    let e = &stored[2];
    assert_eq!(
        (e["sgv"].as_i64(), e["type"].as_str(), e["device"].as_str()),
        (Some(102), Some("sgv"), Some("nightscout-connect"))
    );
    assert_eq!((e["direction"].as_str(), e["trend"].as_i64()), (Some("Flat"), Some(4)));
    // The first poll of an empty site reaches back as far as Share keeps (a day).
    assert_eq!(fake.lock().queries[0]["maxCount"], "288");

    let dash = Dashboard::connect(&app.base, SECRET_SHA1).await;
    wait_for("dashboard authorized", || async { dash.is_authorized().then_some(()) }).await;
    let live = at_min(0);
    fake.add(live, 140);
    wait_for("the new reading pushed to the dashboard", || async { dash.has(live).then_some(()) }).await;

    // The session ends; the next poll logs in again. A reading dated 3 minutes ahead of our
    // clock (vendor clock skew) is stored like any other.
    fake.lock().expire_session = true;
    let skewed = at_min(3);
    fake.add(skewed, 150);
    wait_for("the skewed reading pushed", || async { dash.has(skewed).then_some(()) }).await;
    assert_eq!(fake.lock().logins, 2, "logged in again after the session ended");

    // More polls return the same readings: nothing is stored twice.
    let calls = fake.lock().data_calls;
    wait_for("three more polls", || async { (fake.lock().data_calls >= calls + 3).then_some(()) }).await;
    assert_once(&entries(&app).await, &[first[0], first[1], first[2], live, skewed]);
    let later = fake.lock().queries.last().cloned().unwrap();
    assert!(later["maxCount"].parse::<i64>().unwrap() <= 4, "later polls ask only for what is missing: {later:?}");

    let (text, h) = status(&app).await;
    assert_eq!(
        (h["source"].as_str(), h["state"].as_str(), h["alert"].as_bool()),
        (Some("dexcomshare"), Some("ok"), Some(false))
    );
    assert!(h["lastSuccess"].as_i64().is_some() && h["nextAttempt"].as_i64().is_some());
    assert_eq!(h["readingsStored"], 5);
    no_credentials(&text);
}

async fn a_wrong_dexcom_password_is_reported_in_plain_words_and_not_retried_soon(backend: Backend) {
    let fake = Shared::new(USER, "the real password");
    fake.add(at_min(-5), 100);
    let Some(app) = dexcom_app(backend, &fake, &[]).await else { return };
    let h = health_until(&app, "needs-action", |h| h["state"] == "needs-action").await;
    let message = h["message"].as_str().unwrap();
    assert!(
        message.contains("Dexcom Share needs you") && message.contains("refused the account name or password"),
        "{message}"
    );
    assert_eq!(h["alert"], true, "shown at once: only the user can fix it");
    // The longest wait at once (a minute here, an hour by default), so the account is not locked.
    assert_eq!(h["retryInMs"], 60_000);
    assert_eq!(h["recentWaitsMs"], serde_json::json!([60_000]));
    assert_eq!(fake.lock().login_attempts, 1);
    assert!(entries(&app).await.is_empty());
    no_credentials(&status(&app).await.0);
}

async fn the_legacy_bridge_settings_run_dexcom_share_and_bridge_is_not_echoed_in_enable(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    let t = at_min(-3);
    fake.add(t, 133);
    let base = serve(dexcom::router(fake.clone())).await;
    let mut v = vec![("ENABLE", "careportal bridge"), ("BRIDGE_USER_NAME", USER), ("BRIDGE_PASSWORD", PASS)];
    v.extend_from_slice(&crate::bridge_fakes::harness::FAST);
    v.push(("BRIDGE_SERVER", &base));
    let Some(app) = spawn(backend, &v).await else { return };
    assert_once(&entries_count(&app, 1).await, &[t]);
    let status = app.get_json("/api/v1/status.json").await;
    let enable: Vec<&str> =
        status["settings"]["enable"].as_array().unwrap().iter().filter_map(|e| e.as_str()).collect();
    assert!(enable.contains(&"careportal") && !enable.contains(&"bridge"), "{enable:?}");
    assert_eq!(status["bridges"][0]["source"], "dexcomshare");
    no_credentials(&status.to_string());
}

async fn a_bridge_that_cannot_run_is_reported_and_the_server_still_serves(backend: Backend) {
    let v = [("ENABLE", "connect"), ("CONNECT_SOURCE", "linkup glooko"), ("CONNECT_LINK_UP_USERNAME", USER)];
    let Some(app) = spawn(backend, &v).await else { return };
    let (_, first) = status(&app).await;
    let all = app.get_json("/api/v1/status.json").await["bridges"].clone();
    assert_eq!((first["state"].as_str(), first["alert"].as_bool()), (Some("not-configured"), Some(true)));
    assert!(first["message"].as_str().unwrap().contains("CONNECT_LINK_UP_PASSWORD must be set"), "{first}");
    assert!(all[1]["message"].as_str().unwrap().contains("not supported"), "{all}");
    app.post_entries(serde_json::json!([{"type": "sgv", "sgv": 100, "date": at_min(0)}])).await;
}

async fn failures_back_off_exponentially_and_the_bridge_recovers(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    let t = at_min(-2);
    fake.add(t, 99);
    fake.lock().fail_data = 3;
    let Some(app) = dexcom_app(backend, &fake, &[]).await else { return };
    let h = health_until(&app, "recovered", |h| h["state"] == "ok").await;
    let waits: Vec<u64> = h["recentWaitsMs"].as_array().unwrap().iter().filter_map(|w| w.as_u64()).collect();
    assert_eq!(waits[..3], [100, 200, 400], "100 ms × 2^attempt");
    assert_eq!(fake.lock().logins, 1, "a failing data call does not log in again");
    assert!(h["lastError"].as_str().unwrap().contains("HTTP 503"), "{h}");
    assert_eq!(h["consecutiveFailures"], 0);
    assert_once(&entries_count(&app, 1).await, &[t]);
}

async fn linkup_app(backend: Backend, fake: &Shared, extra: &[(&str, &str)]) -> Option<TestApp> {
    let base = serve(linkup::router(fake.clone())).await;
    let creds = [("CONNECT_LINK_UP_USERNAME", USER), ("CONNECT_LINK_UP_PASSWORD", PASS)];
    let mut v = vars("linkup", &creds, extra);
    v.push(("CONNECT_LINK_UP_SERVER", &base));
    spawn(backend, &v).await
}

async fn librelinkup_follows_the_chosen_patient_with_the_current_app_headers(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    let first = [at_min(-30), at_min(-15), at_min(-1)];
    for t in first {
        fake.add(t, 111);
    }
    let Some(app) = linkup_app(backend, &fake, &[("CONNECT_LINK_UP_PATIENT_ID", linkup::PATIENT)]).await else {
        return;
    };
    let stored = entries_count(&app, 3).await;
    assert_once(&stored, &first);
    assert!(stored.iter().all(|e| e["sgv"] == 111 && e["device"] == "nightscout-connect-librelinkup"));
    assert_eq!(stored[2]["direction"], "Flat", "the current measurement carries the trend arrow");

    let dash = Dashboard::connect(&app.base, SECRET_SHA1).await;
    wait_for("dashboard authorized", || async { dash.is_authorized().then_some(()) }).await;
    fake.lock().expire_session = true;
    let skewed = at_min(2);
    fake.add(skewed, 123);
    wait_for("the new reading pushed", || async { dash.has(skewed).then_some(()) }).await;
    // History older than the newest stored reading is never written again (as in
    // nightscout-connect), so the graph's 15-minute points do not interleave with the readings.
    fake.add(at_min(-20), 111);
    let calls = fake.lock().data_calls;
    wait_for("three more polls", || async { (fake.lock().data_calls >= calls + 3).then_some(()) }).await;
    assert_once(&entries(&app).await, &[first[0], first[1], first[2], skewed]);
    let v = fake.lock();
    assert_eq!((v.refused_headers, v.logins), (0, 2), "current headers on every call; one new login after the 401");
}

async fn librelinkup_terms_to_accept_are_reported_and_the_bridge_resumes_once_accepted(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    fake.lock().terms = true;
    let t = at_min(-3);
    fake.add(t, 150);
    let Some(app) = linkup_app(backend, &fake, &[("FERROSCOUT_BRIDGE_MAX_BACKOFF_MS", "700")]).await else { return };
    let h = health_until(&app, "needs-action", |h| h["state"] == "needs-action").await;
    assert!(h["message"].as_str().unwrap().contains("accept its new terms of use"), "{h}");
    assert_eq!((h["retryInMs"].as_u64(), h["alert"].as_bool()), (Some(700), Some(true)));
    assert_eq!(fake.lock().login_attempts, 1);
    // The user accepts the terms in the app; the next (rare) try succeeds.
    fake.lock().terms = false;
    assert_once(&entries_count(&app, 1).await, &[t]);
    health_until(&app, "ok", |h| h["state"] == "ok").await;
}

async fn librelinkup_rate_limiting_waits_as_long_as_the_vendor_asks(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    {
        let mut v = fake.lock();
        v.rate_limit = 1;
        v.retry_after_s = 1;
    }
    let t = at_min(-4);
    fake.add(t, 88);
    let Some(app) = linkup_app(backend, &fake, &[]).await else { return };
    let h = health_until(&app, "recovered", |h| h["state"] == "ok").await;
    assert_eq!(h["recentWaitsMs"][0], 1000, "the lockout (1 s), not our 100 ms back-off");
    assert_once(&entries_count(&app, 1).await, &[t]);
}

async fn librelinkup_adopts_the_minimum_app_version_the_vendor_names(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    let t = at_min(-1);
    fake.add(t, 101);
    // nightscout-connect's old default, which LibreLinkUp no longer accepts.
    let Some(app) = linkup_app(backend, &fake, &[("CONNECT_LINK_UP_VERSION", "4.7.0")]).await else { return };
    assert_once(&entries_count(&app, 1).await, &[t]);
    let v = fake.lock();
    assert_eq!((v.refused_headers, v.logins), (1, 1), "refused once, then logged in with the version named");
}

async fn librelinkup_never_follows_another_patient_than_the_one_named(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    fake.add(at_min(-1), 101);
    let Some(app) = linkup_app(backend, &fake, &[("CONNECT_LINK_UP_PATIENT_ID", "p-9")]).await else { return };
    let h = health_until(&app, "needs-action", |h| h["state"] == "needs-action").await;
    let message = h["message"].as_str().unwrap();
    assert!(message.contains("matches none of the 2 patients") && message.contains(linkup::OTHER_PATIENT), "{message}");
    assert!(entries(&app).await.is_empty(), "nothing from another patient is stored");
    // Without a choice, the first patient is followed (as nightscout-connect does) and the log
    // lists the ids to choose from.
    let fake = Shared::new(USER, PASS);
    let t = at_min(-1);
    fake.add(t, 101);
    let Some(app) = linkup_app(backend, &fake, &[]).await else { return };
    let stored = entries_count(&app, 1).await;
    assert_eq!(stored[0]["sgv"], 399, "the first of the account's patients");
}

async fn carelink_app(backend: Backend, fake: &Shared) -> Option<TestApp> {
    let base = serve(carelink::router(fake.clone())).await;
    let creds =
        [("CONNECT_CARELINK_USERNAME", USER), ("CONNECT_CARELINK_PASSWORD", PASS), ("CONNECT_COUNTRY_CODE", "GB")];
    let mut v = vars("minimedcarelink", &creds, &[]);
    v.push(("CONNECT_CARELINK_SERVER", &base));
    spawn(backend, &v).await
}

async fn carelink_readings_arrive_through_the_sso_login_of_a_care_partner(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    let first = [at_min(-10), at_min(-5)];
    fake.add(first[0], 130);
    fake.add(first[1], 135);
    let Some(app) = carelink_app(backend, &fake).await else { return };
    let stored = entries_count(&app, 2).await;
    assert_once(&stored, &first);
    assert_eq!(stored[1]["device"], "nightscout-connect://minimedcarelink/NGP");
    assert_eq!((stored[1]["direction"].as_str(), stored[0].get("direction")), (Some("SingleUp"), None));
    let note: serde_json::Value = serde_json::from_str(&fake.lock().notes[0]).unwrap();
    assert_eq!(
        note,
        serde_json::json!({"username": carelink::CARER, "role": "carepartner", "patientId": carelink::PATIENT})
    );
    let next = at_min(0);
    fake.add(next, 140);
    assert_once(&entries_count(&app, 3).await, &[first[0], first[1], next]);
    health_until(&app, "ok", |h| h["state"] == "ok" && h["source"] == "minimedcarelink").await;
}

async fn a_wrong_carelink_password_needs_the_user_and_is_not_retried_soon(backend: Backend) {
    let fake = Shared::new(USER, "another password");
    let Some(app) = carelink_app(backend, &fake).await else { return };
    let h = health_until(&app, "needs-action", |h| h["state"] == "needs-action").await;
    assert!(h["message"].as_str().unwrap().contains("CareLink refused the user name or password"), "{h}");
    assert_eq!((h["retryInMs"].as_u64(), fake.lock().login_attempts), (Some(60_000), 1));
    no_credentials(&status(&app).await.0);
}

async fn a_restarted_bridge_resumes_from_the_newest_reading_without_gaps(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    let before: Vec<i64> = (0..7).map(|i| at_min(-60 + 5 * i)).collect();
    for t in &before {
        fake.add(*t, 120);
    }
    let Some(app) = dexcom_app(backend, &fake, &[]).await else { return };
    entries_count(&app, 7).await;
    let (dir, mongo) = app.stop().await;
    // Readings keep arriving in the cloud while we are down.
    let during: Vec<i64> = (0..6).map(|i| at_min(-25 + 5 * i)).collect();
    for t in &during {
        fake.add(*t, 125);
    }
    let calls_before = fake.lock().data_calls as usize;
    let base = serve(dexcom::router(fake.clone())).await;
    let creds = [("CONNECT_SHARE_ACCOUNT_NAME", USER), ("CONNECT_SHARE_PASSWORD", PASS)];
    let mut v = vars("dexcomshare", &creds, &[]);
    v.push(("CONNECT_SHARE_SERVER", &base));
    v.extend([("API_SECRET", crate::common::SECRET), ("AUTH_FAIL_DELAY", "0")]);
    let app = TestApp::spawn_at(backend, &v, dir, mongo).await;
    let all = entries_count(&app, 13).await;
    assert_once(&all, &[before.clone(), during.clone()].concat());
    // It asked from the newest stored reading (30 min ago), not from two days back.
    let first_after = fake.lock().queries[calls_before]["maxCount"].parse::<i64>().unwrap();
    assert!((7..=10).contains(&first_after), "maxCount after restart: {first_after}");
}

async fn a_failing_bridge_raises_the_alert_while_the_stale_data_alarm_still_fires(backend: Backend) {
    let fake = Shared::new(USER, PASS);
    let Some(app) = dexcom_app(backend, &fake, &[("FERROSCOUT_BRIDGE_ALERT_AFTER_MS", "300")]).await else { return };
    let dash = Dashboard::connect(&app.base, SECRET_SHA1).await;
    wait_for("dashboard authorized", || async { dash.is_authorized().then_some(()) }).await;
    // The newest reading the cloud has is 20 minutes old, then the vendor goes down.
    let old = at_min(-20);
    fake.add(old, 110);
    wait_for("the old reading pushed", || async { dash.has(old).then_some(()) }).await;
    fake.lock().fail_data = 1_000;
    wait_for("the stale-data alarm", || async {
        dash.alarms.lock().unwrap().iter().any(|a| a["eventName"] == "timeago").then_some(())
    })
    .await;
    let h = health_until(&app, "the bridge alert", |h| h["state"] == "failing" && h["alert"] == true).await;
    let since = h["failingSince"].as_i64().unwrap();
    assert!(crate::common::now_ms() - since >= 300, "alert only after failing for the alert delay");
    assert!(h["message"].as_str().unwrap().starts_with("Dexcom Share has failed for"), "{h}");
}
