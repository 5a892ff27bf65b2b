//! CSV exports, streamed: rows are read page by page on a blocking thread and sent as
//! they are written, so memory stays flat and the first bytes leave before the last row
//! is read. Manager and auditor only.

use crate::domain::ids::LotId;
use actix_web::{get, web, HttpResponse};
use futures_util::stream;

use super::extract::{run, AppState, Query};
use crate::db::exports::ExportFilter;
use crate::domain::requests::{BomQuery, ExportQuery};
use crate::error::{AppError, AppResult};
use crate::services::exports::{self, CsvOptions, ExportKind};
use crate::services::lots::get_lot_in;
use crate::services::parse_time;
use crate::services::Actor;

impl ExportQuery {
    pub(crate) fn filter(&self) -> AppResult<ExportFilter> {
        let mut f = ExportFilter::default();
        if let Some(v) = &self.from {
            f.from = parse_time("from", v)?;
        }
        if let Some(v) = &self.to {
            f.to = parse_time("to", v)?;
        }
        f.product_id = self.product_id.clone().unwrap_or_default();
        f.lot_number = self.lot_number.clone().unwrap_or_default();
        Ok(f)
    }
}

type Chunk = Result<web::Bytes, std::io::Error>;

/// Streams what `produce` writes, from a blocking thread with its own connection.
pub(crate) fn stream_csv<F>(state: &AppState, filename: &str, produce: F) -> HttpResponse
where
    F: FnOnce(&mut crate::db::Conn, &mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> AppResult<u64>
        + Send
        + 'static,
{
    // A few chunks in flight: the reader waits for a slow client instead of buffering.
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    let pool = state.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut send = |bytes: &[u8]| {
            tx.blocking_send(Ok(web::Bytes::copy_from_slice(bytes)))
                .map_err(|_| std::io::Error::other("the client went away"))
        };
        let result = pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| produce(&mut conn, &mut send));
        if let Err(e) = result {
            tracing::error!(error = %e, "export failed mid-stream");
            let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    let body = stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body)
}

async fn export(
    state: web::Data<AppState>,
    actor: Actor,
    q: ExportQuery,
    kind: ExportKind,
    filename: &str,
) -> AppResult<HttpResponse> {
    let clinic = exports::authorize(&actor)?;
    let filter = q.filter()?;
    let opts = CsvOptions {
        bom: q.bom.unwrap_or(false),
    };
    Ok(stream_csv(&state, filename, move |conn, sink| {
        exports::write(conn, &clinic, kind, &filter, &opts, sink, &mut |_| {})
    }))
}

/// One row per lot used per session, columns as in the spec (manager, auditor).
#[utoipa::path(tag = "exports", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String)), security(("bearer" = [])))]
#[get("/exports/traceability.csv")]
pub async fn traceability(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<ExportQuery>,
) -> AppResult<HttpResponse> {
    export(
        state,
        actor,
        q.0,
        ExportKind::Traceability,
        "traceability.csv",
    )
    .await
}

/// The whole stock ledger with actor and reason (manager, auditor).
#[utoipa::path(tag = "exports", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String)), security(("bearer" = [])))]
#[get("/exports/movements.csv")]
pub async fn movements(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<ExportQuery>,
) -> AppResult<HttpResponse> {
    export(state, actor, q.0, ExportKind::Movements, "movements.csv").await
}

/// Planned (cocktail) against actual amounts per session and product (manager, auditor).
#[utoipa::path(tag = "exports", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String)), security(("bearer" = [])))]
#[get("/exports/variance.csv")]
pub async fn variance(
    state: web::Data<AppState>,
    actor: Actor,
    q: Query<ExportQuery>,
) -> AppResult<HttpResponse> {
    export(state, actor, q.0, ExportKind::Variance, "variance.csv").await
}

/// Every session that used a lot, with each patient's recall contact status.
#[utoipa::path(tag = "exports", params(("lot_id" = String, Path), BomQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = super::error::Problem)),
    security(("bearer" = [])))]
#[get("/exports/recall/{lot_id}.csv")]
pub async fn recall(
    state: web::Data<AppState>,
    actor: Actor,
    lot_id: web::Path<LotId>,
    q: Query<BomQuery>,
) -> AppResult<HttpResponse> {
    recall_csv(
        &state,
        &actor,
        lot_id.into_inner(),
        q.0.bom.unwrap_or(false),
    )
    .await
}

/// The recall CSV of a lot, for the API and for the recall case page alike.
pub(crate) async fn recall_csv(
    state: &AppState,
    actor: &Actor,
    lot_id: LotId,
    bom: bool,
) -> AppResult<HttpResponse> {
    let clinic = exports::authorize(actor)?;
    // Answer 404 before the stream starts.
    let (c, l) = (clinic.clone(), lot_id.clone());
    let lot = run(state, move |conn| get_lot_in(conn, &c, &l)).await?;
    let opts = CsvOptions { bom };
    let filename = format!(
        "recall-{}.csv",
        lot.lot_number
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    Ok(stream_csv(state, &filename, move |conn, sink| {
        exports::write_recall(conn, &clinic, &lot_id, &opts, sink)
    }))
}
