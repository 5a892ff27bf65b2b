//! Lots: receiving, reading, and status changes.

use crate::domain::ids::{LotId, ProductId, RecallCaseId, SessionId, SupplierId};
use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json, Query};
use super::fridges::{place_view, PlaceView};
use crate::db::lots::Lot;
use crate::db::sessions::LotUse;
use crate::domain::lot::{derived_state, LotStatus, StatusChange};
use crate::domain::product::StockUnit;
use crate::domain::requests::{LotPatch, LotQuery, ReasonInput, ReceiveInput, TraceQuery};
use crate::domain::treatment::SessionStatus;
use crate::error::AppResult;
use crate::services::cold_chain;
use crate::services::lots::{self, ProductLabels};
use crate::services::{today, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct LotView {
    pub id: LotId,
    pub product_id: ProductId,
    pub sku: String,
    pub product_name: String,
    pub lot_number: String,
    pub expires_on: NaiveDate,
    pub supplier_id: Option<SupplierId>,
    /// Containers received, all deliveries together.
    pub containers: i64,
    /// In the product's stock unit.
    pub received_quantity: Decimal,
    pub unit_cost: Decimal,
    /// Set by managers.
    pub status: LotStatus,
    pub status_reason: Option<String>,
    /// In the stock unit; the sum of the lot's movements.
    pub on_hand: Decimal,
    /// Derived: past its expiry date.
    pub expired: bool,
    /// Derived: nothing left.
    pub depleted: bool,
    /// Derived: may be used today (available, not expired, in stock).
    pub usable: bool,
    /// Why it may not be used, when it may not.
    pub blocked_reason: Option<String>,
    pub received_at: DateTime<Utc>,
}

impl LotView {
    /// The lot with its product's SKU and name from `labels` (`lots::product_labels`).
    pub fn new(l: Lot, labels: &ProductLabels) -> Self {
        let d = derived_state(l.status, l.expires_on, l.on_hand, today());
        let (sku, product_name) = labels.get(&l.product_id).cloned().unwrap_or_default();
        LotView {
            sku,
            product_name,
            expired: d.expired,
            depleted: d.depleted,
            usable: d.usable,
            blocked_reason: d.blocked_reason,
            id: l.id,
            product_id: l.product_id,
            lot_number: l.lot_number,
            expires_on: l.expires_on,
            supplier_id: l.supplier_id,
            containers: l.containers,
            received_quantity: l.received_quantity,
            unit_cost: l.unit_cost,
            status: l.status,
            status_reason: l.status_reason,
            on_hand: l.on_hand,
            received_at: l.received_at.and_utc(),
        }
    }
}

/// Receive a delivery: a new lot, or more of a lot already held (same number and expiry).
#[utoipa::path(tag = "lots", request_body = ReceiveInput,
    responses((status = 201, body = LotView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/lots")]
pub async fn receive(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<ReceiveInput>,
) -> AppResult<HttpResponse> {
    let view = run(&state, move |conn| {
        let lot = lots::receive_request(conn, &actor, body.0)?;
        labelled(conn, lot)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(tag = "lots", params(LotQuery), responses((status = 200, body = Vec<LotView>)), security(("bearer" = [])))]
#[get("/lots")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<LotQuery>,
) -> AppResult<HttpResponse> {
    let q = q.0;
    let all = run(&state, move |conn| {
        let all = lots::list_lots(
            conn,
            &actor,
            q.product_id,
            q.lot_number,
            q.status.as_deref(),
            q.expiring_within_days,
        )?;
        let labels = lots::product_labels(conn, &all)?;
        Ok(all
            .into_iter()
            .map(|l| LotView::new(l, &labels))
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(all))
}

#[utoipa::path(tag = "lots", params(("id" = String, Path)),
    responses((status = 200, body = LotDetailView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/lots/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<LotId>,
) -> AppResult<HttpResponse> {
    let (lot, cold) = run(&state, move |conn| {
        let lot = lots::get_lot(conn, &actor, &id)?;
        let cold = cold_chain::of_lot(conn, &lot.clinic_id, &lot.id)?;
        Ok((labelled(conn, lot)?, cold))
    })
    .await?;
    Ok(HttpResponse::Ok().json(LotDetailView {
        lot,
        cold_chain: ColdChainView::from(cold),
    }))
}

/// A lot with where it was kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotDetailView {
    #[serde(flatten)]
    pub lot: LotView,
    pub cold_chain: ColdChainView,
}

/// Where a lot was kept (oldest first) and the excursions it went through.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColdChainView {
    pub places: Vec<PlaceView>,
    pub excursions: Vec<LotExcursionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotExcursionView {
    pub id: String,
    pub fridge_id: String,
    pub fridge: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    #[schema(value_type = String, example = "11.5")]
    pub min_celsius: Decimal,
    #[schema(value_type = String, example = "14")]
    pub max_celsius: Decimal,
}

impl From<cold_chain::ColdChain> for ColdChainView {
    fn from(c: cold_chain::ColdChain) -> Self {
        ColdChainView {
            places: c
                .places
                .into_iter()
                .map(|(p, name)| place_view(p, name))
                .collect(),
            excursions: c
                .excursions
                .into_iter()
                .map(|(e, fridge)| LotExcursionView {
                    id: e.id,
                    fridge_id: e.fridge_id,
                    fridge,
                    started_at: e.started_at.and_utc(),
                    ended_at: e.ended_at.map(|t| t.and_utc()),
                    min_celsius: e.min_celsius,
                    max_celsius: e.max_celsius,
                })
                .collect(),
        }
    }
}

/// Correct a lot's number or expiry as typed at receipt (manager), with a reason; the
/// audit log keeps the old and new values.
#[utoipa::path(tag = "lots", params(("id" = String, Path)), request_body = LotPatch,
    responses((status = 200, body = LotView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[patch("/lots/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<LotId>,
    body: Json<LotPatch>,
) -> AppResult<HttpResponse> {
    let lot = run(&state, move |conn| {
        let lot = lots::correct(conn, &actor, &id, body.0)?;
        labelled(conn, lot)
    })
    .await?;
    Ok(HttpResponse::Ok().json(lot))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TracedSession {
    pub session_id: SessionId,
    pub performed_at: DateTime<Utc>,
    pub patient_ref: String,
    pub practitioner: String,
    /// `recorded` or `voided`.
    pub session_status: SessionStatus,
    /// Consumed from this lot, in the product's stock unit.
    pub quantity: Decimal,
}

impl From<LotUse> for TracedSession {
    fn from(u: LotUse) -> Self {
        TracedSession {
            session_id: u.session_id,
            performed_at: u.performed_at.and_utc(),
            patient_ref: u.patient_ref,
            practitioner: u.practitioner,
            session_status: u.status,
            quantity: u.quantity,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TraceView {
    pub lot: LotView,
    pub sessions: Vec<TracedSession>,
    /// Where the lot was kept and the excursions it went through.
    pub cold_chain: ColdChainView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecallView {
    #[serde(flatten)]
    pub lot: LotView,
    /// Sessions that used the lot (with patient codes), to contact.
    pub affected_sessions: Vec<TracedSession>,
    /// The recall case that tracks contacting each patient.
    pub recall_case_id: RecallCaseId,
}

/// Trace by the number printed on the box: every lot with that number (any product)
/// and the sessions that used it (manager, auditor).
#[utoipa::path(tag = "lots", params(TraceQuery), responses((status = 200, body = Vec<TraceView>)), security(("bearer" = [])))]
#[get("/trace")]
pub async fn trace_by_number(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<TraceQuery>,
) -> AppResult<HttpResponse> {
    let number = q.0.lot_number;
    let found = run(&state, move |conn| {
        let found = lots::trace_by_number(conn, &actor, &number)?;
        let labels = lots::product_labels(conn, found.iter().map(|(l, _)| l))?;
        found
            .into_iter()
            .map(|(lot, uses)| {
                let cold = cold_chain::of_lot(conn, &lot.clinic_id, &lot.id)?;
                Ok(TraceView {
                    lot: LotView::new(lot, &labels),
                    sessions: uses.into_iter().map(TracedSession::from).collect(),
                    cold_chain: ColdChainView::from(cold),
                })
            })
            .collect::<AppResult<Vec<_>>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Forward trace: every session that used the lot (manager, auditor).
#[utoipa::path(tag = "lots", params(("id" = String, Path)),
    responses((status = 200, body = TraceView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/lots/{id}/trace")]
pub async fn trace(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<LotId>,
) -> AppResult<HttpResponse> {
    let (lot, uses, cold) = run(&state, move |conn| {
        let (lot, uses) = lots::trace(conn, &actor, &id)?;
        let cold = cold_chain::of_lot(conn, &lot.clinic_id, &lot.id)?;
        Ok((labelled(conn, lot)?, uses, cold))
    })
    .await?;
    Ok(HttpResponse::Ok().json(TraceView {
        lot,
        sessions: uses.into_iter().map(TracedSession::from).collect(),
        cold_chain: ColdChainView::from(cold),
    }))
}

async fn change(
    state: web::Data<AppState>,
    actor: Actor,
    id: LotId,
    change: StatusChange,
    reason: String,
) -> AppResult<LotView> {
    run(&state, move |conn| {
        let lot = lots::change_status(conn, &actor, &id, change, &reason)?;
        labelled(conn, lot)
    })
    .await
}

/// One lot as the API shows it, its product's SKU and name read for it.
fn labelled(conn: &mut crate::db::Conn, lot: Lot) -> AppResult<LotView> {
    let labels = lots::product_labels(conn, [&lot])?;
    Ok(LotView::new(lot, &labels))
}

/// Put a lot aside: it may not be used until released.
#[utoipa::path(tag = "lots", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = LotView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/lots/{id}/quarantine")]
pub async fn quarantine(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<LotId>,
    body: Json<ReasonInput>,
) -> AppResult<HttpResponse> {
    let lot = change(
        state,
        actor,
        id.into_inner(),
        StatusChange::Quarantine,
        body.0.reason,
    )
    .await?;
    Ok(HttpResponse::Ok().json(lot))
}

/// Release a quarantined lot back into use.
#[utoipa::path(tag = "lots", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = LotView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/lots/{id}/release")]
pub async fn release(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<LotId>,
    body: Json<ReasonInput>,
) -> AppResult<HttpResponse> {
    let lot = change(
        state,
        actor,
        id.into_inner(),
        StatusChange::Release,
        body.0.reason,
    )
    .await?;
    Ok(HttpResponse::Ok().json(lot))
}

/// One lot's unusable stock thrown away by `POST /lots/waste-unusable`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WastedLine {
    pub lot_id: LotId,
    pub lot_number: String,
    pub product_id: ProductId,
    pub sku: String,
    /// Everything the lot had on hand, in the product's stock unit.
    #[schema(value_type = String, example = "4")]
    pub quantity: Decimal,
    pub stock_unit: StockUnit,
    /// Why it could not be used: `expired` or `recalled`.
    #[schema(example = "expired")]
    pub why: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WastedView {
    /// Empty when nothing expired or recalled was left.
    pub wasted: Vec<WastedLine>,
}

/// Waste every unit of the clinic's expired and recalled lots in one audited step (one
/// waste movement per lot). Quarantined lots are kept.
#[utoipa::path(tag = "lots", request_body = ReasonInput,
    responses((status = 200, body = WastedView)), security(("bearer" = [])))]
#[post("/lots/waste-unusable")]
pub async fn waste_unusable(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<ReasonInput>,
) -> AppResult<HttpResponse> {
    let reason = body.0.reason;
    let wasted = run(&state, move |conn| {
        lots::waste_unusable(conn, &actor, &reason)
    })
    .await?;
    Ok(HttpResponse::Ok().json(WastedView {
        wasted: wasted
            .into_iter()
            .map(|w| WastedLine {
                lot_id: w.lot.id,
                lot_number: w.lot.lot_number,
                product_id: w.product.id,
                sku: w.product.sku,
                quantity: w.quantity,
                stock_unit: w.product.stock_unit,
                why: w.why.to_string(),
            })
            .collect(),
    }))
}

/// Recall a lot: final; it is never used again. Answers the sessions that used it.
#[utoipa::path(tag = "lots", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = RecallView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/lots/{id}/recall")]
pub async fn recall(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<LotId>,
    body: Json<ReasonInput>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let reason = body.0.reason;
    let (lot, uses, case_id) = run(&state, move |conn| {
        let (lot, uses, case_id) = lots::recall(conn, &actor, &id, &reason)?;
        Ok((labelled(conn, lot)?, uses, case_id))
    })
    .await?;
    Ok(HttpResponse::Ok().json(RecallView {
        recall_case_id: case_id,
        lot,
        affected_sessions: uses.into_iter().map(TracedSession::from).collect(),
    }))
}
