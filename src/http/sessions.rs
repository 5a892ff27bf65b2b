//! Treatment sessions: log (idempotently), read, list, void.

use crate::domain::ids::{FormulationId, LotId, ProductId, SessionId, StaffId};
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, IdempotencyKey, Json, JsonValue, Query};
use crate::db::sessions::SessionFilter;
use crate::domain::requests::{CreateQuery, ReasonInput, SessionInput, SessionQuery};
use crate::domain::screening::Contraindication;
use crate::domain::treatment::{Area, Method, SessionStatus};
use crate::error::AppResult;
use crate::services::optional_time;
use crate::services::sessions::{self, Idempotency, SessionDetail};
use crate::services::Actor;

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    pub product_id: ProductId,
    pub sku: String,
    pub lot_id: LotId,
    pub lot_number: String,
    pub expires_on: NaiveDate,
    /// Consumed, in the product's stock unit.
    pub quantity: Decimal,
    /// Discarded with it (the rest of a single-use container).
    pub wasted: Decimal,
    /// The serial (AI 21) of the code this lot was scanned from, if any.
    pub gs1_serial: Option<String>,
    /// That code as scanned (the first, when several named this lot).
    pub gs1_raw: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub product_id: ProductId,
    /// From the formulation; absent when the session had none.
    pub planned: Option<Decimal>,
    pub actual: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: SessionId,
    pub patient_ref: String,
    pub practitioner_id: StaffId,
    pub practitioner: String,
    pub performed_at: DateTime<Utc>,
    pub area: Area,
    pub method: Method,
    pub formulation_id: Option<FormulationId>,
    pub formulation_version: Option<i64>,
    pub conditions: Vec<String>,
    /// What screening found; present only when overridden.
    pub contraindications: Vec<Contraindication>,
    pub override_reason: Option<String>,
    /// Why the cocktail was used on an area it is not for.
    pub area_override_reason: Option<String>,
    /// `recorded` or `voided`.
    pub status: SessionStatus,
    pub void_reason: Option<String>,
    pub voided_at: Option<DateTime<Utc>>,
    pub usage: Vec<UsageView>,
    pub lines: Vec<LineView>,
    pub created_at: DateTime<Utc>,
}

impl From<SessionDetail> for SessionView {
    fn from(d: SessionDetail) -> Self {
        let s = d.session;
        SessionView {
            id: s.id,
            patient_ref: s.patient_ref,
            practitioner_id: s.practitioner_id,
            practitioner: d.practitioner,
            performed_at: s.performed_at.and_utc(),
            area: s.area,
            method: s.method,
            formulation_id: s.formulation_id,
            formulation_version: s.formulation_version,
            conditions: d.conditions,
            contraindications: d.contraindications,
            override_reason: s.override_reason,
            area_override_reason: s.area_override_reason,
            status: s.status,
            void_reason: s.void_reason,
            voided_at: s.voided_at.map(|t| t.and_utc()),
            usage: d
                .usage
                .into_iter()
                .map(|u| UsageView {
                    product_id: u.product_id,
                    sku: u.sku,
                    lot_id: u.lot_id,
                    lot_number: u.lot_number,
                    expires_on: u.expires_on,
                    quantity: u.quantity,
                    wasted: u.wasted,
                    gs1_serial: u.gs1_serial,
                    gs1_raw: u.gs1_raw,
                })
                .collect(),
            lines: d
                .lines
                .into_iter()
                .map(|l| LineView {
                    product_id: l.product_id,
                    planned: l.planned,
                    actual: l.actual,
                })
                .collect(),
            created_at: s.created_at.and_utc(),
        }
    }
}

/// What a session would do (`?dry_run=true`): nothing is written.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    /// False when screening found a contraindication and no `override_reason` was given.
    pub ok: bool,
    pub contraindications: Vec<Contraindication>,
    /// The lots that would be used, first-expiry-first-out unless named.
    pub usage: Vec<UsageView>,
    pub lines: Vec<LineView>,
}

/// Log a session. With the same `Idempotency-Key` and body, a retry answers the first
/// session and records nothing; the same key with another body is a 409. With
/// `?dry_run=true`, answers the plan with 200 and writes nothing.
#[utoipa::path(tag = "sessions", request_body = SessionInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "makes retries safe"), CreateQuery),
    responses((status = 201, body = SessionView), (status = 200, body = PlanView, description = "dry run"), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/sessions")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    body: JsonValue<SessionInput>,
    q: Query<CreateQuery>,
) -> AppResult<HttpResponse> {
    if q.0.dry_run == Some(true) {
        let plan = run(&state, move |conn| {
            sessions::dry_run(conn, &actor, body.body)
        })
        .await?;
        let view = SessionView::from(plan.detail);
        return Ok(HttpResponse::Ok().json(PlanView {
            ok: plan.ok,
            contraindications: plan.contraindications,
            usage: view.usage,
            lines: view.lines,
        }));
    }
    let idempotency = key.0.map(|k| Idempotency::new(k, &body.value));
    let writer = state.writer.clone();
    let logged = run(&state, move |conn| {
        sessions::log(conn, &writer, &actor, body.body, idempotency)
    })
    .await?;
    let mut res = HttpResponse::Created();
    if logged.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(SessionView::from(logged.detail)))
}

#[utoipa::path(tag = "sessions", params(("id" = String, Path)),
    responses((status = 200, body = SessionView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/sessions/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<SessionId>,
) -> AppResult<HttpResponse> {
    let d = run(&state, move |conn| sessions::get(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(SessionView::from(d)))
}

#[utoipa::path(tag = "sessions", params(SessionQuery), responses((status = 200, body = Vec<SessionView>)), security(("bearer" = [])))]
#[get("/sessions")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<SessionQuery>,
) -> AppResult<HttpResponse> {
    let q = q.0;
    let filter = SessionFilter {
        patient_ref: q.patient_ref,
        from: optional_time("from", q.from.as_deref())?,
        to: optional_time("to", q.to.as_deref())?,
        limit: q.limit.unwrap_or(200).clamp(1, 1000),
    };
    let all = run(&state, move |conn| sessions::list(conn, &actor, filter)).await?;
    Ok(HttpResponse::Ok().json(all.into_iter().map(SessionView::from).collect::<Vec<_>>()))
}

/// Void a session (manager): its movements are reversed by new ones; nothing is deleted.
#[utoipa::path(tag = "sessions", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = SessionView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/sessions/{id}/void")]
pub async fn void(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<SessionId>,
    body: Json<ReasonInput>,
) -> AppResult<HttpResponse> {
    let d = run(&state, move |conn| {
        sessions::void(conn, &actor, &id, &body.0.reason)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SessionView::from(d)))
}
