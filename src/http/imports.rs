//! CSV imports (manager): all rows or none; a 422 lists every bad row by line.

use actix_web::{post, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState};
use crate::error::AppResult;
use crate::services::{imports, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub imported: usize,
}

/// Columns: sku,name,kind,ingredients,gtin,stock_unit,content,single_use,beyond_use_days,
/// storage,reorder_point,reorder_quantity,supplier,unit_cost (ingredients split by `;`).
#[utoipa::path(tag = "imports", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Imported), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/imports/products")]
pub async fn products(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let n = run(&state, move |conn| {
        imports::import_products(conn, &actor, &body, &mut |_| {})
    })
    .await?;
    Ok(HttpResponse::Created().json(Imported { imported: n }))
}

/// Columns: sku,lot_number,expires_on,containers,unit_cost,supplier.
#[utoipa::path(tag = "imports", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = Imported), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/imports/lots")]
pub async fn lots(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let n = run(&state, move |conn| {
        imports::import_lots(conn, &actor, &body, &mut |_| {})
    })
    .await?;
    Ok(HttpResponse::Created().json(Imported { imported: n }))
}
