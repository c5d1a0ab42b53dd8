//! Nightscout-compatible time parsing and formatting (moment.js / JS `Date` equivalents).
//! As in JS, instants lie within ±8.64e15 ms of the epoch (else parsers and formatters give
//! `None`), and years outside 0..=9999 are written, and parsed, as `±YYYYYY`.

/// A parsed instant with the UTC offset (minutes east of UTC) the text carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZonedTime {
    pub epoch_ms: i64,
    pub offset_minutes: i32,
}

const JS_MAX_MS: u64 = 8_640_000_000_000_000;
const MAX_OFFSET: u32 = 18 * 60;
const MONTHS: &str = "jan feb mar apr may jun jul aug sep oct nov dec";
const WEEKDAYS: &str = "sun mon tue wed thu fri sat";
const ZONES: &str = "GMT UT UTC Z EDT EST CDT CST MDT MST PDT PST";
const ZONE_HOURS: [i32; 12] = [0, 0, 0, 0, -4, -5, -5, -6, -6, -7, -7, -8];

/// Like `moment.parseZone(text)`: ISO 8601 (full or partial), RFC 2822 or JS `Date.toString()`
/// text, keeping its offset (none means UTC). `None` otherwise, e.g. numbers but a 4-digit year.
pub fn parse_zoned(text: &str) -> Option<ZonedTime> {
    let s = text.trim();
    parse_iso(s).or_else(|| parse_textual(s))
}

/// A decimal epoch-ms string as JS `Number()` reads it ("1405842255000", "1.4e12", "2015"),
/// truncated toward zero, offset 0; otherwise `parse_zoned`.
pub fn parse_epoch_ms_or_zoned(text: &str) -> Option<ZonedTime> {
    let s = text.trim();
    let numeric = s.bytes().all(|b| b"0123456789+-.eE".contains(&b));
    match numeric.then(|| s.parse::<f64>().ok()).flatten() {
        Some(v) => zoned(v as i64, 0), // saturating cast; zoned() rejects out-of-range values
        None => parse_zoned(s),
    }
}

/// Like JS `Date.prototype.toISOString()`: "2014-07-20T07:44:15.000Z".
pub fn to_iso_utc(epoch_ms: i64) -> Option<String> {
    let ok = epoch_ms.unsigned_abs() <= JS_MAX_MS;
    ok.then(|| format!("{}.{:03}Z", wall_clock(epoch_ms), epoch_ms.rem_euclid(1000)))
}

/// Like `moment.parseZone(..).format()`: "2014-07-20T00:44:15-07:00" (seconds floored, offset
/// 0 gives "+00:00"). `None` also for an offset beyond ±18:00.
pub fn to_iso_zoned(t: ZonedTime) -> Option<String> {
    let (off, a) = (t.offset_minutes, t.offset_minutes.unsigned_abs());
    zoned(t.epoch_ms, off)?;
    let local = wall_clock(t.epoch_ms + i64::from(off) * 60_000);
    let sign = if off < 0 { '-' } else { '+' };
    Some(format!("{local}{sign}{:02}:{:02}", a / 60, a % 60))
}

/// Epoch ms now (from `SystemTime`, so a clock before 1970 gives a negative value, not a panic).
pub fn now_ms() -> i64 {
    let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or_else(|e| -ms(e.duration()), ms)
}

/// The `ZonedTime` if both fields are in range.
fn zoned(epoch_ms: i64, offset_minutes: i32) -> Option<ZonedTime> {
    let ok = epoch_ms.unsigned_abs() <= JS_MAX_MS && offset_minutes.unsigned_abs() <= MAX_OFFSET;
    ok.then_some(ZonedTime { epoch_ms, offset_minutes })
}

/// "YYYY-MM-DDTHH:MM:SS" for wall-clock ms since 1970-01-01T00:00.
fn wall_clock(ms: i64) -> String {
    let (y, mo, d) = civil_from_days(ms.div_euclid(86_400_000));
    let s = ms.rem_euclid(86_400_000) / 1000;
    let year = match y {
        0..=9999 => format!("{y:04}"),
        _ => format!("{y:+07}"),
    };
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    format!("{year}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}")
}

