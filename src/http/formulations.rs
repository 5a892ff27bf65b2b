//! Cocktails: create, new versions, read, and screen a patient against one.

use crate::domain::ids::{FormulationId, ProductId};
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json, Query};
use crate::db::formulations::FormulationVersion;
use crate::domain::requests::{CheckInput, FormulationInput, VersionQuery};
use crate::domain::screening::Contraindication;
use crate::domain::treatment::{Area, Method};
use crate::error::AppResult;
use crate::services::{formulations, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentView {
    pub product_id: ProductId,
    pub sku: String,
    pub product_name: String,
    pub amount: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormulationView {
    pub id: FormulationId,
    pub version: i64,
    pub latest_version: i64,
    pub name: String,
    pub method: Method,
    pub areas: Vec<Area>,
    pub components: Vec<ComponentView>,
    pub created_at: DateTime<Utc>,
}

impl From<FormulationVersion> for FormulationView {
    fn from(f: FormulationVersion) -> Self {
        FormulationView {
            id: f.formulation_id,
            version: f.version,
            latest_version: f.latest_version,
            name: f.name,
            method: f.method,
            areas: f.areas,
            components: f
                .components
                .into_iter()
                .zip(f.component_labels)
                .map(
                    |((product_id, amount), (sku, product_name))| ComponentView {
                        product_id,
                        sku,
                        product_name,
                        amount,
                    },
                )
                .collect(),
            created_at: f.created_at.and_utc(),
        }
    }
}

#[utoipa::path(tag = "formulations", request_body = FormulationInput,
    responses((status = 201, body = FormulationView), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/formulations")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<FormulationInput>,
) -> AppResult<HttpResponse> {
    let f = run(&state, move |conn| {
        formulations::create(conn, &actor, body.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(FormulationView::from(f)))
}

/// Edit a cocktail: answers the new version; earlier versions never change.
#[utoipa::path(tag = "formulations", params(("id" = String, Path)), request_body = FormulationInput,
    responses((status = 200, body = FormulationView), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[put("/formulations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<FormulationId>,
    body: Json<FormulationInput>,
) -> AppResult<HttpResponse> {
    let f = run(&state, move |conn| {
        formulations::update(conn, &actor, &id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(FormulationView::from(f)))
}

#[utoipa::path(tag = "formulations", params(("id" = String, Path), VersionQuery),
    responses((status = 200, body = FormulationView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/formulations/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<FormulationId>,
    q: Query<VersionQuery>,
) -> AppResult<HttpResponse> {
    let version = q.0.version;
    let f = run(&state, move |conn| {
        formulations::get(conn, &actor, &id, version)
    })
    .await?;
    Ok(HttpResponse::Ok().json(FormulationView::from(f)))
}

#[utoipa::path(tag = "formulations", responses((status = 200, body = Vec<FormulationView>)), security(("bearer" = [])))]
#[get("/formulations")]
pub async fn list(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let all = run(&state, move |conn| formulations::list(conn, &actor)).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(FormulationView::from)
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckAnswer {
    pub ok: bool,
    pub contraindications: Vec<Contraindication>,
}

/// Screen a patient's conditions against the cocktail's current version.
#[utoipa::path(tag = "formulations", params(("id" = String, Path)), request_body = CheckInput,
    responses((status = 200, body = CheckAnswer), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/formulations/{id}/check")]
pub async fn check(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<FormulationId>,
    body: Json<CheckInput>,
) -> AppResult<HttpResponse> {
    let found = run(&state, move |conn| {
        formulations::check(conn, &actor, &id, &body.0.conditions)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CheckAnswer {
        ok: found.is_empty(),
        contraindications: found,
    }))
}
