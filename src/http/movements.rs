//! The stock ledger: read it, and record waste or an adjustment.

use crate::domain::ids::{LotId, ProductId, SessionId, StaffId};
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json, Query};
use crate::db::movements::{Movement, MovementFilter};
use crate::domain::ledger::MovementKind;
use crate::domain::requests::{MovementInput, MovementQuery};
use crate::error::AppResult;
use crate::services::ledger::{self};
use crate::services::optional_time;
use crate::services::Actor;

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    pub id: String,
    pub lot_id: LotId,
    pub product_id: ProductId,
    /// `receive`, `consume`, `waste`, `adjust` or `reversal`.
    pub kind: MovementKind,
    /// Signed, in the product's stock unit.
    pub quantity: Decimal,
    pub actor_id: StaffId,
    pub actor: String,
    pub reason: Option<String>,
    pub session_id: Option<SessionId>,
    pub reverses_id: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The serial (AI 21) of the scanned code this movement came from, if any.
    pub gs1_serial: Option<String>,
    /// That code as scanned.
    pub gs1_raw: Option<String>,
}

impl From<(Movement, String)> for MovementView {
    fn from((m, actor): (Movement, String)) -> Self {
        MovementView {
            id: m.id,
            lot_id: m.lot_id,
            product_id: m.product_id,
            kind: m.kind,
            quantity: m.quantity,
            actor_id: m.actor_id,
            actor,
            reason: m.reason,
            session_id: m.session_id,
            reverses_id: m.reverses_id,
            created_at: m.created_at.and_utc(),
            gs1_serial: m.gs1_serial,
            gs1_raw: m.gs1_raw,
        }
    }
}

/// Ledger rows, oldest first (manager, auditor).
#[utoipa::path(tag = "ledger", params(MovementQuery), responses((status = 200, body = Vec<MovementView>)), security(("bearer" = [])))]
#[get("/movements")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<MovementQuery>,
) -> AppResult<HttpResponse> {
    let q = q.0;
    let filter = MovementFilter {
        lot_id: q.lot_id,
        session_id: q.session_id,
        from: optional_time("from", q.from.as_deref())?,
        to: optional_time("to", q.to.as_deref())?,
        limit: Some(q.limit.unwrap_or(10_000).clamp(1, 100_000)),
    };
    let rows = run(&state, move |conn| {
        ledger::list_movements(conn, &actor, filter)
    })
    .await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(MovementView::from).collect::<Vec<_>>()))
}

/// Record waste (positive amount thrown away) or a signed adjustment, with a reason.
#[utoipa::path(tag = "ledger", request_body = MovementInput,
    responses((status = 201, body = MovementView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/movements")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<MovementInput>,
) -> AppResult<HttpResponse> {
    let name = actor.name.clone();
    let m = run(&state, move |conn| {
        ledger::record_manual(conn, &actor, body.0)
    })
    .await?;
    Ok(HttpResponse::Created().json(MovementView::from((m, name))))
}
