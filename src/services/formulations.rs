//! Cocktails (versioned) and contraindication screening, with the clinic's own rules.

use super::audit::{self, Subject};
use super::Actor;
use crate::db::formulations::{self, FormulationVersion, NewVersion};
use crate::db::products::{self, Product};
use crate::db::rules::{self, ClinicRule};
use crate::db::{self, Conn};
use crate::domain::formulation::ValidFormulation;
use crate::domain::ids::{ClinicId, FormulationId};
use crate::domain::product::normalize_ingredient;
use crate::domain::requests::{FormulationInput, RuleInput, RulePatch};
use crate::domain::role::Action;
use crate::domain::screening::{
    builtin_rules, condition_label, normalize_condition, parse_conditions, screen,
    unknown_ingredients, Contraindication, Rule, Screened, Target, BUILTIN_CONDITIONS,
};
use crate::domain::{quantity, required_text, Checks};
use crate::error::{AppError, AppResult};

pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    input: FormulationInput,
) -> AppResult<FormulationVersion> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let valid = validate(conn, &clinic, input)?;
    let id = FormulationId::generate();
    db::write_tx(conn, |conn| {
        save_version(conn, actor, &clinic, &id, &valid, 1)?;
        let created = get_in(conn, &clinic, &id, None)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "formulation", &id, "create"),
            None::<&()>,
            Some(&created),
        )?;
        Ok(created)
    })
}

/// Editing makes the next version; every earlier version stays as it was, so a session
/// always points at exactly what was planned.
pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: &FormulationId,
    input: FormulationInput,
) -> AppResult<FormulationVersion> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    if formulations::current_version(conn, &clinic, id)?.is_none() {
        return Err(AppError::not_found(format!("formulation {id}")));
    }
    let valid = validate(conn, &clinic, input)?;
    db::write_tx(conn, |conn| {
        // Concurrent edits take turns, each making the next version of what it sees.
        db::lock_key(conn, &format!("formulation:{clinic}:{id}"))?;
        let current = formulations::current_version(conn, &clinic, id)?
            .ok_or_else(|| AppError::not_found(format!("formulation {id}")))?;
        let before = get_in(conn, &clinic, id, None)?;
        save_version(conn, actor, &clinic, id, &valid, current + 1)?;
        let after = get_in(conn, &clinic, id, None)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "formulation", id, "new_version"),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

fn save_version(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    id: &str,
    v: &ValidFormulation,
    version: i64,
) -> AppResult<()> {
    formulations::insert_version(
        conn,
        &NewVersion {
            clinic_id: clinic,
            formulation_id: id,
            name: &v.name,
            method: v.method,
            areas: &v.areas,
            components: &v.components,
            created_by: &actor.staff_id,
        },
        version,
    )?;
    Ok(())
}

fn validate(
    conn: &mut Conn,
    clinic: &ClinicId,
    input: FormulationInput,
) -> AppResult<ValidFormulation> {
    let valid = ValidFormulation::try_from(input).map_err(AppError::Invalid)?;
    let mut c = Checks::new();
    for (i, (product_id, amount)) in valid.components.iter().enumerate() {
        match products::get(conn, clinic, product_id)? {
            None => c.fail(
                &format!("components[{i}].product_id"),
                format!("no product {product_id} in this clinic"),
            ),
            Some(p) => {
                let unit = p.stock_unit;
                if let Err(e) = quantity::in_unit(unit, *amount) {
                    c.fail(&format!("components[{i}].amount"), e);
                }
            }
        }
    }
    c.into_result().map_err(AppError::Invalid)?;
    Ok(valid)
}

pub fn get(
    conn: &mut Conn,
    actor: &Actor,
    id: &FormulationId,
    version: Option<i64>,
) -> AppResult<FormulationVersion> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    get_in(conn, clinic, id, version)
}

pub fn get_in(
    conn: &mut Conn,
    clinic: &ClinicId,
    id: &FormulationId,
    version: Option<i64>,
) -> AppResult<FormulationVersion> {
    formulations::get(conn, clinic, id, version)?.ok_or_else(|| match version {
        Some(v) => AppError::not_found(format!("version {v} of formulation {id}")),
        None => AppError::not_found(format!("formulation {id}")),
    })
}

