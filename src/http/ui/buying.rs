//! The manager's buying and receiving pages: `/receive` (a delivery received by scanning,
//! all lines at once). Every rule comes from the same services as the JSON API.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::session::WebConfig;
use super::treatment::human;
use super::{check_csrf, page, see_other, Frame, Signed, UiError};
use crate::domain::role::Action;
use crate::error::AppError;
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::catalog;
use crate::services::lots::{self, ReceiveRequest};

// ---- /receive

/// One scanned line of a delivery, as the page shows it.
struct ReceiveLine {
    code: String,
    product: String,
    lot_number: String,
    expires_on: String,
    containers: String,
    containers_error: Option<String>,
    /// A problem of the line as a whole (its code, or a conflict).
    error: Option<String>,
}

/// A lot just received, linked from the notice.
struct Received {
    id: String,
    label: String,
}

#[derive(Template)]
#[template(path = "buying/receive.html")]
struct ReceivePage {
    frame: Frame,
    csrf_token: String,
    lines: Vec<ReceiveLine>,
    scan_error: Option<String>,
    alert: Option<String>,
    received: Vec<Received>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReceiveQuery {
    /// Set by the redirect after a delivery was received: the lots, comma-separated.
    received: String,
}

fn receive_page(
    session: &WebSession,
    lines: Vec<ReceiveLine>,
    scan_error: Option<String>,
    alert: Option<String>,
    received: Vec<Received>,
    status: StatusCode,
) -> HttpResponse {
    page(
        status,
        &ReceivePage {
            frame: Frame::at("Receive a delivery", "/receive", Some(session)),
            csrf_token: session.csrf_token.clone(),
            lines,
            scan_error,
            alert,
            received,
        },
    )
}

/// The page where a delivery is received by scanning; after a delivery, its lots.
#[get("/receive")]
pub async fn receive_form(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<ReceiveQuery>,
) -> Result<HttpResponse, UiError> {
    session.actor.clinic_for(Action::ManageStock)?;
    let ids: Vec<String> = q
        .received
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(200)
        .map(str::to_string)
        .collect();
    let actor = session.actor.clone();
    let received = run(&state, move |conn| {
        ids.iter()
            .map(|id| {
                let lot = lots::get_lot(conn, &actor, id)?;
                let product = catalog::get_product(conn, &actor, &lot.product_id)?;
                Ok(Received {
                    id: lot.id,
                    label: format!(
                        "{} ({}), lot {}, expires {}",
                        product.name, product.sku, lot.lot_number, lot.expires_on
                    ),
                })
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    Ok(receive_page(
        &session,
        Vec::new(),
        None,
        None,
        received,
        StatusCode::OK,
    ))
}

/// What a code reads as in this clinic (product, lot number, expiry), in the words of the
/// receiving use case when it names nothing usable.
fn read_code(
    conn: &mut crate::db::Conn,
    actor: &crate::services::Actor,
    code: &str,
) -> Result<(String, String, String), String> {
    let answer = (|| {
        let clinic = actor.clinic_for(Action::ManageStock)?.clone();
        let (product_id, lot_number, expires_on) =
            lots::resolve_receipt(conn, &clinic, "scan", None, None, None, Some(code))?;
        let product = catalog::get_product(conn, actor, &product_id)?;
        Ok::<_, AppError>((
            format!("{} ({})", product.name, product.sku),
            lot_number,
            expires_on.to_string(),
        ))
    })();
    answer.map_err(|e| match e {
        AppError::Invalid(errs) => errs
            .into_iter()
            .map(|f| f.message)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })
}

/// Every button of `/receive` posts here. Enter in `Scan a code` adds a line (the first
/// button); `Remove` drops one; `Receive all` receives every line in one transaction
/// (`services::lots::receive_lines`), then redirects to the page with the lots received.
#[post("/receive")]
pub async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    check_csrf(&req, &cfg, &session, &field("csrf_token"))?;
    // Writing needs the manager's right, even to add a line.
    session.actor.clinic_for(Action::ManageStock)?;
    let codes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "code")
        .map(|(_, v)| v.trim().to_string())
        .collect();
    let mut containers: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "containers")
        .map(|(_, v)| v.trim().to_string())
        .collect();
    containers.resize(codes.len(), String::new());
    let mut carried: Vec<(String, String)> = codes.into_iter().zip(containers).collect();
    let action = field("action");
    if let Some(i) = action
        .strip_prefix("remove:")
        .and_then(|i| i.parse::<usize>().ok())
    {
        if i < carried.len() {
            carried.remove(i);
        }
    }
    let scan = field("scan");
    let commit = action == "commit" && scan.is_empty();
    let actor = session.actor.clone();
    let (lines, scan_error) = run(&state, move |conn| {
        let mut lines: Vec<ReceiveLine> = carried
            .into_iter()
            .map(|(code, containers)| {
                let read = read_code(conn, &actor, &code);
                line_of(code, containers, read)
            })
            .collect();
        let mut scan_error = None;
        if !scan.is_empty() {
            match read_code(conn, &actor, &scan) {
                Ok(read) => lines.push(line_of(scan, String::new(), Ok(read))),
                Err(e) => scan_error = Some(e),
            }
        }
        Ok((lines, scan_error))
    })
    .await?;
    if !commit {
        let status = if scan_error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok(receive_page(
            &session,
            lines,
            scan_error,
            None,
            Vec::new(),
            status,
        ));
    }
    commit_lines(&state, &session, lines).await
}

fn line_of(
    code: String,
    containers: String,
    read: Result<(String, String, String), String>,
) -> ReceiveLine {
    match read {
        Ok((product, lot_number, expires_on)) => ReceiveLine {
            code,
            product,
            lot_number,
            expires_on,
            containers,
            containers_error: None,
            error: None,
        },
        Err(e) => ReceiveLine {
            code,
            product: String::new(),
            lot_number: String::new(),
            expires_on: String::new(),
            containers,
            containers_error: None,
            error: Some(e),
        },
    }
}

/// Receives every line at once; errors go back next to their line's field.
async fn commit_lines(
    state: &AppState,
    session: &WebSession,
    mut lines: Vec<ReceiveLine>,
) -> Result<HttpResponse, UiError> {
    let mut requests = Vec::with_capacity(lines.len());
    let mut unreadable = false;
    for line in lines.iter_mut() {
        // The API takes a whole number; a form field may hold anything.
        let containers = match line.containers.parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                line.containers_error = Some(if line.containers.is_empty() {
                    "give the number of containers received".into()
                } else {
                    "must be a whole number of containers".into()
                });
                unreadable = true;
                0
            }
        };
        requests.push(ReceiveRequest {
            product_id: None,
            lot_number: None,
            expires_on: None,
            containers,
            unit_cost: None,
            supplier_id: None,
            code: Some(line.code.clone()),
        });
    }
    if lines.is_empty() {
        return Ok(receive_page(
            session,
            lines,
            Some("scan at least one code before receiving".into()),
            None,
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if unreadable {
        return Ok(receive_page(
            session,
            lines,
            None,
            Some("Nothing was received: fix the lines marked below.".into()),
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let actor = session.actor.clone();
    let result = run(state, move |conn| {
        lots::receive_lines(conn, &actor, requests)
    })
    .await;
    match result {
        Ok(received) => {
            let ids: Vec<String> = received.into_iter().map(|l| l.id).collect();
            let query =
                serde_urlencoded::to_string([("received", ids.join(","))]).unwrap_or_default();
            Ok(see_other(&format!("/receive?{query}")))
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let mut alert = None;
            match e {
                AppError::Invalid(errs) => {
                    for f in errs {
                        let placed = f
                            .field
                            .strip_prefix("lines[")
                            .and_then(|rest| rest.split_once("]."))
                            .and_then(|(i, name)| Some((i.parse::<usize>().ok()?, name)))
                            .and_then(|(i, name)| {
                                let line = lines.get_mut(i)?;
                                if name == "containers" {
                                    line.containers_error = Some(f.message.clone());
                                } else {
                                    line.error = Some(format!("{}: {}", human(name), f.message));
                                }
                                Some(())
                            });
                        if placed.is_none() {
                            alert = Some(format!("{}: {}", human(&f.field), f.message));
                        }
                    }
                }
                other => {
                    let detail = other.to_string();
                    let line = detail
                        .strip_prefix("line ")
                        .and_then(|rest| rest.split_once(':'))
                        .and_then(|(n, _)| n.parse::<usize>().ok());
                    match line.and_then(|n| lines.get_mut(n.wrapping_sub(1))) {
                        Some(l) => l.error = Some(detail),
                        None => alert = Some(detail),
                    }
                }
            }
            Ok(receive_page(
                session,
                lines,
                None,
                Some(
                    alert.unwrap_or_else(|| {
                        "Nothing was received: fix the lines marked below.".into()
                    }),
                ),
                Vec::new(),
                status,
            ))
        }
        Err(e) => Err(e.into()),
    }
}
