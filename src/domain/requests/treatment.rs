//! Sessions, courses, cocktails (formulations) and the clinic's contraindication rules.

use crate::domain::ids::{FormulationId, LotId, ProductId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// The clinic's pseudonymous patient code: never a name. It must match the clinic's
    /// `patient_code_pattern` (by default letters, digits, `.`, `_`, `-`, at most 40).
    pub patient_ref: String,
    pub area: String,
    pub method: String,
    /// RFC 3339; defaults to now. At most 90 days back, never in the future.
    #[serde(default, deserialize_with = "crate::domain::treatment::time_opt")]
    pub performed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub formulation_id: Option<FormulationId>,
    /// Defaults to the formulation's current version.
    #[serde(default)]
    pub formulation_version: Option<i64>,
    /// Required: the screening answer, the conditions present (e.g. `diabetes`,
    /// `breastfeeding`; `GET /conditions` lists them). `[]` means the patient was asked
    /// and has none; a session without this field is refused.
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub conditions: Option<Vec<String>>,
    /// With a cocktail: changes to its components, per product (override, add, or
    /// `omit`); without one: what was used.
    #[serde(default)]
    pub items: Option<Vec<ItemInput>>,
    /// Proceed despite contraindications; recorded with the session.
    #[serde(default)]
    pub override_reason: Option<String>,
    /// Use the cocktail on an area it is not for; recorded with the session.
    #[serde(default)]
    pub area_override_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// Or give `code`.
    #[serde(default)]
    pub product_id: ProductId,
    /// In the product's stock unit. With a cocktail, an item overrides the component of
    /// its product (several items of one product share it) and defaults to the
    /// component's amount; `"0"` leaves the component out, like `omit`. Without a
    /// cocktail it is required.
    #[serde(default, deserialize_with = "crate::domain::quantity::strict_opt")]
    #[schema(value_type = Option<String>, example = "2")]
    pub quantity: Option<Decimal>,
    /// A lot to use; otherwise the service chooses first-expiry-first-out.
    #[serde(default)]
    pub lot_id: Option<LotId>,
    /// The GS1 code scanned from the vial or box: names the product and the lot. An
    /// expiry in the code (AI 17) must be the lot's.
    #[serde(default)]
    pub code: Option<String>,
    /// Leave this component of the cocktail out: nothing is taken, and the session's
    /// `lines` show it planned and not used.
    #[serde(default)]
    pub omit: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CreateQuery {
    /// `true`: answer the plan (screening and lots) with 200 and write nothing.
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SessionQuery {
    pub patient_ref: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`, exclusive.
    pub to: Option<String>,
    /// At most this many, newest first (default 200, at most 1000).
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseInput {
    pub patient_ref: String,
    pub formulation_id: FormulationId,
    pub area: String,
    pub start_on: NaiveDate,
    /// Defaults from the area: face 4, body 7, scalp 6.
    #[serde(default)]
    pub sessions: Option<i64>,
    /// Defaults from the area: face 7, body 15, scalp 35.
    #[serde(default)]
    pub interval_days: Option<i64>,
    /// Maintenance after the last session, every so many days (14 to 365), as protocols
    /// say; `0` for none. Defaults from the area: face 91 (3 months), body 122 (4 months),
    /// scalp 183 (a semester). The forecast counts these sessions.
    #[serde(default)]
    pub maintenance_every_days: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CourseQuery {
    pub patient_ref: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormulationInput {
    pub name: String,
    /// `injectable`, `roller`, `dermapen` or `prp`.
    pub method: String,
    /// Among `face`, `eyes`, `neck`, `scalp`, `neckline`, `hands`, `legs`, `belly`.
    pub areas: Vec<String>,
    pub components: Vec<ComponentInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentInput {
    pub product_id: ProductId,
    /// Per session, in the product's stock unit.
    #[serde(deserialize_with = "crate::domain::quantity::strict")]
    #[schema(value_type = String, example = "2")]
    pub amount: Decimal,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    /// Conditions present, e.g. `["diabetes"]`.
    pub conditions: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionQuery {
    /// Defaults to the current version.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// The ingredient the rule is about (e.g. "hyaluronic acid"); or give `product_id`;
    /// neither means every treatment.
    #[serde(default)]
    pub ingredient: Option<String>,
    #[serde(default)]
    pub product_id: Option<ProductId>,
    /// A condition name, e.g. `hyaluronic_acid_allergy`.
    pub condition: String,
    pub message: String,
    #[serde(default = "yes")]
    pub active: bool,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePatch {
    pub message: Option<String>,
    pub active: Option<bool>,
    pub condition: Option<String>,
}

/// A new rule is active unless the request says otherwise.
fn yes() -> bool {
    true
}
