use std::collections::HashMap;

use super::*;
use crate::config::Config;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(&move |k| env.get(k).cloned())
}

fn bridges(vars: &[(&str, &str)]) -> Bridges {
    config(vars).unwrap().bridges
}

#[test]
fn dexcom_share_uses_the_us_server_unless_told_ous_or_a_server() {
    let base = [
        ("ENABLE", "connect"),
        ("CONNECT_SOURCE", "dexcomshare"),
        ("CONNECT_SHARE_ACCOUNT_NAME", "ann"),
        ("CONNECT_SHARE_PASSWORD", "pw"),
    ];
    let b = bridges(&base);
    assert_eq!(b.run.len(), 1);
    assert_eq!((b.run[0].source, b.run[0].base_url.as_str()), (Source::DexcomShare, "https://share2.dexcom.com"));
    assert_eq!(b.run[0].device, "nightscout-connect");
    let ous = bridges(&[&base[..], &[("CONNECT_SHARE_REGION", "OUS")]].concat());
    assert_eq!(ous.run[0].base_url, "https://shareous1.dexcom.com");
    let local = bridges(&[&base[..], &[("CONNECT_SHARE_SERVER", "http://127.0.0.1:9/")]].concat());
    assert_eq!(local.run[0].base_url, "http://127.0.0.1:9");
    assert!(!format!("{:?}", b.run[0]).contains("pw\""), "the password never shows in Debug");
}

#[test]
fn without_connect_in_enable_no_bridge_runs() {
    let b = bridges(&[
        ("CONNECT_SOURCE", "dexcomshare"),
        ("CONNECT_SHARE_ACCOUNT_NAME", "a"),
        ("CONNECT_SHARE_PASSWORD", "p"),
    ]);
    assert!(b.run.is_empty() && b.unusable.is_empty());
}

#[test]
fn the_legacy_bridge_maps_onto_dexcom_share_and_is_not_echoed_in_enable() {
    let c = config(&[
        ("ENABLE", "careportal bridge"),
        ("BRIDGE_USER_NAME", "ann"),
        ("BRIDGE_PASSWORD", "pw"),
        ("BRIDGE_SERVER", "EU"),
    ])
    .unwrap();
    assert_eq!(c.enable, ["careportal"]);
    assert_eq!(c.bridges.run.len(), 1);
    let b = &c.bridges.run[0];
    assert_eq!(
        (b.base_url.as_str(), b.username.as_str(), b.device.as_str()),
        ("https://shareous1.dexcom.com", "ann", "nightscout-connect")
    );
}

#[test]
fn explicit_connect_settings_win_over_the_legacy_bridge() {
    let b = bridges(&[
        ("ENABLE", "bridge connect"),
        ("CONNECT_SOURCE", "dexcomshare"),
        ("BRIDGE_USER_NAME", "old"),
        ("BRIDGE_PASSWORD", "oldpw"),
        ("BRIDGE_SERVER", "EU"),
        ("CONNECT_SHARE_ACCOUNT_NAME", "new"),
        ("CONNECT_SHARE_REGION", "us"),
    ]);
    assert_eq!(b.run.len(), 1);
    assert_eq!((b.run[0].username.as_str(), b.run[0].password.expose()), ("new", "oldpw"));
    assert_eq!(b.run[0].base_url, "https://share2.dexcom.com");
}

#[test]
fn a_legacy_dexcom_bridge_next_to_another_connect_source_is_a_configuration_error() {
    let e = config(&[
        ("ENABLE", "bridge connect"),
        ("CONNECT_SOURCE", "linkup"),
        ("BRIDGE_USER_NAME", "old"),
        ("BRIDGE_PASSWORD", "oldpw"),
    ])
    .unwrap_err();
    assert!(e.to_string().contains("CONNECT_SOURCE"), "{e}");
    assert!(!e.to_string().contains("oldpw"));
}

#[test]
fn librelinkup_knows_every_region_and_the_current_app_headers() {
    let base = [
        ("ENABLE", "connect"),
        ("CONNECT_SOURCE", "linkup"),
        ("CONNECT_LINK_UP_USERNAME", "a@b.c"),
        ("CONNECT_LINK_UP_PASSWORD", "pw"),
    ];
    let b = bridges(&base);
    assert_eq!(b.run[0].base_url, "https://api-eu.libreview.io");
    assert_eq!((b.run[0].linkup_version.as_str(), b.run[0].linkup_product.as_str()), (LINKUP_VERSION, LINKUP_PRODUCT));
    for r in LINKUP_REGIONS {
        let b = bridges(&[&base[..], &[("CONNECT_LINK_UP_REGION", &r.to_ascii_lowercase())]].concat());
        assert_eq!(b.run[0].base_url, format!("https://api-{}.libreview.io", r.to_ascii_lowercase()));
    }
    let bad = bridges(&[&base[..], &[("CONNECT_LINK_UP_REGION", "XX")]].concat());
    assert!(bad.run.is_empty());
    assert!(bad.unusable[0].reason.contains("CONNECT_LINK_UP_REGION"));
}

#[test]
fn carelink_needs_a_country_and_picks_its_region_server() {
    let base = [
        ("ENABLE", "connect"),
        ("CONNECT_SOURCE", "minimedcarelink"),
        ("CONNECT_CARELINK_USERNAME", "u"),
        ("CONNECT_CARELINK_PASSWORD", "p"),
    ];
    let missing = bridges(&base);
    assert!(missing.unusable[0].reason.contains("CONNECT_COUNTRY_CODE"));
    let b = bridges(&[&base[..], &[("CONNECT_COUNTRY_CODE", "GB"), ("CONNECT_CARELINK_REGION", "eu")]].concat());
    assert_eq!(
        (b.run[0].base_url.as_str(), b.run[0].country.as_str(), b.run[0].language.as_str()),
        ("https://carelink.minimed.eu", "gb", "en")
    );
}

#[test]
fn missing_credentials_and_unknown_sources_are_reported_not_run() {
    let b = bridges(&[
        ("ENABLE", "connect"),
        ("CONNECT_SOURCE", "dexcomshare glooko"),
        ("CONNECT_SHARE_ACCOUNT_NAME", "a"),
    ]);
    assert!(b.run.is_empty());
    assert_eq!(b.unusable.len(), 2);
    assert!(b.unusable[0].reason.contains("CONNECT_SHARE_PASSWORD"));
    assert!(b.unusable[1].reason.contains("not supported"));
}

#[test]
fn test_timings_come_from_the_ferroscout_variables() {
    let b = bridges(&[
        ("ENABLE", "connect"),
        ("CONNECT_SOURCE", "dexcomshare"),
        ("CONNECT_SHARE_ACCOUNT_NAME", "a"),
        ("CONNECT_SHARE_PASSWORD", "p"),
        ("FERROSCOUT_BRIDGE_CADENCE_MS", "500"),
        ("FERROSCOUT_BRIDGE_BACKOFF_MS", "100"),
    ]);
    assert_eq!(b.run[0].timing.cadence, Duration::from_millis(500));
    assert_eq!(b.run[0].timing.backoff, Duration::from_millis(100));
    assert_eq!(b.run[0].timing.max_backoff, Duration::from_secs(3600));
    assert!(
        config(&[
            ("FERROSCOUT_BRIDGE_CADENCE_MS", "soon"),
            ("ENABLE", "connect"),
            ("CONNECT_SOURCE", "dexcomshare"),
            ("CONNECT_SHARE_ACCOUNT_NAME", "a"),
            ("CONNECT_SHARE_PASSWORD", "p")
        ])
        .is_err()
    );
}
