//! `lib/server/purifier.js`: every string value of an uploaded document, at any depth, goes
//! through an HTML sanitiser, so a note like `<IMG SRC="javascript:alert('XSS');">` is stored as
//! `<img>` and a web client showing it cannot be made to run script. Keys and numeric strings
//! are kept; like DOMPurify, a string without `<` is returned unchanged.

use std::sync::LazyLock;

use serde_json::Value;

use super::Doc;

/// DOMPurify's defaults, as near as ammonia's allow-list gets: no `rel` added to links.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.link_rel(None);
    b
});

/// Sanitises every string of a document in place.
pub fn purify(doc: &mut Doc) {
    doc.values_mut().for_each(purify_value);
}

fn purify_value(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('<') => {
            let clean = CLEANER.clean(s).to_string();
            if clean != *s {
                *s = clean;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(purify_value),
        Value::Object(o) => o.values_mut().for_each(purify_value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(v: Value) -> Doc {
        let Value::Object(mut d) = v else { panic!("an object") };
        purify(&mut d);
        d
    }

    #[test]
    fn script_and_javascript_urls_are_removed_at_any_depth() {
        let d = doc(json!({
            "notes": "<IMG SRC=\"javascript:alert('XSS');\">",
            "nested": {"a": ["<script>alert(1)</script>ok", "<b onclick=\"x()\">bold</b>"]},
            "sgv": 120, "plain": "Tom & Jerry 5 > 3", "<key>": "kept"
        }));
        assert_eq!(d["notes"], "<img>");
        assert_eq!(d["nested"]["a"][0], "ok");
        assert_eq!(d["nested"]["a"][1], "<b>bold</b>");
        assert_eq!(d["sgv"], 120);
        assert_eq!(d["plain"], "Tom & Jerry 5 > 3", "no '<': unchanged, as DOMPurify's fast path");
        assert_eq!(d["<key>"], "kept");
    }
}
