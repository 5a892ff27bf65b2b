//! Purchase orders (manager): from suggestions or by hand; CSV for the supplier;
//! receiving creates the lots.

use crate::domain::ids::{ProductId, PurchaseOrderId, SupplierId};
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json};
use crate::db::orders::{OrderLine, PurchaseOrder};
use crate::domain::order::PurchaseOrderStatus;
use crate::domain::requests::{OrderInput, OrderPatch, ReasonInput, ReceiptInput};
use crate::error::AppResult;
use crate::services::orders::{self};
use crate::services::Actor;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineView {
    pub product_id: ProductId,
    pub sku: String,
    /// The product's name, as in the other views (same as `name`).
    pub product_name: String,
    pub gtin: Option<String>,
    pub name: String,
    pub containers: i64,
    pub unit_cost: Decimal,
    pub line_total: Decimal,
    pub received_containers: i64,
    /// Why it was suggested.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: PurchaseOrderId,
    pub supplier_id: SupplierId,
    /// `draft`, `sent`, `partially_received`, `received` or `cancelled`.
    pub status: PurchaseOrderStatus,
    pub lines: Vec<OrderLineView>,
    pub total: Decimal,
    /// Why it was cancelled, when it was.
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn view((o, lines): (PurchaseOrder, Vec<OrderLine>)) -> OrderView {
    OrderView {
        total: lines
            .iter()
            .map(OrderLine::total)
            .sum::<Decimal>()
            .normalize(),
        lines: lines
            .into_iter()
            .map(|l| OrderLineView {
                line_total: l.total(),
                product_id: l.product_id,
                sku: l.sku,
                gtin: l.gtin,
                product_name: l.name.clone(),
                name: l.name,
                containers: l.containers,
                unit_cost: l.unit_cost,
                received_containers: l.received_containers,
                reason: l.reason,
            })
            .collect(),
        id: o.id,
        supplier_id: o.supplier_id,
        status: o.status,
        cancel_reason: o.cancel_reason,
        created_at: o.created_at.and_utc(),
    }
}

#[utoipa::path(tag = "orders", request_body = OrderInput,
    responses((status = 201, body = OrderView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/purchase-orders")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<OrderInput>,
) -> AppResult<HttpResponse> {
    let o = run(&state, move |conn| orders::create(conn, &actor, body.0)).await?;
    Ok(HttpResponse::Created().json(view(o)))
}

#[utoipa::path(tag = "orders", responses((status = 200, body = Vec<OrderView>)), security(("bearer" = [])))]
#[get("/purchase-orders")]
pub async fn list(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let all = run(&state, move |conn| {
        let list = orders::list(conn, &actor)?;
        list.into_iter()
            .map(|o| orders::get(conn, &actor, &o.id))
            .collect::<AppResult<Vec<_>>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(all.into_iter().map(view).collect::<Vec<_>>()))
}

/// What the supplier gets: sku, GTIN, name, containers, unit cost, line total, and a
/// TOTAL row.
#[utoipa::path(tag = "orders", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[get("/purchase-orders/{id}.csv")]
pub async fn csv(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<PurchaseOrderId>,
) -> AppResult<HttpResponse> {
    let (order, bytes) = run(&state, move |conn| orders::supplier_csv(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"order-{}.csv\"", order.id),
        ))
        .body(bytes))
}

#[utoipa::path(tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/purchase-orders/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<PurchaseOrderId>,
) -> AppResult<HttpResponse> {
    let o = run(&state, move |conn| orders::get(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view(o)))
}

/// Replace a draft's lines; a sent order is a 409.
#[utoipa::path(tag = "orders", params(("id" = String, Path)), request_body = OrderPatch,
    responses((status = 200, body = OrderView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[patch("/purchase-orders/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<PurchaseOrderId>,
    body: Json<OrderPatch>,
) -> AppResult<HttpResponse> {
    let o = run(&state, move |conn| {
        orders::update(conn, &actor, &id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(o)))
}

/// Cancel an order nothing was received on (draft or sent): it is no longer on order.
#[utoipa::path(tag = "orders", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = OrderView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/purchase-orders/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<PurchaseOrderId>,
    body: Json<ReasonInput>,
) -> AppResult<HttpResponse> {
    let o = run(&state, move |conn| {
        orders::cancel(conn, &actor, &id, &body.0.reason)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(o)))
}

/// Mark a draft as sent to the supplier.
#[utoipa::path(tag = "orders", params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/purchase-orders/{id}/send")]
pub async fn send(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<PurchaseOrderId>,
) -> AppResult<HttpResponse> {
    let o = run(&state, move |conn| orders::send(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view(o)))
}

/// Receive delivered boxes (by ids or scanned codes): creates or tops up their lots.
#[utoipa::path(tag = "orders", params(("id" = String, Path)), request_body = ReceiptInput,
    responses((status = 200, body = OrderView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/purchase-orders/{id}/receive")]
pub async fn receive(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<PurchaseOrderId>,
    body: Json<ReceiptInput>,
) -> AppResult<HttpResponse> {
    let o = run(&state, move |conn| {
        orders::receive(conn, &actor, &id, body.0)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(o)))
}
