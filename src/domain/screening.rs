//! Contraindication screening. The built-in rules come from the clinic's protocol (SPEC):
//! organic silicon is contraindicated in diabetes, kidney disease, pregnancy, lactation
//! and pathological edema; an active infection or acute illness, or aspirin within two
//! weeks, means no treatment that day. Clinics add their own rules on top.

use crate::domain::ids::ProductId;
use serde::{Deserialize, Serialize};

/// A condition screening knows: the code sessions record, the name people read, and the
/// other spellings that mean it (compared after `normalize_condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownCondition {
    pub code: &'static str,
    pub label: &'static str,
    pub synonyms: &'static [&'static str],
}

const fn known(
    code: &'static str,
    label: &'static str,
    synonyms: &'static [&'static str],
) -> KnownCondition {
    KnownCondition {
        code,
        label,
        synonyms,
    }
}

/// Conditions every clinic knows. A clinic's own rules may add more names.
pub const BUILTIN_CONDITIONS: &[KnownCondition] = &[
    known("diabetes", "Diabetes", &["diabetic"]),
    known(
        "kidney_disease",
        "Kidney disease",
        &["renal_disease", "kidney_failure", "renal_failure"],
    ),
    known("pregnancy", "Pregnancy", &["pregnant"]),
    known(
        "lactation",
        "Breast-feeding (lactation)",
        &["breastfeeding", "breast_feeding", "nursing"],
    ),
    known(
        "pathological_edema",
        "Pathological edema",
        &["pathological_oedema", "edema", "oedema"],
    ),
    known("active_infection", "Active infection", &["infection"]),
    known(
        "acute_illness",
        "Acute illness (flu, cough, fever)",
        &["flu", "influenza", "cough", "fever", "cold"],
    ),
    known(
        "aspirin_within_14_days",
        "Aspirin in the last 14 days",
        &["aspirin"],
    ),
    known(
        "anticoagulants",
        "Anticoagulant treatment",
        &[
            "anticoagulant",
            "anticoagulant_treatment",
            "blood_thinner",
            "blood_thinners",
        ],
    ),
    known("autoimmune_disease", "Autoimmune disease", &["autoimmune"]),
    known(
        "herpes_history",
        "History of herpes (cold sores)",
        &["herpes", "cold_sores"],
    ),
    known(
        "hypersensitivity",
        "Hypersensitivity to an ingredient",
        &["allergy"],
    ),
];

/// The name people read for a condition code: the built-in label, else the code in words
/// (a clinic's own condition, e.g. `hyaluronic_acid_allergy` → "Hyaluronic acid allergy").
pub fn condition_label(code: &str) -> String {
    if let Some(k) = BUILTIN_CONDITIONS.iter().find(|k| k.code == code) {
        return k.label.to_string();
    }
    let words = code.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An ingredient as screening knows it, with the other names it goes by (compared after
/// `normalize_ingredient`).
pub struct KnownIngredient {
    pub name: &'static str,
    pub synonyms: &'static [&'static str],
}

pub const ORGANIC_SILICON: &str = "organic silicon";
pub const HYALURONIC_ACID: &str = "hyaluronic acid";

/// Ingredients of the clinic's protocols. Screening compares canonical names, so a
/// product labelled "MMST" is screened as organic silicon.
pub const KNOWN_INGREDIENTS: &[KnownIngredient] = &[
    KnownIngredient {
        name: ORGANIC_SILICON,
        synonyms: &["silicium organique", "monomethylsilanetriol", "mmst"],
    },
    KnownIngredient {
        name: HYALURONIC_ACID,
        synonyms: &[
            "sodium hyaluronate",
            "ha",
            "hyaluronan",
            "acide hyaluronique",
        ],
    },
    KnownIngredient {
        name: "vitamins",
        synonyms: &["multivitamins"],
    },
    KnownIngredient {
        name: "vitamin c",
        synonyms: &["ascorbic acid"],
    },
    KnownIngredient {
        name: "amino acids",
        synonyms: &[],
    },
    KnownIngredient {
        name: "minerals",
        synonyms: &[],
    },
    KnownIngredient {
        name: "dmae",
        synonyms: &["dimethylaminoethanol"],
    },
];

/// One spelling per ingredient: lower case, `_` and `-` read as spaces, runs of spaces
/// as one, and a known synonym as its ingredient ("Sodium_Hyaluronate" → "hyaluronic
/// acid"). Products and rules store this form, and screening compares it.
pub fn normalize_ingredient(s: &str) -> String {
    let spaced = s.to_lowercase().replace(['_', '-'], " ");
    let n = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    KNOWN_INGREDIENTS
        .iter()
        .find(|k| k.name == n || k.synonyms.contains(&n.as_str()))
        .map_or(n, |k| k.name.to_string())
}

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
        (
            "anticoagulants",
            "anticoagulant treatment: bleeding and bruising risk; the patient must not stop it on their own; treat only with the prescribing doctor's agreement",
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

/// Normalises a condition name: lower case, words joined by one underscore (spaces,
/// dashes and underscores alike), and a known synonym as its condition
/// ("Breast-feeding" → `lactation`, "flu" → `acute_illness`).
pub fn normalize_condition(s: &str) -> String {
    let lower = s.to_lowercase();
    let n = lower
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    BUILTIN_CONDITIONS
        .iter()
        .find(|k| k.synonyms.contains(&n.as_str()))
        .map_or(n, |k| k.code.to_string())
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
            "unknown condition(s) {}; known conditions: {} (GET /api/v1/conditions lists them with their other names)",
            unknown.join(", "),
            known.join(", ")
        ))
    }
}

