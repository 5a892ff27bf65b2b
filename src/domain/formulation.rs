//! Cocktails: a named mix of products and amounts per session, for a method and areas.

use crate::domain::ids::ProductId;
use rust_decimal::Decimal;

use super::treatment::{Area, Method};
use super::{quantity, required_text, Checks, FieldError};
use crate::domain::requests::FormulationInput;

#[derive(Debug, Clone, PartialEq)]
pub struct ValidFormulation {
    pub name: String,
    pub method: Method,
    pub areas: Vec<Area>,
    /// (product id, amount), in the order given, each product once.
    pub components: Vec<(ProductId, Decimal)>,
}

impl TryFrom<FormulationInput> for ValidFormulation {
    type Error = Vec<FieldError>;

    fn try_from(f: FormulationInput) -> Result<Self, Self::Error> {
        let mut c = Checks::new();
        let name = c.take("name", required_text(&f.name, super::limits::NAME));
        let method = c.take("method", Method::parse(&f.method));
        // A list over its limit is refused whole, before any of it is read.
        super::limits::list_len("areas", f.areas.len()).map_err(|e| vec![e])?;
        super::limits::list_len("components", f.components.len()).map_err(|e| vec![e])?;
        let mut areas = Vec::new();
        if f.areas.is_empty() {
            c.fail("areas", "name at least one area");
        }
        for (i, a) in f.areas.iter().enumerate() {
            if let Some(area) = c.take(&format!("areas[{i}]"), Area::parse(a)) {
                if !areas.contains(&area) {
                    areas.push(area);
                }
            }
        }
        let mut components: Vec<(ProductId, Decimal)> = Vec::new();
        if f.components.is_empty() {
            c.fail("components", "a cocktail has at least one component");
        }
        for (i, comp) in f.components.into_iter().enumerate() {
            let amount = c.take(
                &format!("components[{i}].amount"),
                quantity::positive(comp.amount),
            );
            if components.iter().any(|(p, _)| *p == comp.product_id) {
                c.fail(
                    &format!("components[{i}].product_id"),
                    "this product is already a component; give its total amount once",
                );
            } else if let Some(amount) = amount {
                components.push((comp.product_id, amount));
            }
        }
        c.into_result()?;
        match (name, method) {
            (Some(name), Some(method)) => Ok(ValidFormulation {
                name,
                method,
                areas,
                components,
            }),
            _ => Err(vec![FieldError::new("body", "invalid formulation")]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::requests::ComponentInput;

    #[test]
    fn validates_every_part() {
        let bad = FormulationInput {
            name: "".into(),
            method: "laser".into(),
            areas: vec!["face".into(), "knee".into()],
            components: vec![
                ComponentInput {
                    product_id: "p".into(),
                    amount: Decimal::ZERO,
                },
                ComponentInput {
                    product_id: "q".into(),
                    amount: Decimal::ONE,
                },
                ComponentInput {
                    product_id: "q".into(),
                    amount: Decimal::ONE,
                },
            ],
        };
        let errs = ValidFormulation::try_from(bad).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "name",
                "method",
                "areas[1]",
                "components[0].amount",
                "components[2].product_id"
            ]
        );
    }
}
