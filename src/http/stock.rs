//! The stock view: per product, what is on hand, what may be used, and what needs a look.

use crate::domain::ids::ProductId;
use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{run, AppState};
use crate::domain::product::StockUnit;
use crate::domain::stock::StockFlag;
use crate::error::AppResult;
use crate::services::{stock, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct StockLineView {
    pub product_id: ProductId,
    pub sku: String,
    pub name: String,
    pub stock_unit: StockUnit,
    /// Everything on the shelf, usable or not.
    pub on_hand: Decimal,
    /// What may be used: not expired, quarantined or recalled.
    pub available: Decimal,
    pub reorder_point: Decimal,
    /// Earliest expiry among usable lots with stock.
    pub next_expiry: Option<NaiveDate>,
    /// Expired units still on the shelf.
    pub expired_on_hand: Decimal,
    /// Units of recalled lots still on the shelf.
    pub recalled_on_hand: Decimal,
    /// Usable stock the forecast will not use before it expires.
    pub at_risk: Decimal,
    pub flags: Vec<StockFlag>,
}

#[utoipa::path(tag = "stock", responses((status = 200, body = Vec<StockLineView>)), security(("bearer" = [])))]
#[get("/stock")]
pub async fn list(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let lines = run(&state, move |conn| stock::stock(conn, &actor)).await?;
    let view: Vec<StockLineView> = lines
        .into_iter()
        .map(|l| StockLineView {
            product_id: l.product.id,
            sku: l.product.sku,
            name: l.product.name,
            stock_unit: l.product.stock_unit,
            on_hand: l.on_hand,
            available: l.available,
            reorder_point: l.product.reorder_point,
            next_expiry: l.next_expiry,
            expired_on_hand: l.expired_on_hand,
            recalled_on_hand: l.recalled_on_hand,
            at_risk: l.at_risk,
            flags: l.flags,
        })
        .collect();
    Ok(HttpResponse::Ok().json(view))
}