/// The ingredients no rule names and screening does not know: most likely a spelling
/// screening would miss, so the product is accepted with a warning per ingredient.
pub fn unknown_ingredients(ingredients: &[String], rules: &[Rule]) -> Vec<String> {
    ingredients
        .iter()
        .map(|i| normalize_ingredient(i))
        .filter(|i| {
            !KNOWN_INGREDIENTS.iter().any(|k| k.name == i)
                && !rules
                    .iter()
                    .any(|r| matches!(&r.target, Target::Ingredient(t) if normalize_ingredient(t) == *i))
        })
        .map(|i| {
            format!(
                "ingredient {i:?} is named by no screening rule: check its spelling; if it has contraindications, add a clinic rule for it"
            )
        })
        .collect()
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
                // Canonical on both sides, so rows stored before synonyms existed match too.
                let ing = normalize_ingredient(ing);
                let has =
                    |p: &Screened<'_>| p.ingredients.iter().any(|i| normalize_ingredient(i) == ing);
                if products.iter().any(has) {
                    push(Contraindication {
                        ingredient: ing,
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
        BUILTIN_CONDITIONS
            .iter()
            .map(|k| k.code.to_string())
            .collect()
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

    #[test]
    fn ingredient_spellings_and_synonyms_are_one_ingredient() {
        for spelling in [
            "Organic Silicon",
            "organic_silicon",
            " organic-silicon ",
            "ORGANIC   silicon",
            "silicium organique",
            "Silicium_Organique",
            "monomethylsilanetriol",
            "MMST",
        ] {
            assert_eq!(
                normalize_ingredient(spelling),
                ORGANIC_SILICON,
                "{spelling}"
            );
        }
        for spelling in [
            "Hyaluronic acid",
            "sodium hyaluronate",
            "Sodium-Hyaluronate",
            "HA",
        ] {
            assert_eq!(
                normalize_ingredient(spelling),
                HYALURONIC_ACID,
                "{spelling}"
            );
        }
        assert_eq!(normalize_ingredient(" DMAE "), "dmae");
        assert_eq!(normalize_ingredient("Vitamin_B-12"), "vitamin b 12");
    }

    #[test]
    fn a_synonym_spelt_product_is_screened_like_the_ingredient() {
        // Stored before normalisation existed, or written by hand: still screened.
        let mmst = vec!["MMST".to_string()];
        let products = [Screened {
            product_id: "p1",
            name: "Silicium",
            ingredients: &mmst,
        }];
        let found = screen(&["pregnancy".into()], &products, &builtin_rules());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ingredient, ORGANIC_SILICON);
    }

    #[test]
    fn condition_synonyms_name_one_condition() {
        for (said, code) in [
            ("breastfeeding", "lactation"),
            ("Breast-feeding", "lactation"),
            ("breast feeding", "lactation"),
            ("flu", "acute_illness"),
            ("Cough", "acute_illness"),
            ("Acute illness", "acute_illness"),
            ("anticoagulant treatment", "anticoagulants"),
            ("blood thinners", "anticoagulants"),
            ("aspirin", "aspirin_within_14_days"),
            ("kidney_disease", "kidney_disease"),
        ] {
            assert_eq!(normalize_condition(said), code, "{said}");
        }
        let c = parse_conditions(&["Breastfeeding".into(), "lactation".into()], &known()).unwrap();
        assert_eq!(c, ["lactation"]);
        assert_eq!(condition_label("lactation"), "Breast-feeding (lactation)");
        assert_eq!(
            condition_label("hyaluronic_acid_allergy"),
            "Hyaluronic acid allergy"
        );
    }

    #[test]
    fn anticoagulants_stop_a_treatment_like_aspirin() {
        let none: Vec<String> = Vec::new();
        let products = [Screened {
            product_id: "p",
            name: "Needle",
            ingredients: &none,
        }];
        let found = screen(&["anticoagulants".into()], &products, &builtin_rules());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ingredient, "any");
        assert!(found[0].message.contains("anticoagulant"));
    }

    #[test]
    fn ingredients_no_rule_knows_are_warned_about() {
        let mut rules = builtin_rules();
        rules.push(Rule {
            target: Target::Ingredient("procaine".into()),
            condition: "procaine_allergy".into(),
            message: "allergy".into(),
        });
        let warned = unknown_ingredients(
            &["MMST".into(), "procaine".into(), "organic silicone".into()],
            &rules,
        );
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(warned[0].contains("organic silicone"));
    }
}