// Howard Hinnant's proleptic Gregorian algorithms (exact far beyond the JS range).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let d = doy - (153 * mp + 2) / 5 + 1;
    (era * 400 + yoe + i64::from(m <= 2), m as u32, d as u32)
}
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let (era, yoe) = (y.div_euclid(400), y.rem_euclid(400));
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + (153 * mp + 2) / 5 + i64::from(d) - 1;
    era * 146_097 + doe - 719_468
}

/// Checks the fields (a valid date survives a day-number round trip; 24:00 is next midnight).
fn build(date: (i64, u32, u32), h: u32, m: u32, s: u32, ms: u32, off: i32) -> Option<ZonedTime> {
    let days = days_from_civil(date.0, date.1, date.2);
    let time_ok = m < 60 && s < 60 && ms < 1000 && (h, m, s, ms) <= (24, 0, 0, 0);
    (time_ok && civil_from_days(days) == date).then_some(())?;
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + s) - i64::from(off) * 60;
    zoned(secs * 1000 + i64::from(ms), off)
}

/// `min..=max` ASCII digits (max <= 9, so no overflow).
fn num(s: &str, min: usize, max: usize) -> Option<u32> {
    let ok = (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| s.parse().ok()).flatten()
}
/// The next 2-digit field, or `absent` if there is none.
fn field<'a>(it: &mut impl Iterator<Item = &'a str>, absent: u32) -> Option<u32> {
    it.next().map_or(Some(absent), |x| num(x, 2, 2))
}

/// `YYYY[-MM[-DD[(T|t| )HH[:MM[:SS[(.|,)F+]]][offset]]]]`, year also `±YYYYYY` (not -000000).
fn parse_iso(s: &str) -> Option<ZonedTime> {
    let split = s.split_once(['T', 't', ' ']);
    let (date, time) = split.map_or((s, None), |(d, t)| (d, Some(t)));
    let body = date.strip_prefix(['+', '-']).unwrap_or(date);
    let ylen = if body.len() == date.len() { 4 } else { 6 };
    let mut parts = body.split('-');
    let y = i64::from(num(parts.next()?, ylen, ylen)?);
    let (mo, d) = (field(&mut parts, 1)?, field(&mut parts, 1)?);
    let neg = date.starts_with('-');
    let bad = parts.next().is_some() || (neg && y == 0);
    (!bad && time.is_none_or(|_| body.len() == ylen + 6)).then_some(())?;
    let date = (if neg { -y } else { y }, mo, d);
    let t = time.unwrap_or("00"); // a date alone is midnight UTC; a time needs a full date
    let end = t.find(|c| !"0123456789:.,".contains(c));
    let whole = t.get(..end.unwrap_or(t.len()))?;
    let (clock, frac) = whole.split_once(['.', ',']).unwrap_or((whole, "0"));
    let mut hms = clock.split(':');
    let h = num(hms.next()?, 2, 2)?;
    let (m, sec) = (field(&mut hms, 0)?, field(&mut hms, 0)?);
    let frac_ok = !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit());
    let ok = frac_ok && hms.next().is_none() && (whole.len() == clock.len() || clock.len() == 8);
    let ms = num(format!("{frac:0<3}").get(..3)?, 3, 3).filter(|_| ok)?;
    build(date, h, m, sec, ms, iso_offset(t.get(whole.len()..)?)?)
}

/// After an ISO time: nothing, [spaces] `Z`/`±HH[[:]MM]`, or " HH:MM"/" HHMM" (unescaped `+`).
fn iso_offset(rest: &str) -> Option<i32> {
    let t = rest.trim_start();
    match t {
        "" | "Z" | "z" => Some(0),
        _ if rest.starts_with(' ') && !t.starts_with(['+', '-']) => offset_body(t, true),
        _ => signed_offset(t),
    }
}
fn signed_offset(t: &str) -> Option<i32> {
    let sign = if t.starts_with('-') { -1 } else { 1 };
    Some(sign * offset_body(t.strip_prefix(['+', '-'])?, false)?)
}
/// `HH`, `HHMM` or `HH:MM` (`HH` alone only if `!need_min`) as minutes.
fn offset_body(t: &str, need_min: bool) -> Option<i32> {
    let h = num(t.get(..2)?, 2, 2)?;
    let m = match t.len() {
        2 if !need_min => 0,
        4 => num(t.get(2..)?, 2, 2)?,
        5 if t.get(2..3) == Some(":") => num(t.get(3..)?, 2, 2)?,
        _ => return None,
    };
    (m < 60).then_some((h * 60 + m) as i32) // the ±18:00 limit is checked by zoned()
}

