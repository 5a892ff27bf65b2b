//! Catalog rules: what a product is and which combinations of kind, unit and use make
//! sense in a mesotherapy clinic.

use crate::domain::ids::SupplierId;
use rust_decimal::Decimal;

use super::gtin::Gtin;
use super::{optional_text, quantity, required_text, Checks, FieldError};

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        // Stored as TEXT: `db::types` implements the column mapping for each such enum.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize, utoipa::ToSchema, ::diesel::expression::AsExpression, ::diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = ::diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The stored and submitted names, in order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// Parses the stored or submitted text; the error lists the allowed values.
            pub fn parse(s: &str) -> Result<Self, $crate::domain::ChoiceError> {
                match s { $($text => Ok($name::$variant),)+
                    "" => Err($crate::domain::ChoiceError::Missing(Self::NAMES)),
                    other => Err($crate::domain::ChoiceError::Unknown {
                        value: other.to_string(),
                        allowed: Self::NAMES,
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
use crate::domain::requests::ProductInput;
pub(crate) use text_enum;

text_enum!(
    /// What a product physically is.
    ProductKind {
        Vial => "vial",
        Ampoule => "ampoule",
        Needle => "needle",
        Roller => "roller",
        PenCartridge => "pen_cartridge",
        PrpKit => "prp_kit",
        Other => "other",
    }
);

text_enum!(
    /// The unit stock is counted in: `ml` for liquids, `piece` otherwise.
    StockUnit { Ml => "ml", Piece => "piece" }
);

text_enum!(
    Storage { Room => "room", Refrigerated => "refrigerated" }
);

/// USP <797>: a punctured multi-dose vial keeps 28 days unless the product says otherwise.
pub const DEFAULT_BEYOND_USE_DAYS: i64 = 28;

/// A product that obeys every catalog rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidProduct {
    pub sku: String,
    pub name: String,
    pub kind: ProductKind,
    pub ingredients: Vec<String>,
    pub gtin: Option<Gtin>,
    pub stock_unit: StockUnit,
    pub content: Decimal,
    pub single_use: bool,
    pub beyond_use_days: Option<i64>,
    pub storage: Storage,
    pub reorder_point: Decimal,
    pub reorder_quantity: i64,
    pub supplier_id: Option<SupplierId>,
    pub unit_cost: Decimal,
}

impl ValidProduct {
    /// Stock units in `containers` containers of this product.
    pub fn units_in(&self, containers: i64) -> Decimal {
        self.content * Decimal::from(containers)
    }
}

/// Ingredients are stored in screening's one spelling per ingredient (case, spaces,
/// `_`, `-` and synonyms), so a rule cannot be dodged by how a label is written.
pub use super::screening::normalize_ingredient;

impl TryFrom<ProductInput> for ValidProduct {
    type Error = Vec<FieldError>;

    fn try_from(p: ProductInput) -> Result<Self, Self::Error> {
        let mut c = Checks::new();
        let sku = c.take("sku", required_text(&p.sku, super::limits::SKU));
        let name = c.take("name", required_text(&p.name, super::limits::NAME));
        let kind = c.take("kind", ProductKind::parse(&p.kind));
        super::limits::list_len("ingredients", p.ingredients.len()).map_err(|e| vec![e])?;
        let mut ingredients = Vec::new();
        for (i, ing) in p.ingredients.iter().enumerate() {
            if let Some(v) = c.take(
                &format!("ingredients[{i}]"),
                required_text(ing, super::limits::INGREDIENT),
            ) {
                let n = normalize_ingredient(&v);
                if !ingredients.contains(&n) {
                    ingredients.push(n);
                }
            }
        }
        let gtin = match optional_text(p.gtin.as_deref(), 14) {
            Ok(Some(g)) => c.take("gtin", Gtin::parse(&g)),
            Ok(None) => None,
            Err(e) => c.take("gtin", Err(e)),
        };
        let stock_unit = c.take("stock_unit", StockUnit::parse(&p.stock_unit));
        let storage = c.take("storage", Storage::parse(&p.storage));
        let reorder_point = c.take("reorder_point", quantity::non_negative(p.reorder_point));
        let reorder_quantity = c.take(
            "reorder_quantity",
            quantity::count(p.reorder_quantity, 0, 100_000),
        );
        let unit_cost = c.take("unit_cost", quantity::non_negative(p.unit_cost));
        let supplier_id = p.supplier_id.filter(|s| !s.trim().is_empty());

        if let (Some(kind), Some(unit)) = (kind, stock_unit) {
            let expected = match kind {
                ProductKind::Vial | ProductKind::Ampoule => Some(StockUnit::Ml),
                ProductKind::Needle
                | ProductKind::Roller
                | ProductKind::PenCartridge
                | ProductKind::PrpKit => Some(StockUnit::Piece),
                ProductKind::Other => None,
            };
            if let Some(expected) = expected.filter(|e| *e != unit) {
                c.fail("stock_unit", format!("a {kind} is counted in {expected}"));
            }
        }
        let content = match (stock_unit, p.content) {
            (Some(StockUnit::Ml), None) => {
                c.fail(
                    "content",
                    "give the ml in one container, e.g. \"2\" for a 2 ml vial",
                );
                None
            }
            (_, Some(v)) if v > Decimal::from(quantity::MAX_CONTENT) => {
                c.fail(
                    "content",
                    format!("a container holds at most {}", quantity::MAX_CONTENT),
                );
                None
            }
            (_, Some(v)) => c.take("content", quantity::positive(v)),
            (_, None) => Some(Decimal::ONE),
        };
        if let (Some(StockUnit::Piece), Some(v)) = (stock_unit, content) {
            if !v.fract().is_zero() {
                c.fail("content", "pieces per box must be a whole number");
            }
        }
        let beyond_use_days = match (p.single_use, p.beyond_use_days) {
            (true, Some(_)) => {
                c.fail("beyond_use_days", "only a multi-dose product has beyond-use days; set single_use to false or leave this out");
                None
            }
            (true, None) => None,
            (false, days) => c.take(
                "beyond_use_days",
                quantity::count(days.unwrap_or(DEFAULT_BEYOND_USE_DAYS), 1, 365),
            ),
        };
        if !p.single_use && stock_unit == Some(StockUnit::Piece) {
            c.fail(
                "single_use",
                "only liquids (ml) can be multi-dose; pieces are single-use",
            );
        }
        c.into_result()?;
        match (
            sku,
            name,
            kind,
            stock_unit,
            content,
            storage,
            reorder_point,
            reorder_quantity,
            unit_cost,
        ) {
            (
                Some(sku),
                Some(name),
                Some(kind),
                Some(stock_unit),
                Some(content),
                Some(storage),
                Some(reorder_point),
                Some(reorder_quantity),
                Some(unit_cost),
            ) => Ok(ValidProduct {
                sku,
                name,
                kind,
                ingredients,
                gtin,
                stock_unit,
                content,
                single_use: p.single_use,
                beyond_use_days,
                storage,
                reorder_point,
                reorder_quantity,
                supplier_id,
                unit_cost,
            }),
            _ => Err(vec![FieldError::new("body", "invalid product")]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vial() -> ProductInput {
        ProductInput {
            sku: "HA-2".into(),
            name: "Hyaluronic acid 2 ml".into(),
            kind: "vial".into(),
            ingredients: vec![" Hyaluronic Acid ".into()],
            gtin: Some("09501101020917".into()),
            stock_unit: "ml".into(),
            content: Some(Decimal::from(2)),
            single_use: false,
            beyond_use_days: None,
            storage: "refrigerated".into(),
            reorder_point: Decimal::from(10),
            reorder_quantity: 5,
            supplier_id: None,
            unit_cost: Decimal::new(1250, 2),
        }
    }

    #[test]
    fn valid_multi_dose_vial_gets_default_beyond_use_days() {
        let p = ValidProduct::try_from(vial()).unwrap();
        assert_eq!(p.beyond_use_days, Some(28));
        assert_eq!(p.ingredients, vec!["hyaluronic acid"]);
        assert_eq!(p.units_in(3), Decimal::from(6));
    }

    #[test]
    fn reports_every_bad_field() {
        let mut p = vial();
        p.sku = " ".into();
        p.kind = "syringe".into();
        p.gtin = Some("09501101020918".into());
        p.content = None;
        let errs = ValidProduct::try_from(p).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["sku", "kind", "gtin", "content"]);
    }

    #[test]
    fn needles_are_single_use_pieces() {
        let mut p = vial();
        p.kind = "needle".into();
        let errs = ValidProduct::try_from(p).unwrap_err();
        assert!(errs.iter().any(|e| e.field == "stock_unit"));
        let mut p = vial();
        p.kind = "needle".into();
        p.stock_unit = "piece".into();
        p.content = None;
        let errs = ValidProduct::try_from(p).unwrap_err();
        assert!(errs.iter().any(|e| e.field == "single_use"));
    }
}
