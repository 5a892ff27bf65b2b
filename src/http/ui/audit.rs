//! The auditor's pages (a manager's too): recall cases and their contacts (`/recalls`,
//! `/recalls/{id}`, where a manager records contacts and closes the case), the CSV
//! exports (`/exports`, downloads streamed from `/exports.csv`) and `/audit-log`. Every
//! fact and rule comes from `services::{recalls, exports, audit}`, as in the JSON API.

use crate::domain::ids::{LotId, ProductId, RecallCaseId, StaffId};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Deserialize;

use super::session::WebConfig;
use super::treatment::{human, select_options, Opt};
use super::{page, posted, see_other, Frame, Signed, UiError};
use crate::db::audit::AuditFilter;
use crate::db::recalls::{RecallCase, RecallContact};
use crate::domain::recall::{ContactStatus, RecallCaseStatus};
use crate::domain::requests::ExportQuery;
use crate::domain::role::{allows, Action};
use crate::error::AppError;
use crate::http::exports::{recall_csv as lot_recall_csv, stream_csv};
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::exports::{self, CsvOptions, ExportKind};
use crate::services::{audit, catalog, lots, optional_time, recalls};

/// Contact statuses as the pages name them.
const CONTACT_STATUSES: [(ContactStatus, &str); 4] = [
    (ContactStatus::Pending, "Pending"),
    (ContactStatus::Contacted, "Contacted"),
    (ContactStatus::Unreachable, "Unreachable"),
    (ContactStatus::NotRequired, "Not required"),
];

fn contact_words(s: ContactStatus) -> &'static str {
    CONTACT_STATUSES
        .iter()
        .find(|(c, _)| *c == s)
        .map_or("", |(_, w)| w)
}

fn pending(contacts: &[RecallContact]) -> usize {
    contacts
        .iter()
        .filter(|c| c.status == ContactStatus::Pending)
        .count()
}

