//! Forecast, reorder suggestions and alerts (manager).

use crate::domain::ids::{ProductId, SupplierId};
use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{run, AppState, Query};
use crate::domain::product::StockUnit;
use crate::domain::requests::ForecastQuery;
use crate::domain::stock::StockFlag;
use crate::error::AppResult;
use crate::services::{cold_chain, planning, stock, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct AtRiskLot {
    pub expires_on: NaiveDate,
    pub quantity: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastLine {
    pub product_id: ProductId,
    pub sku: String,
    pub name: String,
    pub stock_unit: StockUnit,
    /// Usable stock now.
    pub available: Decimal,
    /// Ordered, not yet received.
    pub incoming: Decimal,
    /// From planned course sessions and the courses' maintenance sessions (whole
    /// single-use containers), in what can be used: ml to 2 decimals, pieces whole.
    pub planned_use: Decimal,
    /// Unplanned use per day over the last 30 days, to 2 decimals.
    pub recent_daily_use: Decimal,
    /// Planned plus unplanned use over the horizon, rounded like `planned_use`.
    pub projected_use: Decimal,
    pub daily_use: Decimal,
    pub days_of_cover: Option<Decimal>,
    /// First day whose use cannot be met, if within the horizon.
    pub stock_out_on: Option<NaiveDate>,
    /// Usable stock that will expire before it is used.
    pub expiring_unused: Vec<AtRiskLot>,
}

#[utoipa::path(tag = "planning", params(ForecastQuery), responses((status = 200, body = Vec<ForecastLine>)), security(("bearer" = [])))]
#[get("/forecast")]
pub async fn forecast(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<ForecastQuery>,
) -> AppResult<HttpResponse> {
    let days = q.0.days.unwrap_or(30);
    let (outlook, lines) = run(&state, move |conn| planning::forecast(conn, &actor, days)).await?;
    let view: Vec<ForecastLine> = outlook
        .planned_products()
        .map(|p| p.product)
        .zip(lines)
        .map(|(p, f)| ForecastLine {
            product_id: p.id.clone(),
            sku: p.sku.clone(),
            name: p.name.clone(),
            stock_unit: p.stock_unit,
            available: f.available,
            incoming: f.incoming,
            planned_use: f.planned_use,
            recent_daily_use: f.recent_daily_use,
            projected_use: f.projection.use_ahead,
            daily_use: f.projection.daily_use,
            days_of_cover: f.projection.days_of_cover,
            stock_out_on: f.projection.stock_out_on,
            expiring_unused: f
                .expiring_unused
                .into_iter()
                .map(|(expires_on, quantity)| AtRiskLot {
                    expires_on,
                    quantity,
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionLine {
    pub product_id: ProductId,
    pub sku: String,
    pub name: String,
    pub containers: i64,
    pub unit_cost: Decimal,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierSuggestions {
    /// Absent for products without a preferred supplier.
    pub supplier_id: Option<SupplierId>,
    pub name: String,
    pub lines: Vec<SuggestionLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub suppliers: Vec<SupplierSuggestions>,
}

/// What to order now, per supplier, so nothing runs out within the lead time.
#[utoipa::path(tag = "planning", responses((status = 200, body = Suggestions)), security(("bearer" = [])))]
#[get("/reorder-suggestions")]
pub async fn reorder_suggestions(
    state: web::Data<AppState>,
    actor: Actor,
) -> AppResult<HttpResponse> {
    let groups = run(&state, move |conn| planning::suggestions(conn, &actor)).await?;
    let suppliers = groups
        .into_iter()
        .map(|(key, list)| SupplierSuggestions {
            name: key
                .as_ref()
                .map_or("no preferred supplier".to_string(), |k| k.1.clone()),
            supplier_id: key.map(|k| k.0),
            lines: list
                .into_iter()
                .map(|s| SuggestionLine {
                    product_id: s.product.id,
                    sku: s.product.sku,
                    name: s.product.name,
                    containers: s.containers,
                    unit_cost: s.product.unit_cost,
                    reason: s.reason,
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Suggestions { suppliers }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertLine {
    pub product_id: ProductId,
    pub sku: String,
    pub name: String,
    pub available: Decimal,
    pub flags: Vec<StockFlag>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Alerts {
    /// Counts per flag.
    pub low: usize,
    pub out: usize,
    pub expiring: usize,
    pub expired_stock: usize,
    pub recalled_stock: usize,
    pub reorder: usize,
    pub at_risk: usize,
    /// Every product with at least one flag.
    pub products: Vec<AlertLine>,
    /// Fridge excursions going on or ended in the last 7 days.
    pub excursions: i64,
    /// Fridges with no reading for 2 hours (a logger gone quiet).
    pub silent_fridges: Vec<SilentFridge>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SilentFridge {
    pub fridge_id: String,
    pub name: String,
    /// Null: it never reported.
    pub last_reading_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The stock view reduced to what needs attention.
#[utoipa::path(tag = "planning", responses((status = 200, body = Alerts)), security(("bearer" = [])))]
#[get("/alerts")]
pub async fn alerts(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let (lines, fridges) = run(&state, move |conn| {
        let lines = stock::stock(conn, &actor)?;
        let clinic = actor.clinic_for(crate::domain::role::Action::ReadStock)?;
        Ok((lines, cold_chain::alerts(conn, clinic)?))
    })
    .await?;
    let counts = stock::alert_counts(&lines);
    let alerts = Alerts {
        low: counts.low,
        out: counts.out,
        expiring: counts.expiring,
        expired_stock: counts.expired_stock,
        recalled_stock: counts.recalled_stock,
        reorder: counts.reorder,
        at_risk: counts.at_risk,
        products: lines
            .iter()
            .filter(|l| !l.flags.is_empty())
            .map(|l| AlertLine {
                product_id: l.product.id.clone(),
                sku: l.product.sku.clone(),
                name: l.product.name.clone(),
                available: l.available,
                flags: l.flags.clone(),
            })
            .collect(),
        excursions: fridges.excursions,
        silent_fridges: fridges
            .silent
            .into_iter()
            .map(|(fridge_id, name, at)| SilentFridge {
                fridge_id,
                name,
                last_reading_at: at.map(|t| t.and_utc()),
            })
            .collect(),
    };
    Ok(HttpResponse::Ok().json(alerts))
}