/// 1-based index of the name `tok` starts with (case-insensitive; "Jul", "July" as in JS).
fn name_index(names: &str, tok: &str) -> Option<u32> {
    let t = tok.to_ascii_lowercase();
    names.split(' ').position(|n| t.starts_with(n)).map(|i| i as u32 + 1)
}

/// `[Sun,] 20 Jul 2014 07:44:15 +0000`, `Sun Jul 20 2014 00:44:15 GMT-0700 (..)`; as in JS, a
/// leading weekday is not checked against the date.
fn parse_textual(s: &str) -> Option<ZonedTime> {
    let s = s.split('(').next()?.replace(',', " "); // drop a "(Zone Name)" comment
    let all: Vec<&str> = s.split_whitespace().collect();
    let skip = all.first().is_some_and(|t| name_index(WEEKDAYS, t).is_some());
    let [a, b, y, time, zone @ ..] = all.get(usize::from(skip)..)? else {
        return None;
    };
    let (mo, d) = match (name_index(MONTHS, a), name_index(MONTHS, b)) {
        (Some(m), None) => (m, num(b, 1, 2)?),
        (None, Some(m)) => (m, num(a, 1, 2)?),
        _ => return None,
    };
    let year = match num(y, 2, 2) {
        Some(v) => v + if v < 50 { 2000 } else { 1900 },
        None => num(y, 4, 4)?,
    };
    let mut hms = time.split(':');
    let (h, m) = (num(hms.next()?, 1, 2)?, num(hms.next()?, 2, 2)?);
    let sec = field(&mut hms, 0)?;
    (zone.len() < 2 && hms.next().is_none()).then_some(())?;
    let off = zone.first().map_or(Some(0), |z| zone_offset(z))?;
    build((i64::from(year), mo, d), h, m, sec, 0, off)
}

/// `GMT`/`UT`/`UTC`/`Z`, US zone names, `±HHMM`, or `GMT±HHMM`/`UTC±HHMM`.
fn zone_offset(z: &str) -> Option<i32> {
    let up = z.to_ascii_uppercase();
    if let Some(i) = ZONES.split(' ').position(|n| n == up) {
        return ZONE_HOURS.get(i).map(|h| h * 60);
    }
    let rest = ["GMT", "UTC", "UT"].iter().find_map(|p| up.strip_prefix(p));
    signed_offset(rest.unwrap_or(&up))
}

