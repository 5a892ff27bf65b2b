//! Products and suppliers.

use crate::domain::ids::SupplierId;
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A product as submitted (create) or as it would be after a PATCH; every field raw.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub sku: String,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub ingredients: Vec<String>,
    #[serde(default)]
    pub gtin: Option<String>,
    pub stock_unit: String,
    /// ml per container for liquids; pieces per box otherwise (default 1).
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>, example = "2")]
    pub content: Option<Decimal>,
    pub single_use: bool,
    #[serde(default)]
    pub beyond_use_days: Option<i64>,
    pub storage: String,
    /// In the stock unit: `low` when what is available falls to this.
    #[serde(default, deserialize_with = "crate::domain::quantity::strict")]
    #[schema(value_type = String, example = "10")]
    pub reorder_point: Decimal,
    /// In containers (vials, boxes): what one order brings at least.
    #[serde(default)]
    pub reorder_quantity: i64,
    #[serde(default)]
    pub supplier_id: Option<SupplierId>,
    #[serde(default, deserialize_with = "crate::domain::quantity::strict")]
    #[schema(value_type = String, example = "12.50")]
    pub unit_cost: Decimal,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub ingredients: Option<Vec<String>>,
    pub gtin: Option<String>,
    pub stock_unit: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>)]
    pub content: Option<Decimal>,
    pub single_use: Option<bool>,
    pub beyond_use_days: Option<i64>,
    pub storage: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>)]
    pub reorder_point: Option<Decimal>,
    pub reorder_quantity: Option<i64>,
    pub supplier_id: Option<SupplierId>,
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>)]
    pub unit_cost: Option<Decimal>,
    /// Archive (hide from pickers, suggestions and the forecast, refuse new stock, keep
    /// history and let existing stock be used up) or bring back.
    pub archived: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierInput {
    pub name: String,
    /// Days from order to delivery; drives reorder timing.
    pub lead_time_days: i64,
    #[serde(default)]
    pub email: Option<String>,
}

/// A partial change; absent fields stay as they are. For optional text fields (email,
/// gtin, supplier_id) an empty string clears the value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierPatch {
    pub name: Option<String>,
    pub lead_time_days: Option<i64>,
    pub email: Option<String>,
    /// Archive (hide from pickers and orders, keep history) or bring back.
    pub archived: Option<bool>,
}

/// The filter of the catalog lists.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ArchivedQuery {
    /// `true`: only the archived ones; `false` (the default): the others.
    pub archived: Option<bool>,
}
