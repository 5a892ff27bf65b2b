//! Deliveries, lots, manual movements, tracing and scanning.

use crate::domain::ids::{LotId, ProductId, SessionId, SupplierId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A delivery as the API takes it: by ids or by the GS1 code scanned from the box.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveInput {
    #[serde(default)]
    pub product_id: Option<ProductId>,
    #[serde(default)]
    pub lot_number: Option<String>,
    /// Last day of use, `YYYY-MM-DD`.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    pub containers: i64,
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>)]
    pub unit_cost: Option<Decimal>,
    #[serde(default)]
    pub supplier_id: Option<SupplierId>,
    /// GS1 element string, bracketed form or Digital Link: gives product, lot and expiry.
    #[serde(default)]
    pub code: Option<String>,
    /// RFC 3339: when the delivery arrived, if entered later (yesterday's delivery
    /// entered today); defaults to now. At most 90 days back, never ahead, like a
    /// session's `performed_at`. A session before it cannot use the lot.
    #[serde(default, deserialize_with = "crate::domain::treatment::time_opt")]
    #[schema(value_type = Option<String>, example = "2026-11-20T10:30:00Z")]
    pub received_at: Option<DateTime<Utc>>,
    /// The fridge the lot goes into (`GET /fridges`); required for a refrigerated
    /// product once the clinic has a fridge.
    #[serde(default)]
    pub fridge_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveLotInput {
    pub product_id: ProductId,
    pub lot_number: String,
    /// Last day of use, `YYYY-MM-DD`. A lot already past it may be received (to record
    /// existing stock before wasting it) but is never available.
    pub expires_on: NaiveDate,
    /// Whole containers (vials, boxes) received.
    pub containers: i64,
    /// Per container; defaults to the product's unit cost.
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>)]
    pub unit_cost: Option<Decimal>,
    /// Defaults to the product's preferred supplier.
    #[serde(default)]
    pub supplier_id: Option<SupplierId>,
    /// When the delivery arrived, if entered later; defaults to now. Within the
    /// back-dating window of sessions.
    #[serde(default, deserialize_with = "crate::domain::treatment::time_opt")]
    #[schema(value_type = Option<String>)]
    pub received_at: Option<DateTime<Utc>>,
    /// The fridge the lot goes into (`GET /fridges`); required for a refrigerated
    /// product once the clinic has a fridge.
    #[serde(default)]
    pub fridge_id: Option<String>,
}

/// A manager's correction of what was typed at receipt. At least one of the two.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotPatch {
    #[serde(default)]
    pub lot_number: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    /// Why: kept in the audit log with the old and new values.
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovementInput {
    pub lot_id: LotId,
    /// `waste` (quantity thrown away, positive) or `adjust` (signed correction).
    pub kind: String,
    #[serde(deserialize_with = "crate::domain::quantity::strict")]
    #[schema(value_type = String, example = "1.5")]
    pub quantity: Decimal,
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LotQuery {
    pub product_id: Option<ProductId>,
    pub lot_number: Option<String>,
    /// `available`, `quarantined`, `recalled`, or derived `expired` / `usable`.
    pub status: Option<String>,
    /// Lots with stock whose expiry falls between today and today + N days.
    pub expiring_within_days: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TraceQuery {
    pub lot_number: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MovementQuery {
    pub lot_id: Option<LotId>,
    pub session_id: Option<SessionId>,
    /// RFC 3339 time or `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// RFC 3339 time or `YYYY-MM-DD`, exclusive.
    pub to: Option<String>,
    /// At most this many rows, oldest first (default 10000); the CSV export has no limit.
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// As the scanner sends it (with or without `]d2`/`]C1`/`]Q3`, ASCII 29 as FNC1),
    /// the bracketed form `(01)…(17)…(10)…`, or a GS1 Digital Link URI.
    pub code: String,
}