/// Epoch ms of a time field that may be a number or a date string.
pub fn field_ms(doc: &super::Doc, field: &str) -> Option<i64> {
    match doc.get(field)? {
        serde_json::Value::Number(n) => n.as_f64().map(|x| x as i64),
        serde_json::Value::String(s) => parse_epoch_ms_or_zoned(s).map(|t| t.epoch_ms),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kind|input ; input.. => want`: z parse_zoned, e parse_epoch_ms_or_zoned (both shown as
    /// `to_iso_utc offset`), u to_iso_utc(ms), f to_iso_zoned(ms offset).
    const CASES: &str = "\
z|2014-07-20T00:44:15.000-07:00 ; 2014-07-20T00:44:15-0700 ; 2014-07-20 00:44:15 -07 => 2014-07-20T07:44:15.000Z -420
z|Sun Jul 20 2014 00:44:15 GMT-0700 (Pacific Daylight Time) ; Sun, 20 Jul 14 00:44:15 PDT => 2014-07-20T07:44:15.000Z -420
z|2014-07-20T07:44:15Z ; 2014-07-20t07:44:15z ; 2014-07-20T07:44:15 Z ; 2014-07-20T07:44:15-00:00 => 2014-07-20T07:44:15.000Z 0
z|2014-07-20 07:44:15 ;   2014-07-20 07:44:15\t ; Sun, 20 Jul 2014 07:44:15 +0000 => 2014-07-20T07:44:15.000Z 0
z|Sun, 20 Jul 2014 07:44:15 GMT ; sunday july 20 2014 07:44:15 ; Mon, 20 Jul 2014 07:44:15 utc+00:00 => 2014-07-20T07:44:15.000Z 0
z|2014-07-20T09:44:15+0200 ; 2014-07-20T09:44:15 +02:00 ; 20 Jul 2014 09:44:15 +0200 => 2014-07-20T07:44:15.000Z 120
z|2014-07-20T09:44:15 02:00 ; 2014-07-20 09:44:15 0200 ; 2014-07-20T09:44:15.000 02:00 => 2014-07-20T07:44:15.000Z 120
z|Sun Jul 20 2014 09:44:15 GMT+0200 (Mitteleuropäische Sommerzeit) => 2014-07-20T07:44:15.000Z 120
z|2014-07-20T09:44:15.123+02 => 2014-07-20T07:44:15.123Z 120
z|2014-07-21T01:44:15+18:00 => 2014-07-20T07:44:15.000Z 1080
z|2014-07-19T13:44:15-18:00 => 2014-07-20T07:44:15.000Z -1080
z|2014-07-20T07:44Z ; Sun, 20 Jul 2014 07:44 UT => 2014-07-20T07:44:00.000Z 0
z|2014-07-20T07 ; Jul 20 2014 7:00 => 2014-07-20T07:00:00.000Z 0
z|2014-07-19T24:00:00Z ; 2014-07-20 => 2014-07-20T00:00:00.000Z 0
z|2014-07-20T07:44:15.1Z => 2014-07-20T07:44:15.100Z 0
z|2014-07-20T07:44:15.12 => 2014-07-20T07:44:15.120Z 0
z|2014-07-20T07:44:15.1239Z ; 2014-07-20T07:44:15,123456789 => 2014-07-20T07:44:15.123Z 0
z|2014-07-20T07:44:15.999999999Z => 2014-07-20T07:44:15.999Z 0
z|2015 => 2015-01-01T00:00:00.000Z 0
z|2015-08 => 2015-08-01T00:00:00.000Z 0
z|2016-02-29 => 2016-02-29T00:00:00.000Z 0
z|+275760-09-13T00:00:00.000Z => +275760-09-13T00:00:00.000Z 0
z|-271821-04-20T00:00:00.000Z => -271821-04-20T00:00:00.000Z 0
z|+275760-09-13T00:00:00.001Z ; -000000-01-01 ; 1405791855000 ; 20150828 ; 201508 ; now ;  => None
z|2015-02-30 ; 2015-02-29 ; 2014-13-01 ; 2014-00-01 ; 2014-07-00 ; 2014-7-20 ; 2015-08-28Z => None
z|2014-07-20T25:00:00Z ; 2014-07-20T24:00:01Z ; 2014-07-20T23:60:00Z ; 2014-07-20T23:59:60Z => None
z|2014-07-20T07:44:15+18:01 ; 2014-07-20T07:44:15-1900 ; 2014-07-20T07:44:15+05:60 => None
z|2014-07-20T07:44:15+5 ; 2014-07-20T09:44:15 02 ; 2014-07-20T09:44:15 02:00 x => None
z|2014-07-20T07:44:15.Z ; 2014-07-20T07:44.5Z ; 2015-08T00:00 ; 2014-07-20T ; 2014-07-20T07:44:15abc => None
z|Sun, 20 Jux 2014 07:44:15 +0000 ; Sun, 31 Jun 2014 07:44:15 +0000 ; Jul Jul 2014 07:44:15 => None
z|Sun, 20 Jul 2014 07:44:15 +1900 ; Sun Jul 20 2014 00:44:15 GMT-0700 Pacific) => None
z|Sun, 20 Jul 2014 07:44:15:00 GMT ; Sun, 20 Jul 2014 07:44:15 GMT PDT => None
e| 1405842255000.9  ; 1.405842255e12 => 2014-07-20T07:44:15.000Z 0
e|-1.9 ; -1 => 1969-12-31T23:59:59.999Z 0
e|1405842255007 => 2014-07-20T07:44:15.007Z 0
e|-62198755200000 => -000001-01-01T00:00:00.000Z 0
e|253402300800000 => +010000-01-01T00:00:00.000Z 0
e|2015 => 1970-01-01T00:00:02.015Z 0
e|2014-07-20T00:44:15-07:00 => 2014-07-20T07:44:15.000Z -420
e|8640000000000001 ; 99999999999999999999999999 ; 1e400 ; inf ; NaN ; 1-2 ; . ; - ;  => None
u|8640000000000001 ; -8640000000000001 ; -9223372036854775808 ; 9223372036854775807 => None
f|1405842255999 -420 => 2014-07-20T00:44:15-07:00
f|1405842255000 0 => 2014-07-20T07:44:15+00:00
f|1405842255000 330 => 2014-07-20T13:14:15+05:30
f|-1 0 => 1969-12-31T23:59:59+00:00
f|0 1081 ; 0 -2147483648 ; 0 2147483647 ; 9223372036854775807 0 ; -9223372036854775808 -1080 => None";

    fn cases() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
        CASES.lines().flat_map(|line| {
            let (kind, rest) = line.split_once('|').unwrap_or_default();
            let (inputs, want) = rest.split_once(" => ").unwrap_or_default();
            inputs.split(" ; ").map(move |input| (kind, input, want))
        })
    }

    fn show(z: Option<ZonedTime>) -> String {
        let f = |z: ZonedTime| format!("{} {}", to_iso_utc(z.epoch_ms)?, z.offset_minutes).into();
        z.and_then(f).unwrap_or("None".into())
    }

    #[test]
    fn table_and_round_trips() {
        for (kind, input, want) in cases() {
            let (ms, off) = input.split_once(' ').unwrap_or((input, "0"));
            let zt = ZonedTime { epoch_ms: ms.parse().unwrap_or(0), offset_minutes: off.parse().unwrap_or(0) };
            let got = match kind {
                "z" => show(parse_zoned(input)),
                "e" => show(parse_epoch_ms_or_zoned(input)),
                "u" => to_iso_utc(zt.epoch_ms).unwrap_or("None".into()),
                _ => to_iso_zoned(zt).unwrap_or("None".into()),
            };
            assert_eq!(got, want, "{kind}|{input:?}");
            if let Some(t) = parse_zoned(input).filter(|_| kind == "z") {
                let utc = to_iso_utc(t.epoch_ms);
                let back = utc.as_deref().and_then(parse_zoned).map(|b| b.epoch_ms);
                assert_eq!(back, Some(t.epoch_ms), "{input}");
                let zoned = to_iso_zoned(t);
                let back = zoned.as_deref().and_then(parse_zoned);
                assert_eq!(back.map(|b| b.offset_minutes), Some(t.offset_minutes), "{input}");
                assert_eq!(back.and_then(to_iso_zoned), zoned, "{input}");
            }
        }
    }

    #[test]
    fn day_math_matches_chrono_and_now() {
        use chrono::Datelike;
        for days in (-3_000_000..3_000_000).step_by(997).chain(-800..800) {
            let d = chrono::DateTime::from_timestamp(days * 86_400, 0).map(|t| t.date_naive());
            let want = d.map(|d| (i64::from(d.year()), d.month(), d.day()));
            assert_eq!(want, Some(civil_from_days(days)));
            assert_eq!(want.map(|(y, m, d)| days_from_civil(y, m, d)), Some(days));
        }
        assert!((now_ms() - chrono::Utc::now().timestamp_millis()).abs() < 5000);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = ["9".repeat(400), "é日本💥 (".into()];
        let mut all = vec![];
        for seed in cases().map(|(_, input, _)| input.to_string()).chain(odd) {
            for i in seed.char_indices().map(|(i, _)| i).chain([seed.len()]) {
                let (a, b) = seed.split_at(i);
                all.extend(["é", "💥", " ", "+", "9", "("].map(|x| format!("{a}{x}{b}")));
                all.extend([format!("{b}{a}"), a.repeat(40), seed.replace(':', "日")]);
            }
        }
        assert!(all.len() > 300, "{}", all.len());
        for s in &all {
            let zs = [parse_zoned(s), parse_epoch_ms_or_zoned(s)];
            for z in zs.into_iter().flatten() {
                let ok = to_iso_utc(z.epoch_ms).is_some() && to_iso_zoned(z).is_some();
                assert!(ok, "{s}");
            }
        }
    }
}