/// Every version of a cocktail, newest first.
pub fn versions(
    conn: &mut Conn,
    actor: &Actor,
    id: &FormulationId,
) -> AppResult<Vec<FormulationVersion>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    let latest = get_in(conn, clinic, id, None)?.latest_version;
    (1..=latest)
        .rev()
        .map(|v| get_in(conn, clinic, id, Some(v)))
        .collect()
}

pub fn list(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<FormulationVersion>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    Ok(formulations::list_current(conn, clinic)?)
}

/// The built-in rules plus the clinic's active ones, and every condition they know. A
/// switched-off rule's condition stays known (a practitioner may still declare it; it
/// just warns of nothing), so turning a rule off never makes sessions fail with 422.
pub fn rules_of(conn: &mut Conn, clinic: &ClinicId) -> AppResult<(Vec<Rule>, Vec<String>)> {
    Ok(rules_from(&rules::list(conn, clinic)?))
}

/// The built-in rules and conditions with the clinic's own (`clinic`, as stored).
fn rules_from(clinic: &[ClinicRule]) -> (Vec<Rule>, Vec<String>) {
    let mut all = builtin_rules();
    let mut known: Vec<String> = BUILTIN_CONDITIONS
        .iter()
        .map(|k| k.code.to_string())
        .collect();
    for r in clinic {
        if !known.contains(&r.condition) {
            known.push(r.condition.clone());
        }
        if !r.active {
            continue;
        }
        let target = match (&r.ingredient, &r.product_id) {
            (Some(i), _) => Target::Ingredient(i.clone()),
            (None, Some(p)) => Target::Product(p.clone()),
            (None, None) => Target::Any,
        };
        all.push(Rule {
            target,
            condition: r.condition.clone(),
            message: r.message.clone(),
        });
    }
    (all, known)
}

/// A condition screening knows, as `GET /conditions` lists it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ConditionView {
    /// What `conditions` records, e.g. `lactation`.
    pub condition: String,
    /// In words, e.g. "Breast-feeding (lactation)".
    pub label: String,
    /// Other names accepted for it (`breastfeeding`), compared like the code: case,
    /// spaces, `-` and `_` do not matter.
    pub synonyms: Vec<String>,
    /// False for the clinic's own conditions (from its rules).
    pub builtin: bool,
}

/// Every condition a session's `conditions` may name: the built-in ones, then the
/// clinic's own.
pub fn conditions(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<ConditionView>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    let (_, known) = rules_of(conn, clinic)?;
    Ok(known
        .into_iter()
        .map(|code| {
            let builtin = BUILTIN_CONDITIONS.iter().find(|k| k.code == code);
            ConditionView {
                label: condition_label(&code),
                synonyms: builtin
                    .map(|k| k.synonyms.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default(),
                builtin: builtin.is_some(),
                condition: code,
            }
        })
        .collect())
}

/// Warnings for the ingredients of a product that no screening rule of the clinic knows.
pub fn ingredient_warnings(
    conn: &mut Conn,
    actor: &Actor,
    ingredients: &[String],
) -> AppResult<Vec<String>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    let (rules, _) = rules_of(conn, clinic)?;
    Ok(unknown_ingredients(ingredients, &rules))
}

/// Screens products against declared conditions: (normalised conditions, findings).
pub fn screen_products(
    conn: &mut Conn,
    clinic: &ClinicId,
    conditions: &[String],
    products: &[Product],
) -> AppResult<(Vec<String>, Vec<Contraindication>)> {
    screen_with(&rules::list(conn, clinic)?, conditions, products)
}

/// `screen_products` with the clinic's own rules already read (`db::catalogue`).
pub fn screen_with(
    clinic_rules: &[ClinicRule],
    conditions: &[String],
    products: &[Product],
) -> AppResult<(Vec<String>, Vec<Contraindication>)> {
    let (rules, known) = rules_from(clinic_rules);
    let conditions =
        parse_conditions(conditions, &known).map_err(|e| AppError::invalid("conditions", e))?;
    let screened: Vec<Screened<'_>> = products
        .iter()
        .map(|p| Screened {
            product_id: &p.id,
            name: &p.name,
            ingredients: &p.ingredients,
        })
        .collect();
    let found = screen(&conditions, &screened, &rules);
    Ok((conditions, found))
}

