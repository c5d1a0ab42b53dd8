//! Pure domain logic: no I/O here.

/// One stored document: a JSON object that keeps every field the client sent.
pub type Doc = serde_json::Map<String, serde_json::Value>;

/// Nightscout's collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    Entries,
    Treatments,
    DeviceStatus,
    Profile,
    Food,
    Activity,
}

impl Collection {
    pub const ALL: [Collection; 6] = [
        Collection::Entries,
        Collection::Treatments,
        Collection::DeviceStatus,
        Collection::Profile,
        Collection::Food,
        Collection::Activity,
    ];

    /// Nightscout's default collection name (also the SQLite table name).
    pub fn default_name(self) -> &'static str {
        match self {
            Collection::Entries => "entries",
            Collection::Treatments => "treatments",
            Collection::DeviceStatus => "devicestatus",
            Collection::Profile => "profile",
            Collection::Food => "food",
            Collection::Activity => "activity",
        }
    }

    /// The time a document stands for, in epoch ms: the one definition per collection, used for
    /// windows, ordering and `Last-Modified`. Entries: `date`, else `dateString`; profiles:
    /// `startDate`; the others: `created_at`.
    pub fn time_ms(self, doc: &Doc) -> Option<i64> {
        match self {
            Collection::Entries => time::field_ms(doc, "date").or_else(|| time::field_ms(doc, "dateString")),
            Collection::Profile => time::field_ms(doc, "startDate"),
            _ => time::field_ms(doc, "created_at"),
        }
    }

    /// The collection a `{storage}` path segment names, as `/count/{storage}/where` takes it.
    pub fn parse(name: &str) -> Option<Collection> {
        Collection::ALL.into_iter().find(|c| c.default_name() == name)
    }
}

/// Devicestatus: `created_at` and OpenAPS prediction truncation.
pub mod devicestatus;
/// What devicestatus, profile, food and activity share: `_id` check, `created_at`.
pub mod documents;
/// A filter written as a MongoDB query, for `/api/v1/echo`.
pub mod echo;
/// Entries: normalisation on POST, dedup key, text rows.
pub mod entries;
/// The typed filter tree every store translates.
pub mod filter;
/// Units, delta and direction: the one shared implementation.
pub mod glucose;
/// The dashboard's translation tables (`frontend/src/translations/*.json`), for alarm text.
pub mod i18n;
/// JavaScript value rules: `Number()`, truthiness, `Math.round`, number printing.
pub mod js;
/// Nightscout's server plugins (iob, cob, basal, pump, loop, openaps, ages, ar2, ...): the
/// `/api/v2/properties` values and the non-glucose notifications, computed from recent data.
pub mod plugins;
/// `upbat` and `dbsize` properties.
pub mod properties;
/// `lib/server/purifier.js`: HTML sanitising of uploaded strings.
pub mod purify;
/// `find[...]` query language -> `Filter`, with Nightscout's per-collection coercion.
pub mod query;
/// One check for every regular expression a client sends.
pub(crate) mod regex_check;
/// Dates as Nightscout (moment.js) reads and writes them.
pub mod time;
/// Brace-expanded regex patterns of `/times` and `/slice`.
pub mod times;
/// Treatments: normalisation, `preBolus` split, dedup key, read-back shape.
pub mod treatments;
/// Glucose units and BG thresholds.
pub mod units;
/// API v3's document rules: date, identifier, immutable fields, dedup keys.
pub mod v3;
