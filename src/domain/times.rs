//! The regex patterns of `/times/{prefix}/{regex}` and `/slice/...` (`lib/api/entries/index.js`
//! `prep_patterns`, bash brace expansion from the `braces` package): `{13..18}` and `{a,b}`.

use super::filter::{Cond, Filter};
use super::query::QueryError;

/// More alternatives than this is a mistake, not a query.
const MAX_PATTERNS: usize = 1000;

/// The expanded patterns may take at most this many bytes together.
const MAX_EXPANSION_BYTES: usize = 1 << 20;

fn too_many(pattern: &str) -> QueryError {
    let shown: String = pattern.chars().take(80).collect();
    QueryError(format!(
        "the pattern {shown:?} expands to more than {MAX_PATTERNS} alternatives or {MAX_EXPANSION_BYTES} bytes"
    ))
}

/// Brace expansion: each `{x..y}` (numbers, zero-padded to the wider end when either is) or
/// `{a,b,..}` group multiplies the alternatives; anything else is literal.
pub fn expand(pattern: &str) -> Result<Vec<String>, QueryError> {
    let mut out = vec![String::new()];
    let mut rest = pattern;
    while !rest.is_empty() {
        let group = rest.find('{').and_then(|open| rest[open..].find('}').map(|close| (open, open + close)));
        let Some((open, close)) = group else {
            out.iter_mut().for_each(|o| o.push_str(rest));
            break;
        };
        let literal = &rest[..open];
        let alts = alternatives(&rest[open + 1..close]);
        // Bounded before anything is built: the count and the bytes the expansion would take.
        let (n, widest) = match &alts {
            Some(a) => (a.len(), a.iter().map(String::len).max().unwrap_or(0)),
            None => (1, close + 1),
        };
        let longest = out.iter().map(String::len).max().unwrap_or(0) + literal.len() + widest;
        let count = out.len().saturating_mul(n);
        if count > MAX_PATTERNS || count.saturating_mul(longest) > MAX_EXPANSION_BYTES {
            return Err(too_many(pattern));
        }
        let next: Vec<String> = match alts {
            Some(alts) => out.iter().flat_map(|o| alts.iter().map(move |a| format!("{o}{literal}{a}"))).collect(),
            None => out.iter().map(|o| format!("{o}{}", &rest[..=close])).collect(),
        };
        out = next;
        rest = &rest[close + 1..];
    }
    Ok(out)
}

/// The alternatives of one `{...}` body, or `None` when it is not a brace group (kept literal,
/// e.g. a regex quantifier `{2}`).
fn alternatives(body: &str) -> Option<Vec<String>> {
    if let Some((a, b)) = body.split_once("..") {
        let (x, y) = (a.parse::<i64>().ok()?, b.parse::<i64>().ok()?);
        if x.abs_diff(y) as usize >= MAX_PATTERNS {
            return None;
        }
        let padded = |s: &str| s.trim_start_matches('-').len() > 1 && s.trim_start_matches('-').starts_with('0');
        let width = if padded(a) || padded(b) { a.len().max(b.len()) } else { 0 };
        let range: Vec<i64> = if x <= y { (x..=y).collect() } else { (y..=x).rev().collect() };
        return Some(range.into_iter().map(|n| format!("{n:0width$}")).collect());
    }
    body.contains(',').then(|| body.split(',').map(str::to_owned).collect())
}

/// The patterns for a `prefix` and `regex`: `^prefix` (a prefix with several alternatives
/// becomes a group) then `.*regex`, expanded.
pub fn patterns(prefix: Option<&str>, regex: Option<&str>) -> Result<Vec<String>, QueryError> {
    let mut pattern = String::new();
    if let Some(p) = prefix.filter(|p| !p.is_empty()) {
        let alts = expand(p)?;
        if alts.len() > 1 {
            pattern.push_str(&format!("^({})", alts.join("|")));
        } else {
            pattern.push('^');
            pattern.push_str(&alts[0]);
        }
    }
    if let Some(r) = regex.filter(|r| !r.is_empty()) {
        pattern.push_str(".*");
        pattern.push_str(r);
    }
    if pattern.is_empty() {
        return Ok(Vec::new());
    }
    expand(&pattern)
}

/// `field` matches any of the patterns (each must be a valid regular expression).
pub fn filter(field: &str, patterns: &[String]) -> Result<Filter, QueryError> {
    let mut any = Vec::with_capacity(patterns.len());
    for p in patterns {
        super::regex_check::check(p, "").map_err(|e| QueryError(format!("Invalid regular expression {p:?}: {e}")))?;
        any.push(Filter::field(field, Cond::Regex { pattern: p.clone(), options: String::new() }));
    }
    Ok(match any.len() {
        0 => Filter::All,
        1 => any.remove(0),
        _ => Filter::Or(any),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists_expand_like_bash() {
        assert_eq!(expand("T{13..15}").unwrap(), vec!["T13", "T14", "T15"]);
        assert_eq!(expand("{00..02}").unwrap(), vec!["00", "01", "02"]);
        assert_eq!(expand("{3..1}").unwrap(), vec!["3", "2", "1"]);
        assert_eq!(expand("a{x,y}b{1..2}").unwrap(), vec!["axb1", "axb2", "ayb1", "ayb2"]);
        assert_eq!(expand("x{2}").unwrap(), vec!["x{2}"], "a regex quantifier stays");
        assert_eq!(expand("plain").unwrap(), vec!["plain"]);
        assert!(expand("{0..9999}").unwrap().len() == 1, "a huge range is literal");
        assert!(expand("{0..99}{0..99}").is_err());
    }

    #[test]
    fn huge_expansions_are_refused_before_they_are_built() {
        // About 20 KB of alternatives in two groups: 10^7 combinations if built.
        let list = vec!["a"; 3_000].join(",");
        assert!(expand(&format!("{{{list}}}{{{list}}}")).is_err());
        assert!(expand(&format!("{{{list}}}")).is_err(), "one group over the count");
        let long = "x".repeat(5_000);
        assert!(expand(&format!("{long}{{0..499}}{long}")).is_err(), "500 x 10 KB is over the byte budget");
        assert_eq!(expand("{0..9}{0..9}{0..9}").unwrap().len(), 1000, "the limit itself is allowed");
    }

    #[test]
    fn times_patterns_combine_prefix_and_regex() {
        let p = patterns(Some("2014-07"), Some("T{13..14}:{00..01}")).unwrap();
        assert_eq!(p, vec!["^2014-07.*T13:00", "^2014-07.*T13:01", "^2014-07.*T14:00", "^2014-07.*T14:01"]);
        assert_eq!(patterns(Some("20{14..15}"), None).unwrap(), vec!["^(2014|2015)"]);
        assert!(patterns(None, None).unwrap().is_empty());
        assert_eq!(filter("dateString", &[]).unwrap(), Filter::All);
        assert!(filter("dateString", &["(".into()]).is_err());
    }
}
