//! Output formats: a trailing `.ext` on an API path overrides `Accept`
//! (`lib/middleware/express-extension-to-accept.js`); `Accept` is negotiated as Express'
//! `res.format` does, so the first offered type wins ties (`*/*` on entries gives text).

use axum::extract::Request;
use axum::http::Uri;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Tsv,
    Txt,
    Html,
    Svg,
    Png,
    Js,
}

impl Format {
    pub fn from_ext(ext: &str) -> Option<Format> {
        Some(match ext {
            "json" => Format::Json,
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "txt" => Format::Txt,
            "html" => Format::Html,
            "svg" => Format::Svg,
            "png" => Format::Png,
            "js" => Format::Js,
            _ => return None,
        })
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
            Format::Tsv => "text/tab-separated-values",
            Format::Txt => "text/plain",
            Format::Html => "text/html",
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
            Format::Js => "application/javascript",
        }
    }
}

/// The format a path extension asked for, put into request extensions by `strip_extension`.
#[derive(Debug, Clone, Copy)]
pub struct PathFormat(pub Format);

/// Before routing: `/api/v1/entries.json` -> `/api/v1/entries` with `PathFormat(Json)`, and a
/// trailing slash dropped (Express routes are not strict about it).
pub fn strip_extension(mut req: Request) -> Request {
    let path = req.uri().path();
    if !(path.starts_with("/api/v1/") || path.starts_with("/api/v2/")) {
        return req;
    }
    let mut new_path = path.trim_end_matches('/').to_owned();
    let mut format = None;
    if let Some((stem, ext)) = new_path.rsplit_once('.')
        && !ext.contains('/')
        && let Some(f) = Format::from_ext(&ext.to_ascii_lowercase())
    {
        format = Some(f);
        // `/entries/sgv/.json` is `/entries/sgv.json` (the slash Nightscout's examples write).
        new_path = stem.trim_end_matches('/').to_owned();
    }
    if new_path == path {
        return req;
    }
    let pq = match req.uri().query() {
        Some(q) => format!("{new_path}?{q}"),
        None => new_path,
    };
    if let Ok(uri) = Uri::builder().path_and_query(pq).build() {
        *req.uri_mut() = uri;
        if let Some(f) = format {
            req.extensions_mut().insert(PathFormat(f));
        }
    }
    req
}

/// Picks one of `offered` for the request: the path extension if any, else `Accept`.
/// `None` when nothing offered is acceptable.
pub fn negotiate(path: Option<PathFormat>, accept: Option<&str>, offered: &[Format]) -> Option<Format> {
    let accept = match path {
        Some(PathFormat(f)) => f.mime(),
        None => match accept.map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) => a,
            None => return offered.first().copied(),
        },
    };
    let ranges: Vec<Range> = accept.split(',').enumerate().filter_map(|(o, r)| Range::parse(r, o)).collect();
    let mut best: Option<(Priority, Format)> = None;
    for (i, f) in offered.iter().enumerate() {
        let Some(p) = priority(&ranges, f.mime(), i) else { continue };
        if p.q <= 0.0 {
            continue;
        }
        if best.as_ref().is_none_or(|(b, _)| p.better_than(b)) {
            best = Some((p, *f));
        }
    }
    best.map(|(_, f)| f)
}

struct Range<'a> {
    kind: &'a str,
    sub: &'a str,
    q: f32,
    order: usize,
}

