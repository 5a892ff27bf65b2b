//! The product catalog.

use crate::domain::ids::{ProductId, SupplierId};
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json, Query};
use crate::db::products::Product;
use crate::domain::product::{ProductKind, StockUnit, Storage};
use crate::domain::requests::{ArchivedQuery, ProductInput, ProductPatch};
use crate::error::AppResult;
use crate::services::catalog::{self};
use crate::services::formulations;
use crate::services::Actor;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub kind: ProductKind,
    pub ingredients: Vec<String>,
    /// GTIN-14.
    pub gtin: Option<String>,
    pub stock_unit: StockUnit,
    /// ml per container for liquids; pieces per box otherwise.
    pub content: Decimal,
    pub single_use: bool,
    pub beyond_use_days: Option<i64>,
    pub storage: Storage,
    pub reorder_point: Decimal,
    pub reorder_quantity: i64,
    pub supplier_id: Option<SupplierId>,
    pub unit_cost: Decimal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Hidden from the lists (unless asked for), pickers, suggestions and the forecast.
    pub archived: bool,
    /// In the answers to create and update only: the ingredients screening knows of no
    /// rule for (a misspelling would let a patient's screening miss them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        ProductView {
            id: p.id,
            sku: p.sku,
            name: p.name,
            kind: p.kind,
            ingredients: p.ingredients,
            gtin: p.gtin,
            stock_unit: p.stock_unit,
            content: p.content,
            single_use: p.single_use,
            beyond_use_days: p.beyond_use_days,
            storage: p.storage,
            reorder_point: p.reorder_point,
            reorder_quantity: p.reorder_quantity,
            supplier_id: p.supplier_id,
            unit_cost: p.unit_cost,
            created_at: p.created_at.and_utc(),
            updated_at: p.updated_at.and_utc(),
            archived: p.archived,
            warnings: Vec::new(),
        }
    }
}

#[utoipa::path(tag = "catalog", request_body = ProductInput,
    responses((status = 201, body = ProductView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/products")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<ProductInput>,
) -> AppResult<HttpResponse> {
    let (p, warnings) = run(&state, move |conn| {
        let p = catalog::create_product(conn, &actor, body.0)?;
        let warnings = formulations::ingredient_warnings(conn, &actor, &p.ingredients)?;
        Ok((p, warnings))
    })
    .await?;
    Ok(HttpResponse::Created().json(ProductView {
        warnings,
        ..ProductView::from(p)
    }))
}

#[utoipa::path(tag = "catalog", params(ArchivedQuery), responses((status = 200, body = Vec<ProductView>)), security(("bearer" = [])))]
#[get("/products")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<ArchivedQuery>,
) -> AppResult<HttpResponse> {
    let archived = q.0.archived.unwrap_or(false);
    let all = run(&state, move |conn| {
        catalog::list_products(conn, &actor, Some(archived))
    })
    .await?;
    Ok(HttpResponse::Ok().json(all.into_iter().map(ProductView::from).collect::<Vec<_>>()))
}

#[utoipa::path(tag = "catalog", params(("id" = String, Path)),
    responses((status = 200, body = ProductView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/products/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<ProductId>,
) -> AppResult<HttpResponse> {
    let p = run(&state, move |conn| catalog::get_product(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(ProductView::from(p)))
}

#[utoipa::path(tag = "catalog", params(("id" = String, Path)), request_body = ProductPatch,
    responses((status = 200, body = ProductView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[patch("/products/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<ProductId>,
    body: Json<ProductPatch>,
) -> AppResult<HttpResponse> {
    let (p, warnings) = run(&state, move |conn| {
        let p = catalog::update_product(conn, &actor, &id, body.0)?;
        let warnings = formulations::ingredient_warnings(conn, &actor, &p.ingredients)?;
        Ok((p, warnings))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ProductView {
        warnings,
        ..ProductView::from(p)
    }))
}
