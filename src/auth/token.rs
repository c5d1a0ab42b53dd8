//! Access tokens exactly as Nightscout derives and matches them (`lib/authorization/storage.js`
//! `reload` and `findSubject`, `lib/server/enclave.js` `getSubjectHash`). LoopFollow re-derives
//! them on the phone (`NightscoutUtils.swift`), so this is bit for bit, hand-written to match.

use sha1::{Digest as _, Sha1};

fn sha1_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// A subject's derived secrets; never stored, they change with `API_SECRET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// `sha1hex(sha1hex(API_SECRET) ‖ _id)`.
    pub digest: String,
    /// `<abbrev>-<digest[0..16]>`, what followers are given.
    pub access_token: String,
    /// `sha1hex(access_token)`, what `api-secret` may carry instead.
    pub access_token_digest: String,
}

/// The name part of a token: lowercased, everything but `[A-Za-z0-9_]` removed (JavaScript's
/// `\W`), at most 10 characters.
pub fn abbrev(name: &str) -> String {
    name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(10).collect()
}

/// Derives a subject's token from the API secret's SHA-1 hex, its `_id` as text and its name.
pub fn derive(secret_sha1_hex: &str, id: &str, name: &str) -> Derived {
    let digest = sha1_hex(&[secret_sha1_hex.as_bytes(), id.as_bytes()]);
    let access_token = format!("{}-{}", abbrev(name), &digest[..16]);
    let access_token_digest = sha1_hex(&[access_token.as_bytes()]);
    Derived { digest, access_token, access_token_digest }
}

/// `findSubject`'s test: the part after the last `-` must be at least 16 characters, and then
/// either the SHA-1 of the token starts with the whole presented string (`api-secret:
/// sha1(token)`) or the digest starts with that part (the name part is not checked).
pub fn matches(d: &Derived, presented: &str) -> bool {
    let last = presented.rsplit('-').next().unwrap_or_default();
    if last.encode_utf16().count() < 16 {
        return false;
    }
    d.access_token_digest.starts_with(presented) || d.digest.starts_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-1 hex of `this is my long pass phrase`.
    const SECRET_SHA1: &str = "b723e97aa97846eb92d5264f084b2823f57c4aa1";

    // Expected values worked out from the rule with an independent SHA-1 (Python's hashlib):
    // sha1("b723…4aa1" + "5f0e1d2c3b4a596877869504") = 4cf0fe8aa44dbc05890806ac51cd2cd5d6d1ac67.
    #[test]
    fn derivation_matches_the_hand_computed_token() {
        let d = derive(SECRET_SHA1, "5f0e1d2c3b4a596877869504", "LoopFollow");
        assert_eq!(d.digest, "4cf0fe8aa44dbc05890806ac51cd2cd5d6d1ac67");
        assert_eq!(d.access_token, "loopfollow-4cf0fe8aa44dbc05");
        assert_eq!(d.access_token_digest, "8c5657fdf8d120ffd1dc88e8e8ecbf53d39df50e");
    }

    #[test]
    fn names_lose_spaces_punctuation_and_non_ascii_letters_and_keep_ten_characters() {
        assert_eq!(abbrev("Grandma Rosé (iPhone)!"), "grandmaros");
        assert_eq!(abbrev("a_b-c"), "a_bc");
        assert_eq!(abbrev("!!!"), "");
        let d = derive(SECRET_SHA1, "64b7f1a2c3d4e5f601234567", "Grandma Rosé (iPhone)!");
        assert_eq!(d.access_token, "grandmaros-21ee407f5617d88b");
        assert_eq!(d.access_token_digest, "349a842a22fe88d8c05fb7aff71dfd80086aa27f");
        let short = derive(SECRET_SHA1, "000000000000000000000001", "x");
        assert_eq!(short.access_token, "x-73d9bb9913371ed6");
    }

    #[test]
    fn lookup_accepts_the_token_its_sha1_any_name_part_and_longer_digest_prefixes() {
        let d = derive(SECRET_SHA1, "5f0e1d2c3b4a596877869504", "LoopFollow");
        assert!(matches(&d, "loopfollow-4cf0fe8aa44dbc05"));
        assert!(matches(&d, "8c5657fdf8d120ffd1dc88e8e8ecbf53d39df50e"));
        assert!(matches(&d, "someone-else-4cf0fe8aa44dbc05"));
        assert!(matches(&d, "4cf0fe8aa44dbc05890806ac51cd2cd5d6d1ac67"));
        assert!(!matches(&d, "loopfollow-4cf0fe8aa44dbc0"), "15 characters are too few");
        assert!(!matches(&d, "loopfollow-4cf0fe8aa44dbc06"));
        assert!(!matches(&d, "LOOPFOLLOW-4CF0FE8AA44DBC05"), "the digest is lowercase");
        assert!(!matches(&d, ""));
    }
}
