//! Unit tests of `config.rs`.
use super::*;

fn cfg(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(&move |k| map.get(k).cloned())
}

#[test]
fn defaults_match_nightscout() {
    let c = cfg(&[]).unwrap();
    assert_eq!(c.port, 1337);
    assert_eq!(c.api_secret, None);
    assert_eq!(c.auth_default_roles, vec!["readable"]);
    assert_eq!(c.auth_fail_delay, Duration::from_millis(5000));
    assert_eq!(c.units, Units::MgDl);
    assert_eq!(c.thresholds.bg_high, 260.0);
    assert_eq!(c.alarm_types, "predict");
    assert_eq!(c.collections[&Collection::Entries], "entries");
    assert!(c.mongo_uri.is_none());
}

#[test]
fn short_secret_is_refused() {
    assert_eq!(cfg(&[("API_SECRET", "short")]).unwrap_err(), ConfigError::SecretTooShort(5));
    assert!(cfg(&[("API_SECRET", "this is my long pass phrase")]).is_ok());
}

#[test]
fn azure_prefix_wins_and_mongo_aliases_keep_precedence() {
    let c = cfg(&[
        ("CUSTOMCONNSTR_MONGO_CONNECTION", "mongodb://a/x"),
        ("MONGODB_URI", "mongodb://b/y"),
        ("MONGO_COLLECTION", "sgvs"),
        ("port", "8080"),
    ])
    .unwrap();
    assert_eq!(c.mongo_uri.unwrap().expose(), "mongodb://a/x");
    assert_eq!(c.collections[&Collection::Entries], "sgvs");
    assert_eq!(c.port, 8080);
    let c = cfg(&[("MONGO", "mongodb://m/z"), ("STORAGE_URI", "mongodb://s/z")]).unwrap();
    assert_eq!(c.mongo_uri.unwrap().expose(), "mongodb://s/z");
}

#[test]
fn mmol_thresholds_convert_and_stay_consistent() {
    let c = cfg(&[
        ("DISPLAY_UNITS", "mmol/L"),
        ("BG_HIGH", "14"),
        ("BG_TARGET_TOP", "10"),
        ("BG_TARGET_BOTTOM", "4"),
        ("BG_LOW", "3"),
    ])
    .unwrap();
    assert_eq!(c.units, Units::Mmol);
    assert_eq!(c.thresholds.bg_high, 252.0);
    assert_eq!(c.thresholds.bg_low, 54.0);
    assert_eq!(c.alarm_types, "simple");
    let t = thresholds(Units::MgDl, 100.0, 180.0, 200.0, 250.0);
    assert!(t.bg_low < t.bg_target_bottom && t.bg_target_bottom < t.bg_target_top);
    assert!(t.bg_high > t.bg_target_top);
}

#[test]
fn bad_numbers_and_ports_are_reported_and_secrets_masked() {
    assert!(cfg(&[("PORT", "http")]).is_err());
    assert!(cfg(&[("BG_HIGH", "high")]).is_err());
    let c = cfg(&[("API_SECRET", "this is my long pass phrase")]).unwrap();
    assert!(!format!("{c:?}").contains("pass phrase"));
    assert!(cfg(&[("INSECURE_USE_HTTP", "yes")]).is_ok());
}

#[test]
fn https_settings_default_to_nightscouts_and_unknown_spellings_keep_the_default() {
    let c = cfg(&[]).unwrap();
    assert!(!c.insecure_use_http);
    assert_eq!(c.hsts, Hsts { enabled: true, include_subdomains: false, preload: false });
    assert!(c.tls.is_none() && c.base_path.is_none() && !c.on_azure_app_service);
    assert!(!cfg(&[("INSECURE_USE_HTTP", "yes")]).unwrap().insecure_use_http);
    assert!(cfg(&[("INSECURE_USE_HTTP", "TRUE")]).unwrap().insecure_use_http);
    let c = cfg(&[("SECURE_HSTS_HEADER_INCLUDESUBDOMAINS", "on"), ("SECURE_HSTS_HEADER_PRELOAD", "true")]).unwrap();
    assert!(c.hsts.include_subdomains && c.hsts.preload);
    assert!(cfg(&[("WEBSITE_SITE_NAME", "myns")]).unwrap().on_azure_app_service);
}

