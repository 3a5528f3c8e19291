//! Lenient deserialisation helpers shared by the registry clients: registries send `null` where
//! a list is expected, numbers as strings, and dates in three formats.

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `null` (or a missing field, with `#[serde(default)]`) becomes the type's default.
pub fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A JSON number or numeric string as a decimal; anything else is `None`, never an error,
/// because one odd figure must not discard the whole answer.
pub fn lenient_decimal<'de, D>(deserializer: D) -> Result<Option<Decimal>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(decimal_from_value(&Value::deserialize(deserializer)?))
}

/// The decimal a JSON value holds, if any.
pub fn decimal_from_value(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => {
            if let Some(i) = number.as_i64() {
                Some(Decimal::from(i))
            } else if let Some(u) = number.as_u64() {
                Some(Decimal::from(u))
            } else {
                number
                    .as_f64()
                    .and_then(|f| Decimal::try_from(f).ok())
                    .map(|d| d.normalize())
            }
        }
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A date from `YYYY-MM-DD` or an ISO-8601 timestamp; `None` for anything else.
pub fn date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// A date from an optional text.
pub fn opt_date(text: Option<&str>) -> Option<NaiveDate> {
    text.and_then(date)
}

/// A UTC date from epoch milliseconds (DaData).
pub fn epoch_ms_date(millis: Option<i64>) -> Option<NaiveDate> {
    millis
        .and_then(DateTime::from_timestamp_millis)
        .map(|t| t.date_naive())
}

/// `Some` only for non-blank text, trimmed.
pub fn non_blank(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(ToOwned::to_owned)
}
