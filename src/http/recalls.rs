//! Recall cases: who must be told about a recalled lot, and whether they were.

use crate::domain::ids::{LotId, RecallCaseId};
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json};
use crate::db::recalls::{RecallCase, RecallContact};
use crate::domain::recall::{ContactStatus, RecallCaseStatus};
use crate::domain::requests::{CloseCaseInput, ContactPatch};
use crate::error::AppResult;
use crate::services::{recalls, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    pub patient_ref: String,
    pub status: ContactStatus,
    pub note: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecallCaseView {
    pub id: RecallCaseId,
    pub lot_id: LotId,
    pub reason: String,
    pub status: RecallCaseStatus,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closing_note: Option<String>,
    pub pending: usize,
    pub contacts: Vec<ContactView>,
}

fn view(case: RecallCase, contacts: Vec<RecallContact>) -> RecallCaseView {
    RecallCaseView {
        pending: contacts
            .iter()
            .filter(|c| c.status == ContactStatus::Pending)
            .count(),
        contacts: contacts
            .into_iter()
            .map(|c| ContactView {
                id: c.id,
                patient_ref: c.patient_ref,
                status: c.status,
                note: c.note,
                updated_at: c.updated_at.map(|t| t.and_utc()),
            })
            .collect(),
        id: case.id,
        lot_id: case.lot_id,
        reason: case.reason,
        status: case.status,
        opened_at: case.opened_at.and_utc(),
        closed_at: case.closed_at.map(|t| t.and_utc()),
        closing_note: case.closing_note,
    }
}

#[utoipa::path(tag = "recalls", responses((status = 200, body = Vec<RecallCaseView>)), security(("bearer" = [])))]
#[get("/recalls")]
pub async fn list(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let cases = run(&state, move |conn| {
        let cases = recalls::list(conn, &actor)?;
        cases
            .into_iter()
            .map(|c| recalls::get(conn, &actor, &c.id))
            .collect::<AppResult<Vec<_>>>()
    })
    .await?;
    Ok(HttpResponse::Ok().json(
        cases
            .into_iter()
            .map(|(c, k)| view(c, k))
            .collect::<Vec<_>>(),
    ))
}

#[utoipa::path(tag = "recalls", params(("id" = String, Path)),
    responses((status = 200, body = RecallCaseView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/recalls/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<RecallCaseId>,
) -> AppResult<HttpResponse> {
    let (case, contacts) = run(&state, move |conn| recalls::get(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view(case, contacts)))
}

/// Record how a patient was (or could not be) told (manager).
#[utoipa::path(tag = "recalls", params(("id" = String, Path), ("contact_id" = String, Path)), request_body = ContactPatch,
    responses((status = 200, body = RecallCaseView), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[post("/recalls/{id}/contacts/{contact_id}")]
pub async fn contact(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(RecallCaseId, String)>,
    body: Json<ContactPatch>,
) -> AppResult<HttpResponse> {
    let (id, contact_id) = path.into_inner();
    let (case, contacts) = run(&state, move |conn| {
        recalls::update_contact(
            conn,
            &actor,
            &id,
            &contact_id,
            &body.0.status,
            body.0.note.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(case, contacts)))
}

/// Close the case: refused (409) while any patient is pending (manager).
#[utoipa::path(tag = "recalls", params(("id" = String, Path)), request_body = CloseCaseInput,
    responses((status = 200, body = RecallCaseView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/recalls/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<RecallCaseId>,
    body: Json<CloseCaseInput>,
) -> AppResult<HttpResponse> {
    let (case, contacts) = run(&state, move |conn| {
        recalls::close(conn, &actor, &id, body.0.note.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(view(case, contacts)))
}
