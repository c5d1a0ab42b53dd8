//! Server-side translation with the dashboard's own tables (`frontend/src/translations/*.json`,
//! English text as the key, Nightscout's `%1`, `%2` placeholders), so alarm titles and messages
//! reach `/alarm` clients such as AndroidAPS in the server's `LANGUAGE`, as Nightscout's
//! `lib/language.js` does. English is the keys themselves; a missing key stays English.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

type Table = HashMap<String, String>;

/// The embedded tables, by Nightscout language code (one table for the dashboard and here).
const SOURCES: [(&str, &str); 6] = [
    ("cs", include_str!("../../frontend/src/translations/cs.json")),
    ("de", include_str!("../../frontend/src/translations/de.json")),
    ("es", include_str!("../../frontend/src/translations/es.json")),
    ("fr", include_str!("../../frontend/src/translations/fr.json")),
    ("nl", include_str!("../../frontend/src/translations/nl.json")),
    ("sv", include_str!("../../frontend/src/translations/sv.json")),
];

fn tables() -> &'static HashMap<&'static str, Table> {
    static TABLES: OnceLock<HashMap<&'static str, Table>> = OnceLock::new();
    TABLES.get_or_init(|| {
        SOURCES
            .iter()
            // The files are checked by the tests below; a broken one falls back to English.
            .map(|(code, text)| (*code, serde_json::from_str(text).unwrap_or_default()))
            .collect()
    })
}

/// A translator for one language (`LANGUAGE`: `de`, `de_DE`, `de-AT` all mean German).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    table: Option<&'static Table>,
}

impl Tr {
    pub fn new(language: &str) -> Tr {
        let code = language.trim().to_ascii_lowercase();
        let base = code.split(['_', '-']).next().unwrap_or_default();
        Tr { table: tables().get(base) }
    }

    /// English (the keys as they are).
    pub fn english() -> Tr {
        Tr { table: None }
    }

    /// `key` in this language with `%1`, `%2`... replaced by `params`.
    pub fn t(&self, key: &str, params: &[&dyn Display]) -> String {
        let text = self.table.and_then(|t| t.get(key)).map_or(key, String::as_str);
        fill(text, params)
    }

    /// A `Label: value` line translated by whichever of `keys` (`"Label: %1"`) it matches;
    /// any other line unchanged.
    pub fn line(&self, line: &str, keys: &[&str]) -> String {
        for key in keys {
            if let Some(prefix) = key.strip_suffix("%1")
                && let Some(rest) = line.strip_prefix(prefix)
            {
                return self.t(key, &[&rest]);
            }
        }
        self.t(line, &[])
    }
}

/// Nightscout's placeholder form: `%1` is the first parameter (a missing one stays `%N`).
pub fn fill(text: &str, params: &[&dyn Display]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%'
            && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
            && let Some(p) = (d as usize).checked_sub(1).and_then(|i| params.get(i))
        {
            chars.next();
            out.push_str(&p.to_string());
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_table_parses_and_keeps_the_placeholders_of_its_keys() {
        for (code, text) in SOURCES {
            let t: Table = serde_json::from_str(text).unwrap_or_else(|e| panic!("{code}.json: {e}"));
            for (k, v) in &t {
                for n in 1..=3 {
                    let p = format!("%{n}");
                    assert_eq!(k.contains(&p), v.contains(&p), "{code}: {k:?} -> {v:?}");
                }
            }
        }
    }

    #[test]
    fn german_and_spanish_alarm_titles_and_messages_come_from_the_tables() {
        let de = Tr::new("de");
        assert_eq!(de.t("Urgent LOW", &[]), "Dringend NIEDRIG");
        assert_eq!(de.t("BG Now: %1", &[&"50 mg/dl"]), "BZ jetzt: 50 mg/dl");
        assert_eq!(de.t("Last reading %1 min ago", &[&31]), "Letzter Wert vor 31 Min.");
        assert_eq!(Tr::new("de_DE").t("All Clear", &[]), "Entwarnung");
        let es = Tr::new("es");
        assert_eq!(es.t("Urgent LOW", &[]), "Urgente, BAJA");
        assert_eq!(es.t("BG Now: %1", &[&"2.8 mmol/L"]), "Glucemia actual: 2.8 mmol/L");
        assert_eq!(es.t("Cannula age %1 hours", &[&72]), "Edad de la cánula: 72 horas");
        assert_eq!(de.t("Sensor age %1 days %2 hours", &[&7, &0]), "Sensoralter 7 Tage 0 Stunden");
    }

    #[test]
    fn english_and_unknown_languages_and_keys_stay_english_with_the_parameters_filled() {
        for tr in [Tr::english(), Tr::new("en"), Tr::new("xx"), Tr::new("")] {
            assert_eq!(tr.t("Cannula age %1 hours", &[&50]), "Cannula age 50 hours");
        }
        assert_eq!(Tr::new("de").t("no such key %1 %2", &[&1]), "no such key 1 %2");
    }

    #[test]
    fn label_lines_are_translated_by_their_key_and_others_kept() {
        let de = Tr::new("de");
        assert_eq!(de.line("BG Now: 120 mg/dl", &["BG 15m: %1", "BG Now: %1"]), "BZ jetzt: 120 mg/dl");
        assert_eq!(de.line("something else", &["BG Now: %1"]), "something else");
    }
}
