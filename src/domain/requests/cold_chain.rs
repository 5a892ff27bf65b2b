//! Fridges, temperature readings and moving a lot between fridges.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FridgeInput {
    pub name: String,
    /// Lowest allowed temperature, °C as a string (default "2").
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>, example = "2")]
    pub min_celsius: Option<Decimal>,
    /// Highest allowed temperature, °C as a string (default "8").
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>, example = "8")]
    pub max_celsius: Option<Decimal>,
    /// How long readings may stay out of range before it is an excursion (default 30).
    #[serde(default)]
    pub tolerance_minutes: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingInput {
    /// RFC 3339 time of the reading.
    #[serde(deserialize_with = "crate::domain::treatment::time")]
    #[schema(value_type = String, example = "2026-11-20T03:10:00Z")]
    pub at: DateTime<Utc>,
    /// °C as a string, e.g. "4.5".
    #[serde(deserialize_with = "crate::domain::quantity::strict")]
    #[schema(value_type = String, example = "4.5")]
    pub celsius: Decimal,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingsInput {
    pub readings: Vec<ReadingInput>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReadingsQuery {
    /// RFC 3339 time or `YYYY-MM-DD`, inclusive (default: a day before `to`).
    pub from: Option<String>,
    /// RFC 3339 time or `YYYY-MM-DD`, inclusive (default: now). At most 34 days after `from`.
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    pub fridge_id: String,
    pub reason: String,
}
