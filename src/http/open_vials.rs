//! Open multi-dose vials: what is punctured and until when, and discarding one.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::Problem;
use super::extract::{run, AppState, Json};
use crate::db::open_containers::OpenVialRow;
use crate::domain::ids::{LotId, ProductId, StaffId};
use crate::domain::requests::ReasonInput;
use crate::error::AppResult;
use crate::services::{open_vials, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenVialView {
    pub id: String,
    pub product_id: ProductId,
    pub sku: String,
    pub lot_id: LotId,
    pub lot_number: String,
    /// What is left in the vial, in the product's stock unit (ml).
    #[schema(value_type = String, example = "7.5")]
    pub remaining: Decimal,
    pub opened_at: DateTime<Utc>,
    /// After this time the rest is wasted (by the sweep, or at the next use).
    pub beyond_use_at: DateTime<Utc>,
    /// The practitioner of the session that punctured it.
    pub opened_by: Option<StaffId>,
}

impl From<OpenVialRow> for OpenVialView {
    fn from(v: OpenVialRow) -> Self {
        OpenVialView {
            id: v.id,
            product_id: v.product_id,
            sku: v.sku,
            lot_id: v.lot_id,
            lot_number: v.lot_number,
            remaining: v.remaining,
            opened_at: v.opened_at.and_utc(),
            beyond_use_at: v.beyond_use_at.and_utc(),
            opened_by: v.opened_by,
        }
    }
}

/// The clinic's open multi-dose vials, the first to pass its beyond-use time first.
#[utoipa::path(tag = "open-vials", responses((status = 200, body = Vec<OpenVialView>)),
    security(("bearer" = [])))]
#[get("/open-vials")]
pub async fn list(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let vials = run(&state, move |conn| open_vials::list(conn, &actor)).await?;
    Ok(HttpResponse::Ok().json(
        vials
            .into_iter()
            .map(OpenVialView::from)
            .collect::<Vec<_>>(),
    ))
}

/// Discard an open vial: what is left in it becomes a waste movement with the reason, and
/// the vial is closed. Answers the vial as it was.
#[utoipa::path(tag = "open-vials", params(("id" = String, Path)), request_body = ReasonInput,
    responses((status = 200, body = OpenVialView), (status = 404, body = Problem),
        (status = 409, body = Problem)), security(("bearer" = [])))]
#[post("/open-vials/{id}/discard")]
pub async fn discard(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: Json<ReasonInput>,
) -> AppResult<HttpResponse> {
    let reason = body.0.reason;
    let id = id.into_inner();
    let vial = run(&state, move |conn| {
        open_vials::discard(conn, &actor, &id, &reason)
    })
    .await?;
    Ok(HttpResponse::Ok().json(OpenVialView::from(vial)))
}