#[test]
fn tls_needs_both_files_and_ports_must_be_numbers() {
    assert_eq!(
        cfg(&[("SSL_CERT", "/c.pem")]).unwrap_err(),
        ConfigError::Incomplete { name: "SSL_CERT", missing: "SSL_KEY" }
    );
    assert!(cfg(&[("SSL_KEY", "/k.pem")]).is_err());
    let c = cfg(&[("SSL_CERT", "/c.pem"), ("SSL_KEY", "/k.pem"), ("SSL_CA", "/ca.pem")]).unwrap();
    assert_eq!(c.tls.unwrap().ca, Some(PathBuf::from("/ca.pem")));
    assert!(cfg(&[("FERROSCOUT_HTTP_PORT", "eighty")]).is_err());
    assert_eq!(cfg(&[("FERROSCOUT_HTTP_PORT", "8080")]).unwrap().http_redirect_port, Some(8080));
}

#[test]
fn base_path_is_normalised_and_odd_paths_are_refused() {
    assert_eq!(cfg(&[("BASE_PATH", "/dante/")]).unwrap().base_path.as_deref(), Some("/dante"));
    assert_eq!(cfg(&[("BASE_PATH", "ns/cgm")]).unwrap().base_path.as_deref(), Some("/ns/cgm"));
    assert_eq!(cfg(&[("BASE_PATH", "/")]).unwrap().base_path, None);
    assert!(cfg(&[("BASE_PATH", "/a b")]).is_err());
    assert!(cfg(&[("BASE_PATH", "/../etc")]).is_err());
    assert!(cfg(&[("BASE_PATH", "/a//b")]).is_err());
}

#[test]
fn version_num_is_nightscouts_number_of_the_version() {
    assert_eq!(public::version_num("15.0.7"), 150_007);
    assert_eq!(public::version_num("14.2"), 140_200);
}

#[test]
fn careportal_enabled_follows_nightscouts_rules_api_secret_enable_and_disable() {
    let secret = ("API_SECRET", "0123456789abcdef");
    let status = |vars: &[(&str, &str)]| public::status_json(&cfg(vars).unwrap(), "sqlite");
    let s = status(&[secret]);
    assert_eq!(s["careportalEnabled"], true, "careportal is a default feature");
    assert!(s["settings"]["DEFAULT_FEATURES"].as_array().unwrap().contains(&"careportal".into()));
    assert_eq!(status(&[])["careportalEnabled"], false, "without API_SECRET nothing can be entered");
    let s = status(&[secret, ("DISABLE", "careportal")]);
    assert_eq!(s["careportalEnabled"], false);
    assert!(!s["settings"]["enable"].as_array().unwrap().contains(&"careportal".into()));
}

#[test]
fn enabled_features_are_in_nightscouts_order_with_treatmentnotify_only_for_careportal_or_maker() {
    let features = |vars: &[(&str, &str)]| public::enabled_features(&cfg(vars).unwrap());
    let d = features(&[]);
    assert_eq!(d.first().map(String::as_str), Some("bgnow"));
    assert_eq!(d.last().map(String::as_str), Some("ar2"));
    assert!(d.contains(&"careportal".into()) && !d.contains(&"treatmentnotify".into()));
    let e = features(&[("ENABLE", "careportal iob cob"), ("DISABLE", "upbat COB")]);
    assert_eq!(&e[..3], ["careportal", "iob", "treatmentnotify"].map(String::from));
    assert!(!e.contains(&"upbat".into()), "DISABLE takes out a default");
    assert!(!e.contains(&"cob".into()), "DISABLE is lower-cased as ENABLE is");
}
