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

/// Columns: sku,lot_number,expires_on,containers,unit_cost,supplier,received_at,fridge
/// (`fridge` by name: where a refrigerated product goes once the clinic has a fridge).
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingsImported {
    /// Rows of the file.
    pub imported: usize,
    /// Readings new to the fridges (one already stored at that time is kept once).
    pub stored: usize,
    /// The excursions these readings are part of; their lots are quarantined.
    pub excursions: Vec<super::fridges::ExcursionView>,
}

/// Columns: fridge,at,celsius (fridge by name, `at` RFC 3339, celsius a decimal). A
/// year of minute readings is over the 16 MB body limit: use `mesoledger import readings`.
#[utoipa::path(tag = "imports", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ReadingsImported), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/imports/readings")]
pub async fn readings(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let answer = run(&state, move |conn| {
        let done = imports::import_readings(conn, &actor, &body, &mut |_| {})?;
        Ok(ReadingsImported {
            imported: done.rows,
            stored: done.stored.stored,
            excursions: super::fridges::with_lots(done.stored.excursions),
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(answer))
}
