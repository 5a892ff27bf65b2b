//! Clinics, staff and the caller's identity.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{run, AppState, Json};
use crate::domain::ids::{ClinicId, StaffId};
use crate::domain::requests::{ClinicInput, ClinicPatch, StaffInput};
use crate::domain::role::Role;
use crate::domain::treatment::PatientCodePattern;
use crate::error::AppResult;
use crate::services::{auth, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct ClinicView {
    pub id: ClinicId,
    pub name: String,
    /// Days before expiry from which a lot is flagged `expiring`.
    pub expiry_warning_days: i64,
    /// The regular expression every patient code must match whole (the clinic's own, or
    /// the built-in `[A-Za-z0-9._-]{1,40}`).
    pub patient_code_pattern: String,
    pub created_at: DateTime<Utc>,
}

impl From<crate::db::staff::Clinic> for ClinicView {
    fn from(c: crate::db::staff::Clinic) -> Self {
        let pattern = PatientCodePattern::of_clinic(c.patient_code_pattern.as_deref());
        ClinicView {
            id: c.id,
            name: c.name,
            expiry_warning_days: c.expiry_warning_days,
            patient_code_pattern: pattern.as_str().to_string(),
            created_at: c.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffView {
    pub id: StaffId,
    pub name: String,
    pub role: Role,
    pub clinic_id: Option<ClinicId>,
    pub email: Option<String>,
    /// The bearer token (the first of the person's tokens): shown in this answer only,
    /// stored hashed.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub staff_id: StaffId,
    pub name: String,
    pub role: Role,
    pub clinic_id: Option<ClinicId>,
}

/// Create a clinic (admin).
#[utoipa::path(tag = "clinics", request_body = ClinicInput,
    responses((status = 201, body = ClinicView), (status = 403, body = super::error::Problem), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])))]
#[post("/clinics")]
pub async fn create_clinic(
    state: web::Data<AppState>,
    actor: Actor,
    body: Json<ClinicInput>,
) -> AppResult<HttpResponse> {
    let name = body.0.name;
    let c = run(&state, move |conn| auth::create_clinic(conn, &actor, &name)).await?;
    Ok(HttpResponse::Created().json(ClinicView::from(c)))
}

/// Add a staff member to a clinic (admin, or a manager of that clinic). The answer holds
/// their token, shown once.
#[utoipa::path(tag = "clinics", request_body = StaffInput, params(("id" = String, Path, description = "clinic id")),
    responses((status = 201, body = StaffView), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])))]
#[post("/clinics/{id}/staff")]
pub async fn create_staff(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<ClinicId>,
    body: Json<StaffInput>,
) -> AppResult<HttpResponse> {
    let clinic_id = path.into_inner();
    let StaffInput { name, role, email } = body.0;
    let (member, token) = run(&state, move |conn| {
        auth::create_member(conn, &actor, &clinic_id, &name, &role, email.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created().json(StaffView {
        id: member.id,
        name: member.name,
        role: member.role,
        clinic_id: member.clinic_id,
        email: member.email,
        token,
    }))
}

/// Who the token belongs to.
#[utoipa::path(tag = "clinics", responses((status = 200, body = Me), (status = 401, body = super::error::Problem)),
    security(("bearer" = [])))]
#[get("/me")]
pub async fn me(actor: Actor) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Me {
        staff_id: actor.staff_id,
        name: actor.name,
        role: actor.role,
        clinic_id: actor.clinic_id,
    }))
}

/// Change a clinic's name or settings (admin, or a manager of that clinic).
#[utoipa::path(tag = "clinics", params(("id" = String, Path)), request_body = ClinicPatch,
    responses((status = 200, body = ClinicView), (status = 404, body = super::error::Problem), (status = 422, body = super::error::Problem)),
    security(("bearer" = [])))]
#[patch("/clinics/{id}")]
pub async fn update_clinic(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<ClinicId>,
    body: Json<ClinicPatch>,
) -> AppResult<HttpResponse> {
    let ClinicPatch {
        name,
        expiry_warning_days,
        patient_code_pattern,
    } = body.0;
    let c = run(&state, move |conn| {
        auth::update_clinic(
            conn,
            &actor,
            &id,
            name,
            expiry_warning_days,
            patient_code_pattern,
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(ClinicView::from(c)))
}
