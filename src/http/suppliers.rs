//! Suppliers.

use crate::domain::ids::SupplierId;
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json, Query};
use crate::db::suppliers::Supplier;
use crate::domain::requests::{ArchivedQuery, SupplierInput, SupplierPatch};
use crate::error::AppResult;
use crate::services::catalog::{self};
use crate::services::Actor;

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierView {
    pub id: SupplierId,
    pub name: String,
    pub email: Option<String>,
    pub lead_time_days: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Hidden from the list (unless asked for), pickers and orders.
    pub archived: bool,
}

impl From<Supplier> for SupplierView {
    fn from(s: Supplier) -> Self {
        SupplierView {
            id: s.id,
            name: s.name,
            email: s.email,
            lead_time_days: s.lead_time_days,
            created_at: s.created_at.and_utc(),
            updated_at: s.updated_at.and_utc(),
            archived: s.archived,
        }
    }
}

#[utoipa::path(tag = "catalog", request_body = SupplierInput,
    responses((status = 201, body = SupplierView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/suppliers")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<SupplierInput>,
) -> AppResult<HttpResponse> {
    let s = run(&state, move |conn| {
        catalog::create_supplier(conn, &actor, body.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(SupplierView::from(s)))
}

#[utoipa::path(tag = "catalog", params(ArchivedQuery), responses((status = 200, body = Vec<SupplierView>)), security(("bearer" = [])))]
#[get("/suppliers")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<ArchivedQuery>,
) -> AppResult<HttpResponse> {
    let archived = q.0.archived.unwrap_or(false);
    let all = run(&state, move |conn| {
        catalog::list_suppliers(conn, &actor, Some(archived))
    })
    .await?;
    Ok(HttpResponse::Ok().json(all.into_iter().map(SupplierView::from).collect::<Vec<_>>()))
}

#[utoipa::path(tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = SupplierView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/suppliers/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<SupplierId>,
) -> AppResult<HttpResponse> {
    let s = run(&state, move |conn| catalog::get_supplier(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(SupplierView::from(s)))
}

#[utoipa::path(tag = "catalog", params(("id" = String, Path)), request_body = SupplierPatch,
    responses((status = 200, body = SupplierView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[patch("/suppliers/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<SupplierId>,
    body: Json<SupplierPatch>,
) -> AppResult<HttpResponse> {
    let s = run(&state, move |conn| {
        catalog::update_supplier(conn, &actor, &id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SupplierView::from(s)))
}
