//! The audit log (manager, auditor): every change that is not a stock movement.

use crate::domain::ids::StaffId;
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{run, AppState, Query};
use crate::db::audit::AuditFilter;
use crate::domain::requests::AuditQuery;
use crate::error::AppResult;
use crate::services::optional_time;
use crate::services::{audit, Actor};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: String,
    pub at: DateTime<Utc>,
    pub actor_id: Option<StaffId>,
    pub actor: Option<String>,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    /// The fields that changed, each as `[before, after]`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

#[utoipa::path(tag = "audit", params(AuditQuery), responses((status = 200, body = Vec<AuditView>)), security(("bearer" = [])))]
#[get("/audit-log")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let q = q.0;
    let filter = AuditFilter {
        entity: q.entity,
        entity_id: q.entity_id,
        from: optional_time("from", q.from.as_deref())?,
        to: optional_time("to", q.to.as_deref())?,
        limit: q.limit.unwrap_or(1000).clamp(1, 10_000),
        ..AuditFilter::default()
    };
    let rows = run(&state, move |conn| audit::list(conn, &actor, filter)).await?;
    let view: Vec<AuditView> = rows
        .into_iter()
        .map(|(e, actor, changes)| AuditView {
            id: e.id,
            at: e.at.and_utc(),
            actor_id: e.actor_id,
            actor,
            entity: e.entity,
            entity_id: e.entity_id,
            action: e.action,
            changes,
        })
        .collect();
    Ok(HttpResponse::Ok().json(view))
}