impl<'a> Range<'a> {
    fn parse(text: &'a str, order: usize) -> Option<Range<'a>> {
        let mut parts = text.split(';');
        let (kind, sub) = parts.next()?.trim().split_once('/')?;
        let mut q = 1.0;
        for p in parts {
            if let Some(v) = p.trim().strip_prefix("q=") {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        Some(Range { kind: kind.trim(), sub: sub.trim(), q, order })
    }
}

#[derive(Clone, Copy)]
struct Priority {
    q: f32,
    specificity: u8,
    order: usize,
    index: usize,
}

impl Priority {
    /// negotiator's compareSpecs: q, then specificity, then Accept order, then offered order.
    fn better_than(&self, o: &Priority) -> bool {
        (self.q, self.specificity) > (o.q, o.specificity)
            || ((self.q, self.specificity) == (o.q, o.specificity) && (self.order, self.index) < (o.order, o.index))
    }
}

/// The most specific Accept range matching `mime`.
fn priority(ranges: &[Range], mime: &str, index: usize) -> Option<Priority> {
    let (kind, sub) = mime.split_once('/')?;
    let mut best: Option<Priority> = None;
    for r in ranges {
        let specificity = if r.kind.eq_ignore_ascii_case(kind) && r.sub.eq_ignore_ascii_case(sub) {
            2
        } else if r.kind.eq_ignore_ascii_case(kind) && r.sub == "*" {
            1
        } else if r.kind == "*" && r.sub == "*" {
            0
        } else {
            continue;
        };
        let p = Priority { q: r.q, specificity, order: r.order, index };
        let replace = best.as_ref().is_none_or(|b| {
            (specificity, p.q) > (b.specificity, b.q)
                || ((specificity, p.q) == (b.specificity, b.q) && p.order < b.order)
        });
        if replace {
            best = Some(p);
        }
    }
    best
}

/// RFC 7231 date for `Last-Modified`.
pub fn http_date(epoch_ms: i64) -> Option<String> {
    let dt = chrono::DateTime::from_timestamp_millis(epoch_ms)?;
    Some(dt.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

/// Parses an `If-Modified-Since` value to epoch ms.
pub fn parse_http_date(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(s.trim()).ok().map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRIES: &[Format] = &[Format::Txt, Format::Tsv, Format::Csv, Format::Json];
    const STATUS: &[Format] = &[Format::Html, Format::Png, Format::Svg, Format::Js, Format::Txt, Format::Json];

    #[test]
    fn star_or_missing_accept_gives_the_first_offered() {
        assert_eq!(negotiate(None, Some("*/*"), ENTRIES), Some(Format::Txt));
        assert_eq!(negotiate(None, None, ENTRIES), Some(Format::Txt));
        assert_eq!(negotiate(None, Some("*/*"), STATUS), Some(Format::Html));
    }

    #[test]
    fn explicit_types_and_q_values_win() {
        assert_eq!(negotiate(None, Some("application/json"), ENTRIES), Some(Format::Json));
        assert_eq!(negotiate(None, Some("application/json, text/plain, */*"), ENTRIES), Some(Format::Json));
        assert_eq!(negotiate(None, Some("text/plain;q=0.5, application/json"), ENTRIES), Some(Format::Json));
        assert_eq!(negotiate(None, Some("text/*"), ENTRIES), Some(Format::Txt));
        assert_eq!(negotiate(None, Some("image/gif"), ENTRIES), None);
    }

    #[test]
    fn path_extension_overrides_accept() {
        assert_eq!(negotiate(Some(PathFormat(Format::Csv)), Some("application/json"), ENTRIES), Some(Format::Csv));
        assert_eq!(negotiate(Some(PathFormat(Format::Csv)), None, STATUS), None);
    }

    #[test]
    fn extensions_are_stripped_before_routing() {
        let req = Request::builder().uri("/api/v1/entries/sgv.json?count=2").body(axum::body::Body::empty()).unwrap();
        let req = strip_extension(req);
        assert_eq!(req.uri().path(), "/api/v1/entries/sgv");
        assert_eq!(req.uri().query(), Some("count=2"));
        assert!(matches!(req.extensions().get::<PathFormat>(), Some(PathFormat(Format::Json))));
        let req = strip_extension(Request::builder().uri("/api/v1/entries/").body(axum::body::Body::empty()).unwrap());
        assert_eq!(req.uri().path(), "/api/v1/entries");
    }

    #[test]
    fn http_dates_round_trip() {
        let s = http_date(1405842255000).unwrap();
        assert_eq!(s, "Sun, 20 Jul 2014 07:44:15 GMT");
        assert_eq!(parse_http_date(&s), Some(1405842255000));
    }
}
