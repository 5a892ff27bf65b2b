//! The audit log, CSV exports and recall cases.

use crate::domain::ids::ProductId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// `clinic`, `staff`, `supplier`, `product`, `lot`, `formulation`, `rule`, `recall`.
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// At most this many, oldest first (default 1000, at most 10000).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// RFC 3339 or `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`, exclusive.
    pub to: Option<String>,
    pub product_id: Option<ProductId>,
    pub lot_number: Option<String>,
    /// Start with a UTF-8 byte-order mark (for Excel).
    pub bom: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BomQuery {
    pub bom: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseCaseInput {
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// `pending`, `contacted`, `unreachable` or `not_required`.
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
}
