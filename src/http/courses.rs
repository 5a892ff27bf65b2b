//! Planned treatment courses.

use crate::domain::course::CourseStatus;
use crate::domain::ids::{CourseId, FormulationId, SessionId};
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json, Query};
use crate::db::courses::{Course, PlannedSession};
use crate::domain::requests::{CourseInput, CourseQuery};
use crate::error::AppResult;
use crate::services::courses::{self};
use crate::services::Actor;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedView {
    pub date: NaiveDate,
    /// The session that fulfilled it, once logged.
    pub session_id: Option<SessionId>,
    pub done: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseView {
    pub id: CourseId,
    pub patient_ref: String,
    pub formulation_id: FormulationId,
    pub area: String,
    pub start_on: NaiveDate,
    pub sessions: i64,
    pub interval_days: i64,
    /// Days between maintenance sessions after the last planned one (0: none).
    pub maintenance_every_days: i64,
    /// The first maintenance session, the day `maintenance_every_days` after the last
    /// planned one; none without maintenance or once the course is cancelled.
    pub maintenance_from: Option<NaiveDate>,
    pub status: CourseStatus,
    pub planned: Vec<PlannedView>,
    pub created_at: DateTime<Utc>,
}

fn view((c, planned): (Course, Vec<PlannedSession>)) -> CourseView {
    let every = c.maintenance_days();
    let maintenance_from = planned
        .iter()
        .map(|p| p.planned_on)
        .max()
        .filter(|_| every > 0 && c.status.maintained())
        .map(|last| last + chrono::Duration::days(every));
    CourseView {
        maintenance_every_days: every,
        maintenance_from,
        id: c.id,
        patient_ref: c.patient_ref,
        formulation_id: c.formulation_id,
        area: c.area,
        start_on: c.start_on,
        sessions: c.sessions,
        interval_days: c.interval_days,
        status: c.status,
        planned: planned
            .into_iter()
            .map(|p| PlannedView {
                date: p.planned_on,
                done: p.session_id.is_some(),
                session_id: p.session_id,
            })
            .collect(),
        created_at: c.created_at.and_utc(),
    }
}

/// Plan a course; sessions and interval default from the area's usual course.
#[utoipa::path(tag = "courses", request_body = CourseInput,
    responses((status = 201, body = CourseView), (status = 422, body = Problem)), security(("bearer" = [])))]
#[post("/courses")]
pub async fn create(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<CourseInput>,
) -> AppResult<HttpResponse> {
    let c = run(&state, move |conn| courses::create(conn, &actor, body.0)).await?;
    Ok(HttpResponse::Created().json(view(c)))
}

#[utoipa::path(tag = "courses", params(("id" = String, Path)),
    responses((status = 200, body = CourseView), (status = 404, body = Problem)), security(("bearer" = [])))]
#[get("/courses/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<CourseId>,
) -> AppResult<HttpResponse> {
    let c = run(&state, move |conn| courses::get(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view(c)))
}

#[utoipa::path(tag = "courses", params(CourseQuery), responses((status = 200, body = Vec<CourseView>)), security(("bearer" = [])))]
#[get("/courses")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<CourseQuery>,
) -> AppResult<HttpResponse> {
    let all = run(&state, move |conn| {
        courses::list(conn, &actor, q.0.patient_ref.as_deref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(all.into_iter().map(view).collect::<Vec<_>>()))
}

#[utoipa::path(tag = "courses", params(("id" = String, Path)),
    responses((status = 200, body = CourseView), (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/courses/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<CourseId>,
) -> AppResult<HttpResponse> {
    let c = run(&state, move |conn| courses::cancel(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(view(c)))
}
