//! `/open-vials`: the punctured multi-dose vials and until when each may be drawn from;
//! managers discard one with a reason (`services::open_vials`).

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::WebConfig;
use super::stock::{amount, ChangeBody};
use super::{page, posted, see_other, Frame, Signed, UiError};
use crate::domain::role::{allows, Action};
use crate::error::AppError;
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::open_vials;

struct VialRow {
    id: String,
    product: String,
    lot_id: String,
    lot_number: String,
    remaining: String,
    opened_at: String,
    beyond_use_at: String,
}

#[derive(Template)]
#[template(path = "stock/open_vials.html")]
struct VialsPage {
    frame: Frame,
    rows: Vec<VialRow>,
    /// Managers may discard; practitioners and auditors only read.
    discards: bool,
    csrf_token: String,
    notice: Option<String>,
    /// The vial whose discard was refused, the reason typed and why.
    failed_id: String,
    failed_reason: String,
    failed_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VialsQuery {
    discarded: String,
}

#[get("/open-vials")]
pub async fn vials_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<VialsQuery>,
) -> Result<HttpResponse, UiError> {
    let notice =
        (!q.discarded.is_empty()).then(|| format!("Discarded vial of lot {}.", q.discarded));
    vials_view(&state, &session, notice, None, StatusCode::OK).await
}

async fn vials_view(
    state: &AppState,
    session: &WebSession,
    notice: Option<String>,
    failed: Option<(String, String, String)>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let vials = run(state, move |conn| open_vials::list(conn, &actor)).await?;
    let (failed_id, failed_reason, failed_error) = match failed {
        Some((id, reason, error)) => (id, reason, Some(error)),
        None => Default::default(),
    };
    Ok(page(
        status,
        &VialsPage {
            frame: Frame::at("Open vials", "/open-vials", Some(session)),
            rows: vials
                .into_iter()
                .map(|v| VialRow {
                    id: v.id,
                    product: v.sku,
                    lot_id: v.lot_id.to_string(),
                    lot_number: v.lot_number,
                    remaining: format!("{} ml", amount(v.remaining)),
                    opened_at: v.opened_at.format("%Y-%m-%d %H:%M").to_string(),
                    beyond_use_at: v.beyond_use_at.format("%Y-%m-%d %H:%M").to_string(),
                })
                .collect(),
            discards: allows(session.actor.role, Action::ManageStock),
            csrf_token: session.csrf_token.clone(),
            notice,
            failed_id,
            failed_reason,
            failed_error,
        },
    ))
}

/// Discards one vial, then back to the list; a refused reason stays next to its row.
#[post("/open-vials/{id}/discard")]
pub async fn discard(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: ChangeBody = posted(&req, &cfg, &session, &body)?;
    let id = id.into_inner();
    let (actor, target, reason) = (session.actor.clone(), id.clone(), form.reason.clone());
    match run(&state, move |conn| {
        open_vials::discard(conn, &actor, &target, &reason)
    })
    .await
    {
        Ok(vial) => Ok(see_other(&format!(
            "/open-vials?{}",
            serde_urlencoded::to_string([("discarded", vial.lot_number.as_str())])
                .unwrap_or_default()
        ))),
        Err(AppError::Invalid(errs)) => {
            let error = errs
                .into_iter()
                .map(|f| f.message)
                .next()
                .unwrap_or_default();
            let failed = Some((id, form.reason, error));
            vials_view(
                &state,
                &session,
                None,
                failed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
