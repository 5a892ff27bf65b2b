//! Contraindication rules: the built-in ones (read-only) and the clinic's own.

use crate::domain::ids::ProductId;
use actix_web::{get, patch, post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json};
use crate::db::rules::ClinicRule;
use crate::domain::requests::{RuleInput, RulePatch};
use crate::domain::screening::{builtin_rules, Target};
use crate::error::AppResult;
use crate::services::formulations::{self, ConditionView};
use crate::services::Actor;

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    /// Absent for built-in rules.
    pub id: Option<String>,
    pub builtin: bool,
    pub ingredient: Option<String>,
    pub product_id: Option<ProductId>,
    pub condition: String,
    pub message: String,
    pub active: bool,
}

impl From<ClinicRule> for RuleView {
    fn from(r: ClinicRule) -> Self {
        RuleView {
            id: Some(r.id),
            builtin: false,
            ingredient: r.ingredient,
            product_id: r.product_id,
            condition: r.condition,
            message: r.message,
            active: r.active,
        }
    }
}

/// Every condition screening knows, with its name in words and the other names it
/// accepts: the built-in ones, then the clinic's own (from its rules).
#[utoipa::path(tag = "screening",
    responses((status = 200, body = Vec<ConditionView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
#[get("/conditions")]
pub async fn conditions(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let all = run(&state, move |conn| formulations::conditions(conn, &actor)).await?;
    Ok(HttpResponse::Ok().json(all))
}

/// Every rule screening applies: built-in first, then the clinic's.
#[utoipa::path(tag = "screening", responses((status = 200, body = Vec<RuleView>)), security(("bearer" = [])))]
#[get("/contraindication-rules")]
pub async fn list(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let own = run(&state, move |conn| formulations::list_rules(conn, &actor)).await?;
    let mut all: Vec<RuleView> = builtin_rules()
        .into_iter()
        .map(|r| {
            let (ingredient, product_id) = match r.target {
                Target::Ingredient(i) => (Some(i), None),
                Target::Product(p) => (None, Some(p)),
                Target::Any => (None, None),
            };
            RuleView {
                id: None,
                builtin: true,
                ingredient,
                product_id,
                condition: r.condition,
                message: r.message,
                active: true,
            }
        })
        .collect();
    all.extend(own.into_iter().map(RuleView::from));
    Ok(HttpResponse::Ok().json(all))
}

#[utoipa::path(tag = "screening", request_body = RuleInput,
    responses((status = 201, body = RuleView), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/contraindication-rules")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<RuleInput>,
) -> AppResult<HttpResponse> {
    let r = run(&state, move |conn| {
        formulations::create_rule(conn, &actor, body.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(RuleView::from(r)))
}

#[utoipa::path(tag = "screening", params(("id" = String, Path)), request_body = RulePatch,
    responses((status = 200, body = RuleView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[patch("/contraindication-rules/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: Json<RulePatch>,
) -> AppResult<HttpResponse> {
    let r = run(&state, move |conn| {
        formulations::update_rule(conn, &actor, &id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RuleView::from(r)))
}