pub fn check(
    conn: &mut Conn,
    actor: &Actor,
    id: &FormulationId,
    conditions: &[String],
) -> AppResult<Vec<Contraindication>> {
    let clinic = actor.clinic_for(Action::Treat)?.clone();
    crate::domain::limits::list_len("conditions", conditions.len())?;
    let f = get_in(conn, &clinic, id, None)?;
    let mut used = Vec::new();
    for (product_id, _) in &f.components {
        used.push(crate::services::catalog::get_product_in(
            conn, &clinic, product_id,
        )?);
    }
    Ok(screen_products(conn, &clinic, conditions, &used)?.1)
}

pub fn create_rule(conn: &mut Conn, actor: &Actor, input: RuleInput) -> AppResult<ClinicRule> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let mut c = Checks::new();
    let condition = c.take("condition", condition_name(&input.condition));
    let message = c.take(
        "message",
        required_text(&input.message, crate::domain::limits::REASON),
    );
    let ingredient = input
        .ingredient
        .as_deref()
        .map(normalize_ingredient)
        .filter(|s| !s.is_empty());
    if let Some(i) = &ingredient {
        c.take(
            "ingredient",
            required_text(i, crate::domain::limits::INGREDIENT),
        );
    }
    if ingredient.is_some() && input.product_id.is_some() {
        c.fail("product_id", "give an ingredient or a product, not both");
    }
    if let Some(pid) = &input.product_id {
        if products::get(conn, &clinic, pid)?.is_none() {
            c.fail("product_id", format!("no product {pid} in this clinic"));
        }
    }
    c.into_result().map_err(AppError::Invalid)?;
    let (Some(condition), Some(message)) = (condition, message) else {
        return Err(AppError::invalid("body", "invalid rule"));
    };
    let now = db::now();
    let rule = ClinicRule {
        id: db::new_id(),
        clinic_id: clinic,
        ingredient,
        product_id: input.product_id,
        condition,
        message,
        active: input.active,
        created_at: now,
        updated_at: now,
    };
    db::write_tx(conn, |conn| {
        rules::insert(conn, &rule)?;
        audit::record(
            conn,
            actor,
            Subject::of(&rule.clinic_id, "rule", &rule.id, "create"),
            None::<&()>,
            Some(&rule),
        )
    })?;
    Ok(rule)
}

pub fn update_rule(
    conn: &mut Conn,
    actor: &Actor,
    id: &str,
    patch: RulePatch,
) -> AppResult<ClinicRule> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    let before =
        rules::get(conn, clinic, id)?.ok_or_else(|| AppError::not_found(format!("rule {id}")))?;
    let mut rule = before.clone();
    if let Some(m) = patch.message {
        rule.message = required_text(&m, crate::domain::limits::REASON)
            .map_err(|e| AppError::invalid("message", e))?;
    }
    if let Some(c) = patch.condition {
        rule.condition = condition_name(&c).map_err(|e| AppError::invalid("condition", e))?;
    }
    if let Some(a) = patch.active {
        rule.active = a;
    }
    rule.updated_at = db::now();
    db::write_tx(conn, |conn| {
        rules::update(conn, &rule)?;
        audit::record(
            conn,
            actor,
            Subject::of(clinic, "rule", &rule.id, "update"),
            Some(&before),
            Some(&rule),
        )
    })?;
    Ok(rule)
}

pub fn list_rules(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<ClinicRule>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    Ok(rules::list(conn, clinic)?)
}

fn condition_name(s: &str) -> Result<String, String> {
    let n = normalize_condition(s);
    if n.is_empty()
        || n.len() > crate::domain::limits::CONDITION
        || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err("a condition is a short name of letters, digits and underscores, e.g. hyaluronic_acid_allergy".into());
    }
    Ok(n)
}
