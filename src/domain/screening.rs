//! Contraindication screening. The built-in rules come from the clinic's protocol (SPEC):
//! organic silicon is contraindicated in diabetes, kidney disease, pregnancy, lactation
//! and pathological edema; an active infection or acute illness, or aspirin within two
//! weeks, means no treatment that day. Clinics add their own rules on top.

use crate::domain::ids::ProductId;
use serde::{Deserialize, Serialize};

/// Conditions every clinic knows. A clinic's own rules may add more names.
pub const BUILTIN_CONDITIONS: &[&str] = &[
    "diabetes",
    "kidney_disease",
    "pregnancy",
    "lactation",
    "pathological_edema",
    "active_infection",
    "acute_illness",
    "aspirin_within_14_days",
    "anticoagulants",
    "autoimmune_disease",
    "herpes_history",
    "hypersensitivity",
];

/// What a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Any product with this (normalised) ingredient.
    Ingredient(String),
    /// One product of the catalog.
    Product(ProductId),
    /// Every treatment.
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub target: Target,
    pub condition: String,
    pub message: String,
}

pub const ORGANIC_SILICON: &str = "organic silicon";

pub fn builtin_rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for (condition, why) in [
        (
            "diabetes",
            "organic silicon is contraindicated with diabetes",
        ),
        (
            "kidney_disease",
            "organic silicon is contraindicated with kidney disease",
        ),
        (
            "pregnancy",
            "organic silicon is contraindicated in pregnancy",
        ),
        (
            "lactation",
            "organic silicon is contraindicated while breast-feeding",
        ),
        (
            "pathological_edema",
            "organic silicon is contraindicated with pathological edema",
        ),
    ] {
        rules.push(Rule {
            target: Target::Ingredient(ORGANIC_SILICON.into()),
            condition: condition.into(),
            message: why.into(),
        });
    }
    for (condition, why) in [
        (
            "active_infection",
            "no treatment during an active infection; reschedule",
        ),
        (
            "acute_illness",
            "no treatment during an acute illness (cough, flu); reschedule",
        ),
        (
            "aspirin_within_14_days",
            "aspirin must be stopped 2 weeks before treatment",
        ),
    ] {
        rules.push(Rule {
            target: Target::Any,
            condition: condition.into(),
            message: why.into(),
        });
    }
    rules
}

/// A product as screening sees it.
#[derive(Debug, Clone)]
pub struct Screened<'a> {
    pub product_id: &'a str,
    pub name: &'a str,
    pub ingredients: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contraindication {
    /// The ingredient (or product name) that triggers the rule; `any` for rules that
    /// forbid every treatment.
    pub ingredient: String,
    pub condition: String,
    pub message: String,
}

/// Normalises a condition name: lower case, spaces and dashes as underscores.
pub fn normalize_condition(s: &str) -> String {
    s.trim().to_lowercase().replace([' ', '-'], "_")
}

/// Checks the declared conditions: every one must be known; answers the normalised list.
pub fn parse_conditions(input: &[String], known: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for c in input {
        let n = normalize_condition(c);
        if known.contains(&n) {
            if !out.contains(&n) {
                out.push(n);
            }
        } else {
            unknown.push(c.clone());
        }
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "unknown condition(s) {}; known conditions: {}",
            unknown.join(", "),
            known.join(", ")
        ))
    }
}

/// Every rule that the declared conditions trigger for these products, each once.
pub fn screen(
    conditions: &[String],
    products: &[Screened<'_>],
    rules: &[Rule],
) -> Vec<Contraindication> {
    let mut found: Vec<Contraindication> = Vec::new();
    let mut push = |c: Contraindication| {
        if !found.contains(&c) {
            found.push(c);
        }
    };
    for rule in rules.iter().filter(|r| conditions.contains(&r.condition)) {
        match &rule.target {
            Target::Any => push(Contraindication {
                ingredient: "any".into(),
                condition: rule.condition.clone(),
                message: rule.message.clone(),
            }),
            Target::Ingredient(ing) => {
                if products.iter().any(|p| p.ingredients.contains(ing)) {
                    push(Contraindication {
                        ingredient: ing.clone(),
                        condition: rule.condition.clone(),
                        message: rule.message.clone(),
                    });
                }
            }
            Target::Product(id) => {
                if let Some(p) = products.iter().find(|p| p.product_id == id) {
                    push(Contraindication {
                        ingredient: p.name.to_string(),
                        condition: rule.condition.clone(),
                        message: rule.message.clone(),
                    });
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        BUILTIN_CONDITIONS.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn organic_silicon_and_diabetes() {
        let silicon = vec!["organic silicon".to_string()];
        let ha = vec!["hyaluronic acid".to_string()];
        let products = [
            Screened {
                product_id: "p1",
                name: "Silicon",
                ingredients: &silicon,
            },
            Screened {
                product_id: "p2",
                name: "HA",
                ingredients: &ha,
            },
        ];
        let found = screen(&["diabetes".into()], &products, &builtin_rules());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ingredient, "organic silicon");
        assert!(screen(&["diabetes".into()], &products[1..], &builtin_rules()).is_empty());
        let any = screen(&["acute_illness".into()], &products[1..], &builtin_rules());
        assert_eq!(any[0].ingredient, "any");
    }

    #[test]
    fn clinic_rules_and_unknown_conditions() {
        let ha = vec!["hyaluronic acid".to_string()];
        let products = [Screened {
            product_id: "p2",
            name: "HA",
            ingredients: &ha,
        }];
        let rules = vec![Rule {
            target: Target::Ingredient("hyaluronic acid".into()),
            condition: "hyaluronic_acid_allergy".into(),
            message: "allergy".into(),
        }];
        let mut k = known();
        k.push("hyaluronic_acid_allergy".into());
        let c = parse_conditions(&["Hyaluronic acid allergy".into()], &k).unwrap();
        assert_eq!(screen(&c, &products, &rules).len(), 1);
        let err = parse_conditions(&["gout".into()], &k).unwrap_err();
        assert!(err.contains("gout") && err.contains("diabetes"));
    }
}
