//! Purchase orders, their receipts, and the forecast's horizon.

use crate::domain::ids::{ProductId, SupplierId};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    pub supplier_id: SupplierId,
    /// Take the lines from the current reorder suggestions for this supplier.
    #[serde(default)]
    pub from_suggestions: bool,
    #[serde(default)]
    pub lines: Vec<LineInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub product_id: ProductId,
    pub containers: i64,
}

/// The new lines of a draft; they replace all its lines.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPatch {
    pub lines: Vec<LineInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptInput {
    pub lines: Vec<ReceiptLineInput>,
    /// RFC 3339: when the delivery arrived, if entered later; defaults to now. Within
    /// the back-dating window of sessions (at most 90 days back, never ahead).
    #[serde(default, deserialize_with = "crate::domain::treatment::time_opt")]
    #[schema(value_type = Option<String>, example = "2026-11-20T10:30:00Z")]
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Receive more containers than a line ordered (the supplier sent extra). Without
    /// it, such a receipt is a 409 `over-receipt` and nothing is received.
    #[serde(default)]
    pub confirm_over_receipt: bool,
    /// The fridge the received lots go into (`GET /fridges`), unless a line names its
    /// own; required for refrigerated products once the clinic has a fridge.
    #[serde(default)]
    pub fridge_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineInput {
    /// Or give `code`, the GS1 code scanned from the box.
    #[serde(default)]
    pub product_id: Option<ProductId>,
    #[serde(default)]
    pub lot_number: Option<String>,
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
    pub containers: i64,
    /// A GS1 element string, bracketed form or Digital Link scanned from the box.
    #[serde(default)]
    pub code: Option<String>,
    /// The fridge this line's lot goes into, if not the receipt's `fridge_id`.
    #[serde(default)]
    pub fridge_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ForecastQuery {
    /// Horizon in days (default 30).
    pub days: Option<i64>,
}