fn date(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn minute(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

// ---- /recalls

struct CaseRow {
    id: RecallCaseId,
    lot_id: LotId,
    lot_number: String,
    reason: String,
    opened: String,
    open: bool,
    pending: usize,
}

#[derive(Template)]
#[template(path = "audit/recalls.html")]
struct RecallsPage {
    frame: Frame,
    cases: Vec<CaseRow>,
}

/// Every recall case of the clinic: lot, reason, opened, open or closed, pending count.
#[get("/recalls")]
pub async fn recalls_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let cases = run(&state, move |conn| {
        recalls::list(conn, &actor)?
            .into_iter()
            .map(|c| {
                let (case, contacts) = recalls::get(conn, &actor, &c.id)?;
                let lot = lots::get_lot(conn, &actor, &case.lot_id)?;
                Ok((case, contacts, lot.lot_number))
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    let cases = cases
        .into_iter()
        .map(|(c, contacts, lot_number)| CaseRow {
            pending: pending(&contacts),
            id: c.id,
            lot_id: c.lot_id,
            lot_number,
            reason: c.reason,
            opened: date(c.opened_at),
            open: c.status == RecallCaseStatus::Open,
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &RecallsPage {
            frame: Frame::at("Recalls", "/recalls", Some(&session)),
            cases,
        },
    ))
}

// ---- /recalls/{id}

struct ContactRow {
    id: String,
    patient_ref: String,
    status: String,
    note: String,
    updated: String,
    /// The form's choices (the failed form's values when it came back).
    statuses: Vec<Opt>,
    form_note: String,
    status_error: Option<String>,
    note_error: Option<String>,
}

#[derive(Template)]
#[template(path = "audit/recall.html")]
struct RecallPage {
    frame: Frame,
    csrf_token: String,
    id: RecallCaseId,
    lot_id: LotId,
    lot_number: String,
    reason: String,
    opened: String,
    open: bool,
    closed: String,
    closing_note: String,
    pending: usize,
    contacts: Vec<ContactRow>,
    /// A manager on an open case: contact forms and the close form.
    writes: bool,
    close_note: String,
    close_error: Option<String>,
    notice: Option<String>,
    alert: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecallQuery {
    done: String,
}

/// What a failed form leaves on the page.
#[derive(Default)]
struct RecallFailed {
    contact_id: String,
    status: String,
    note: String,
    status_error: Option<String>,
    note_error: Option<String>,
    close_note: String,
    close_error: Option<String>,
    alert: Option<String>,
}

async fn recall_view(
    state: &AppState,
    session: &WebSession,
    id: RecallCaseId,
    notice: Option<String>,
    failed: RecallFailed,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let (case, contacts, lot_number): (RecallCase, Vec<RecallContact>, String) =
        run(state, move |conn| {
            let (case, contacts) = recalls::get(conn, &actor, &id)?;
            let lot = lots::get_lot(conn, &actor, &case.lot_id)?;
            Ok((case, contacts, lot.lot_number))
        })
        .await?;
    let open = case.status == RecallCaseStatus::Open;
    let writes = open && allows(session.actor.role, Action::ManageStock);
    let rows = contacts
        .iter()
        .map(|c| {
            let mine = failed.contact_id == c.id;
            let chosen = if mine {
                failed.status.clone()
            } else {
                c.status.as_str().to_string()
            };
            ContactRow {
                id: c.id.clone(),
                patient_ref: c.patient_ref.clone(),
                status: contact_words(c.status).to_string(),
                note: c.note.clone().unwrap_or_default(),
                updated: c.updated_at.map(minute).unwrap_or_default(),
                statuses: CONTACT_STATUSES
                    .iter()
                    .map(|(s, words)| Opt {
                        value: s.as_str().to_string(),
                        label: words.to_string(),
                        selected: s.as_str() == chosen,
                    })
                    .collect(),
                form_note: if mine {
                    failed.note.clone()
                } else {
                    c.note.clone().unwrap_or_default()
                },
                status_error: if mine {
                    failed.status_error.clone()
                } else {
                    None
                },
                note_error: if mine {
                    failed.note_error.clone()
                } else {
                    None
                },
            }
        })
        .collect();
    Ok(page(
        status,
        &RecallPage {
            frame: Frame::at(
                &format!("Recall of lot {lot_number}"),
                "/recalls",
                Some(session),
            ),
            csrf_token: session.csrf_token.clone(),
            id: case.id.clone(),
            lot_id: case.lot_id.clone(),
            lot_number,
            reason: case.reason.clone(),
            opened: date(case.opened_at),
            open,
            closed: case.closed_at.map(date).unwrap_or_default(),
            closing_note: case.closing_note.clone().unwrap_or_default(),
            pending: pending(&contacts),
            contacts: rows,
            writes,
            close_note: failed.close_note,
            close_error: failed.close_error,
            notice,
            alert: failed.alert,
        },
    ))
}

/// A recall case: each affected patient code with its contact status and note; a manager
/// records contacts and closes the case here, an auditor reads it.
#[get("/recalls/{id}")]
pub async fn recall_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<RecallCaseId>,
    q: web::Query<RecallQuery>,
) -> Result<HttpResponse, UiError> {
    let notice = match q.done.as_str() {
        "contact" => Some("Contact status recorded.".to_string()),
        "close" => Some("Recall case closed.".to_string()),
        _ => None,
    };
    recall_view(
        &state,
        &session,
        id.into_inner(),
        notice,
        RecallFailed::default(),
        StatusCode::OK,
    )
    .await
}

/// The case's affected patients as CSV: the same bytes as
/// `GET /api/v1/exports/recall/{lot_id}.csv`, for the signed-in browser.
#[get("/recalls/{id}.csv")]
pub async fn recall_csv(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<RecallCaseId>,
) -> Result<HttpResponse, UiError> {
    let (actor, id) = (session.actor.clone(), id.into_inner());
    let (case, _) = run(&state, move |conn| recalls::get(conn, &actor, &id)).await?;
    Ok(lot_recall_csv(&state, &session.actor, case.lot_id, false).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ContactBody {
    status: String,
    note: String,
}

/// An error of a recall form: its field errors to place, or the whole problem as an
/// alert (a conflict such as a closed case or a pending patient).
fn place(e: AppError, failed: &mut RecallFailed, fields: &[&str]) -> Result<StatusCode, AppError> {
    let status = e.status_code();
    match e {
        AppError::Invalid(errs) => {
            for f in errs {
                match f.field.as_str() {
                    "status" if fields.contains(&"status") => failed.status_error = Some(f.message),
                    "note" if fields.contains(&"note") => failed.note_error = Some(f.message),
                    "note" if fields.contains(&"closing_note") => {
                        failed.close_error = Some(f.message)
                    }
                    _ => failed.alert = Some(format!("{}: {}", human(&f.field), f.message)),
                }
            }
            Ok(status)
        }
        e @ AppError::Conflict { .. } => {
            failed.alert = Some(e.to_string());
            Ok(status)
        }
        other => Err(other),
    }
}

/// Records one patient's contact status (`services::recalls::update_contact`), then back
/// to the case (post/redirect/get).
#[post("/recalls/{id}/contacts/{contact_id}")]
pub async fn update_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    path: web::Path<(RecallCaseId, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: ContactBody = posted(&req, &cfg, &session, &body)?;
    let (id, contact_id) = path.into_inner();
    let (actor, case_id, cid) = (session.actor.clone(), id.clone(), contact_id.clone());
    let (status, note) = (form.status.clone(), form.note.clone());
    let result = run(&state, move |conn| {
        recalls::update_contact(conn, &actor, &case_id, &cid, &status, Some(&note)).map(|_| ())
    })
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/recalls/{id}?done=contact"))),
        Err(e) => {
            let mut failed = RecallFailed {
                contact_id,
                status: form.status,
                note: form.note,
                ..RecallFailed::default()
            };
            let status = place(e, &mut failed, &["status", "note"])?;
            recall_view(&state, &session, id, None, failed, status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CloseBody {
    note: String,
}

/// Closes the case (`services::recalls::close`: refused while a patient is pending).
#[post("/recalls/{id}/close")]
pub async fn close_case(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<RecallCaseId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: CloseBody = posted(&req, &cfg, &session, &body)?;
    let id = id.into_inner();
    let (actor, case_id, note) = (session.actor.clone(), id.clone(), form.note.clone());
    let result = run(&state, move |conn| {
        recalls::close(conn, &actor, &case_id, Some(&note)).map(|_| ())
    })
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/recalls/{id}?done=close"))),
        Err(e) => {
            let mut failed = RecallFailed {
                close_note: form.note,
                ..RecallFailed::default()
            };
            let status = place(e, &mut failed, &["closing_note"])?;
            recall_view(&state, &session, id, None, failed, status).await
        }
    }
}

// ---- /exports

/// The exports as the page names them: (`?kind=` value, kind, words, file name, lot filter).
const EXPORTS: [(&str, ExportKind, &str, &str, bool); 3] = [
    (
        "traceability",
        ExportKind::Traceability,
        "Traceability (one row per lot used per session)",
        "traceability.csv",
        true,
    ),
    (
        "movements",
        ExportKind::Movements,
        "Movements (the stock ledger)",
        "movements.csv",
        true,
    ),
    (
        "variance",
        ExportKind::Variance,
        "Variance (planned against used)",
        "variance.csv",
        false,
    ),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ExportForm {
    kind: String,
    from: String,
    to: String,
    product_id: ProductId,
    lot_number: String,
    bom: String,
}

#[derive(Template)]
#[template(path = "audit/exports.html")]
struct ExportsPage {
    frame: Frame,
    kinds: Vec<Opt>,
    products: Vec<Opt>,
    from: String,
    to: String,
    lot_number: String,
    bom: bool,
    kind_error: Option<String>,
    from_error: Option<String>,
    to_error: Option<String>,
    lot_error: Option<String>,
}

#[derive(Default)]
struct ExportErrors {
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    lot_number: Option<String>,
}

impl ExportErrors {
    fn any(&self) -> bool {
        self.kind.is_some() || self.from.is_some() || self.to.is_some() || self.lot_number.is_some()
    }
}

async fn exports_view(
    state: &AppState,
    session: &WebSession,
    form: &ExportForm,
    errors: ExportErrors,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    // The same permission as the download: a practitioner is refused at once.
    exports::authorize(&session.actor)?;
    let actor = session.actor.clone();
    let products = run(state, move |conn| {
        catalog::list_products(conn, &actor, None)
    })
    .await?;
    let product_opts = select_options(
        "All products",
        &form.product_id,
        products
            .into_iter()
            .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.sku))),
    );
    Ok(page(
        status,
        &ExportsPage {
            frame: Frame::at("Exports", "/exports", Some(session)),
            kinds: EXPORTS
                .iter()
                .map(|(code, _, words, _, _)| Opt {
                    value: code.to_string(),
                    label: words.to_string(),
                    selected: *code == form.kind,
                })
                .collect(),
            products: product_opts,
            from: form.from.clone(),
            to: form.to.clone(),
            lot_number: form.lot_number.clone(),
            bom: form.bom == "true",
            kind_error: errors.kind,
            from_error: errors.from,
            to_error: errors.to,
            lot_error: errors.lot_number,
        },
    ))
}

/// The export form: which export, `From`, `To`, `Product`, `Lot number`, `For Excel (BOM)`.
#[get("/exports")]
pub async fn exports_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<ExportForm>,
) -> Result<HttpResponse, UiError> {
    exports_view(
        &state,
        &session,
        &q.into_inner(),
        ExportErrors::default(),
        StatusCode::OK,
    )
    .await
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The chosen export, streamed for a signed-in browser: the same filter parsing, writer and
/// bytes as `GET /api/v1/exports/{kind}.csv`. A bad filter answers the form again with the
/// error next to its field, before any byte of CSV.
#[get("/exports.csv")]
pub async fn export_csv(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<ExportForm>,
) -> Result<HttpResponse, UiError> {
    let clinic = exports::authorize(&session.actor)?;
    let form = q.into_inner();
    let mut errors = ExportErrors::default();
    let chosen = EXPORTS.iter().find(|(code, ..)| *code == form.kind);
    if chosen.is_none() {
        errors.kind = Some(format!(
            "unknown export {:?}; choose one of {}",
            form.kind,
            EXPORTS.map(|(code, ..)| code).join(", ")
        ));
    }
    if let Some((_, _, _, _, false)) = chosen {
        if some(&form.lot_number).is_some() {
            errors.lot_number =
                Some("the variance export has no lot filter; leave it empty".into());
        }
    }
    let query = ExportQuery {
        from: some(&form.from),
        to: some(&form.to),
        product_id: some(&form.product_id).map(ProductId::from),
        lot_number: some(&form.lot_number),
        bom: Some(form.bom == "true"),
    };
    let filter = match query.filter() {
        Ok(f) => Some(f),
        Err(AppError::Invalid(errs)) => {
            for e in errs {
                match e.field.as_str() {
                    "from" => errors.from = Some(e.message),
                    "to" => errors.to = Some(e.message),
                    _ => errors.kind = Some(e.message),
                }
            }
            None
        }
        Err(e) => return Err(e.into()),
    };
    match (chosen, filter) {
        (Some((_, kind, _, filename, _)), Some(filter)) if !errors.any() => {
            let (kind, opts) = (
                *kind,
                CsvOptions {
                    bom: form.bom == "true",
                },
            );
            Ok(stream_csv(&state, filename, move |conn, sink| {
                exports::write(conn, &clinic, kind, &filter, &opts, sink, &mut |_| {})
            }))
        }
        _ => {
            exports_view(
                &state,
                &session,
                &form,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ---- /audit-log

/// At most this many entries on the page, newest first.
const AUDIT_LIMIT: i64 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AuditForm {
    person: String,
    action: String,
    from: String,
    to: String,
}

struct AuditRow {
    time: String,
    person: String,
    subject: String,
    href: Option<String>,
    action: String,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "audit/log.html")]
struct AuditPage {
    frame: Frame,
    people: Vec<Opt>,
    actions: Vec<Opt>,
    from: String,
    to: String,
    from_error: Option<String>,
    to_error: Option<String>,
    rows: Vec<AuditRow>,
    limit: i64,
    filtered: bool,
}

/// An entry's changes in words: `field: before → after`, one per field (`–` for none).
fn changes_words(changes: &serde_json::Value) -> Vec<String> {
    let cell = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "–".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match changes.as_object() {
        Some(fields) => fields
            .iter()
            .map(|(field, pair)| match pair.as_array().map(Vec::as_slice) {
                Some([before, after]) => {
                    format!("{}: {} → {}", human(field), cell(before), cell(after))
                }
                _ => format!("{}: {}", human(field), cell(pair)),
            })
            .collect(),
        None => vec![cell(changes)],
    }
}

/// Where an entry's subject has a page.
fn subject_href(entity: &str, id: &str) -> Option<String> {
    match entity {
        "recall" => Some(format!("/recalls/{id}")),
        "lot" => Some(format!("/lots/{id}")),
        _ => None,
    }
}

/// The clinic's audit log, newest first, filtered by person, action and date
/// (`From` inclusive, `To` exclusive, as in the API).
#[get("/audit-log")]
pub async fn audit_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<AuditForm>,
) -> Result<HttpResponse, UiError> {
    let form = q.into_inner();
    let mut from_error = None;
    let mut to_error = None;
    let field_time = |field: &str, v: &str, slot: &mut Option<String>| match optional_time(
        field,
        some(v).as_deref(),
    ) {
        Ok(t) => Ok(t),
        Err(AppError::Invalid(errs)) => {
            *slot = errs.into_iter().next().map(|e| e.message);
            Ok(None)
        }
        Err(e) => Err(e),
    };
    let from = field_time("from", &form.from, &mut from_error)?;
    let to = field_time("to", &form.to, &mut to_error)?;
    let filter = AuditFilter {
        from,
        to,
        limit: AUDIT_LIMIT,
        actor_id: some(&form.person).map(StaffId::from),
        action: some(&form.action),
        newest_first: true,
        ..AuditFilter::default()
    };
    let bad = from_error.is_some() || to_error.is_some();
    let actor = session.actor.clone();
    let (choices, entries) = run(&state, move |conn| {
        let choices = audit::choices(conn, &actor)?;
        let entries = if bad {
            Vec::new()
        } else {
            audit::list(conn, &actor, filter)?
        };
        Ok((choices, entries))
    })
    .await?;
    let people_opts = select_options("Everyone", &form.person, choices.people);
    let action_opts = select_options(
        "Every action",
        &form.action,
        choices.actions.into_iter().map(|a| {
            let label = human(&a);
            (a, label)
        }),
    );
    let rows = entries
        .into_iter()
        .map(|(e, name, changes)| AuditRow {
            time: minute(e.at),
            person: name.unwrap_or_else(|| "the service".into()),
            href: subject_href(&e.entity, &e.entity_id),
            subject: format!("{} {}", human(&e.entity), e.entity_id),
            action: human(&e.action),
            changes: changes_words(&changes),
        })
        .collect();
    let status = if bad {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page(
        status,
        &AuditPage {
            frame: Frame::at("Audit log", "/audit-log", Some(&session)),
            people: people_opts,
            actions: action_opts,
            filtered: !form.person.is_empty()
                || !form.action.is_empty()
                || !form.from.is_empty()
                || !form.to.is_empty(),
            from: form.from,
            to: form.to,
            from_error,
            to_error,
            rows,
            limit: AUDIT_LIMIT,
        },
    ))
}
