//! The manager's and the auditor's stock pages: the home overview (alert counts, open
//! purchase orders, open recall cases), `/stock`, `/lots/{id}` with its status changes,
//! and `/trace` with its CSV. Every fact comes from the same services as the JSON API.

use crate::domain::ids::{LotId, ProductId, SessionId, StaffId};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;

use super::session::WebConfig;
use super::treatment::{human, Opt};
use super::{page, posted, see_other, Frame, Signed, UiError};
use crate::db::exports::ExportFilter;
use crate::db::lots::Lot;
use crate::db::movements::MovementFilter;
use crate::db::sessions::LotUse;
use crate::domain::lot::{apply_status_change, check_correctable, StatusChange};
use crate::domain::recall::RecallCaseStatus;
use crate::domain::requests::LotPatch;
use crate::domain::role::{allows, Action};
use crate::domain::stock::StockFlag;
use crate::domain::treatment::SessionStatus;
use crate::error::AppError;
use crate::http::exports::stream_csv;
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::exports::{self, CsvOptions, ExportKind};
use crate::services::{catalog, cold_chain, ledger, lots, orders, recalls, stock};

/// The stock flags as the pages name them: (flag, `?flag=` value, words).
const FLAGS: [(StockFlag, &str, &str); 7] = [
    (StockFlag::Low, "low", "Low"),
    (StockFlag::Out, "out", "Out"),
    (StockFlag::Expiring, "expiring", "Expiring"),
    (StockFlag::ExpiredStock, "expired_stock", "Expired on shelf"),
    (
        StockFlag::RecalledStock,
        "recalled_stock",
        "Recalled on shelf",
    ),
    (StockFlag::AtRisk, "at_risk", "At risk"),
    (StockFlag::Reorder, "reorder", "Reorder"),
];

/// Up to this many products, the list links each product's lots in stock.
const LOT_LINKS_UP_TO: usize = 50;

fn flag_words(f: StockFlag) -> &'static str {
    FLAGS
        .iter()
        .find(|(g, _, _)| *g == f)
        .map_or("", |(_, _, words)| words)
}

pub(super) fn amount(d: Decimal) -> String {
    d.normalize().to_string()
}

// ---- the manager's home: what needs a look

pub struct AlertLink {
    pub label: &'static str,
    pub count: usize,
    pub href: String,
}

pub struct OrderRow {
    pub supplier: String,
    pub status: String,
    pub created: String,
    pub lines: usize,
}

pub struct RecallRow {
    pub lot_id: LotId,
    pub lot_number: String,
    pub reason: String,
    pub opened: String,
}

/// The top of the manager's home.
pub struct Overview {
    pub alerts: Vec<AlertLink>,
    pub orders: Vec<OrderRow>,
    pub recalls: Vec<RecallRow>,
    /// Fridge excursions of the last 7 days and fridges gone quiet (the API's alerts).
    pub excursions: i64,
    pub silent_fridges: Vec<(String, String)>,
}

/// Alert counts (each a link to the filtered stock list), purchase orders not yet fully
/// received, recall cases still open.
pub async fn overview(state: &AppState, session: &WebSession) -> Result<Overview, UiError> {
    let actor = session.actor.clone();
    let (lines, open_orders, suppliers, cases, cold) = run(state, move |conn| {
        let lines = stock::stock(conn, &actor)?;
        let mut open_orders = Vec::new();
        for o in orders::list(conn, &actor)? {
            if o.status.is_open() {
                let (order, lines) = orders::get(conn, &actor, &o.id)?;
                open_orders.push((order, lines.len()));
            }
        }
        let suppliers = catalog::list_suppliers(conn, &actor, None)?;
        let mut cases = Vec::new();
        for c in recalls::list(conn, &actor)? {
            if c.status == RecallCaseStatus::Open {
                let lot = lots::get_lot(conn, &actor, &c.lot_id)?;
                cases.push((c, lot.lot_number));
            }
        }
        let clinic = actor.clinic_for(Action::ReadStock)?;
        let cold = cold_chain::alerts(conn, clinic)?;
        Ok((lines, open_orders, suppliers, cases, cold))
    })
    .await?;
    let counts = stock::alert_counts(&lines);
    let alerts = FLAGS
        .iter()
        .map(|(flag, code, words)| AlertLink {
            label: words,
            count: match flag {
                StockFlag::Low => counts.low,
                StockFlag::Out => counts.out,
                StockFlag::Expiring => counts.expiring,
                StockFlag::ExpiredStock => counts.expired_stock,
                StockFlag::RecalledStock => counts.recalled_stock,
                StockFlag::AtRisk => counts.at_risk,
                StockFlag::Reorder => counts.reorder,
            },
            href: format!("/stock?flag={code}"),
        })
        .collect();
    let orders = open_orders
        .into_iter()
        .map(|(o, lines)| OrderRow {
            supplier: suppliers
                .iter()
                .find(|s| s.id == o.supplier_id)
                .map_or_else(|| o.supplier_id.to_string(), |s| s.name.clone()),
            status: human(o.status.as_str()),
            created: o.created_at.format("%Y-%m-%d").to_string(),
            lines,
        })
        .collect();
    let recalls = cases
        .into_iter()
        .map(|(c, lot_number)| RecallRow {
            lot_id: c.lot_id,
            lot_number,
            reason: c.reason,
            opened: c.opened_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    Ok(Overview {
        alerts,
        orders,
        recalls,
        excursions: cold.excursions,
        silent_fridges: cold
            .silent
            .into_iter()
            .map(|(id, name, _)| (id, name))
            .collect(),
    })
}

// ---- /stock

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StockQuery {
    q: String,
    flag: String,
    /// Set by the redirect after wasting unusable stock: how many lots went.
    wasted: Option<usize>,
}

struct LotLink {
    id: LotId,
    number: String,
}

struct StockRow {
    id: ProductId,
    name: String,
    sku: String,
    unit: String,
    on_hand: String,
    available: String,
    next_expiry: String,
    flags: Vec<&'static str>,
    lots: Vec<LotLink>,
}

#[derive(Template)]
#[template(path = "stock/index.html")]
struct StockPage {
    frame: Frame,
    q: String,
    flags: Vec<Opt>,
    flag_error: Option<String>,
    rows: Vec<StockRow>,
    filtered: bool,
    /// False when the list is too long to show each product's lots.
    lot_links: bool,
    /// A manager may add products.
    manages: bool,
    csrf_token: String,
    /// Products with expired or recalled units on the shelf (all of them, not just the
    /// filtered ones): a manager is offered to waste them.
    unusable: usize,
    waste_reason: String,
    waste_error: Option<String>,
    notice: Option<String>,
}

/// What the page shows of the waste form: the reason typed and its error.
#[derive(Default)]
struct WasteForm {
    reason: String,
    error: Option<String>,
}

/// One row per product: on hand, available, next expiry, flags and its lots in stock;
/// filtered by flag (`?flag=low`) and by SKU or name (`?q=`).
#[get("/stock")]
pub async fn stock_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<StockQuery>,
) -> Result<HttpResponse, UiError> {
    stock_view(
        &state,
        &session,
        q.into_inner(),
        WasteForm::default(),
        StatusCode::OK,
    )
    .await
}

async fn stock_view(
    state: &AppState,
    session: &WebSession,
    q: StockQuery,
    waste: WasteForm,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let notice = q
        .wasted
        .map(|n| format!("Wasted the expired and recalled stock of {n} lot(s)."));
    let wanted = q.flag.trim();
    let flag = FLAGS.iter().find(|(_, code, _)| *code == wanted);
    let flag_error = (!wanted.is_empty() && flag.is_none()).then(|| {
        format!(
            "unknown flag {wanted}; choose one of {}",
            FLAGS.map(|(_, code, _)| code).join(", ")
        )
    });
    let options = FLAGS
        .iter()
        .map(|(_, code, words)| Opt {
            value: code.to_string(),
            label: words.to_string(),
            selected: *code == wanted,
        })
        .collect();
    let frame = Frame::at("Stock", "/stock", Some(session));
    let manages = allows(session.actor.role, Action::ManageStock);
    if flag_error.is_some() {
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &StockPage {
                frame,
                q: q.q,
                flags: options,
                flag_error,
                rows: Vec::new(),
                filtered: true,
                lot_links: true,
                manages,
                csrf_token: session.csrf_token.clone(),
                unusable: 0,
                waste_reason: waste.reason,
                waste_error: waste.error,
                notice,
            },
        ));
    }
    let actor = session.actor.clone();
    let wanted_flag = flag.map(|(f, _, _)| *f);
    let needle = q.q.trim().to_lowercase();
    let find = needle.clone();
    let (lines, in_stock, unusable) = run(state, move |conn| {
        let all = stock::stock(conn, &actor)?;
        let unusable = all
            .iter()
            .filter(|l| {
                l.flags.contains(&StockFlag::ExpiredStock)
                    || l.flags.contains(&StockFlag::RecalledStock)
            })
            .count();
        let lines: Vec<stock::StockLine> = all
            .into_iter()
            .filter(|l| wanted_flag.is_none_or(|f| l.flags.contains(&f)))
            .filter(|l| {
                find.is_empty()
                    || l.product.sku.to_lowercase().contains(&find)
                    || l.product.name.to_lowercase().contains(&find)
            })
            .collect();
        // Lot links for a list a person can read; a whole large catalogue is searched
        // or filtered first, so the page never reads every lot of the clinic.
        let mut in_stock: Vec<Lot> = Vec::new();
        if lines.len() <= LOT_LINKS_UP_TO {
            for l in &lines {
                in_stock.extend(
                    lots::list_lots(conn, &actor, Some(l.product.id.clone()), None, None, None)?
                        .into_iter()
                        .filter(|lot| lot.on_hand > Decimal::ZERO),
                );
            }
        }
        Ok((lines, in_stock, unusable))
    })
    .await?;
    let lot_links = lines.len() <= LOT_LINKS_UP_TO;
    let rows = lines
        .into_iter()
        .map(|l| StockRow {
            lots: in_stock
                .iter()
                .filter(|lot| lot.product_id == l.product.id)
                .map(|lot| LotLink {
                    id: lot.id.clone(),
                    number: lot.lot_number.clone(),
                })
                .collect(),
            id: l.product.id,
            name: l.product.name,
            sku: l.product.sku,
            unit: l.product.stock_unit.to_string(),
            on_hand: amount(l.on_hand),
            available: amount(l.available),
            next_expiry: l.next_expiry.map(|d| d.to_string()).unwrap_or_default(),
            flags: l.flags.iter().map(|f| flag_words(*f)).collect(),
        })
        .collect();
    Ok(page(
        status,
        &StockPage {
            frame,
            filtered: flag.is_some() || !needle.is_empty(),
            q: q.q,
            flags: options,
            flag_error: None,
            rows,
            lot_links,
            manages,
            csrf_token: session.csrf_token.clone(),
            unusable,
            waste_reason: waste.reason,
            waste_error: waste.error,
            notice,
        },
    ))
}

/// Wastes every expired and recalled unit of the clinic (`lots::waste_unusable`), then
/// back to the stock page saying how many lots went; a refused reason stays next to it.
#[post("/stock/waste-unusable")]
pub async fn waste_unusable(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: ChangeBody = posted(&req, &cfg, &session, &body)?;
    let (actor, reason) = (session.actor.clone(), form.reason.clone());
    match run(&state, move |conn| {
        lots::waste_unusable(conn, &actor, &reason)
    })
    .await
    {
        Ok(wasted) => Ok(see_other(&format!("/stock?wasted={}", wasted.len()))),
        Err(AppError::Invalid(errs)) => {
            let error = errs.into_iter().map(|f| f.message).next();
            let waste = WasteForm {
                reason: form.reason,
                error,
            };
            let q = StockQuery::default();
            stock_view(&state, &session, q, waste, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- /lots/{id}

struct MoveRow {
    time: String,
    kind: String,
    quantity: String,
    actor: String,
    reason: String,
    session_id: Option<SessionId>,
}

/// A session that used a lot, as the trace and the lot page show it.
pub struct UseRow {
    pub session_id: SessionId,
    pub time: String,
    pub patient_ref: String,
    pub practitioner: String,
    pub amount: String,
    pub voided: bool,
}

impl UseRow {
    fn of(u: &LotUse, unit: &str) -> UseRow {
        UseRow {
            session_id: u.session_id.clone(),
            time: u.performed_at.format("%Y-%m-%d %H:%M").to_string(),
            patient_ref: u.patient_ref.clone(),
            practitioner: u.practitioner.clone(),
            amount: format!("{} {unit}", amount(u.quantity)),
            voided: u.status == SessionStatus::Voided,
        }
    }
}

/// A status change form: which change, its label, its reason and the reason's error.
struct ChangeForm {
    action: &'static str,
    label: &'static str,
    reason: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "stock/lot.html")]
struct LotPage {
    frame: Frame,
    csrf_token: String,
    id: LotId,
    number: String,
    product: String,
    expires_on: String,
    status: String,
    status_reason: Option<String>,
    on_hand: String,
    received: String,
    trace_href: String,
    movements: Vec<MoveRow>,
    uses: Vec<UseRow>,
    /// Quarantine and Release, those the lot's status allows.
    changes: Vec<ChangeForm>,
    /// The recall form, unless the lot is recalled or the person may not manage stock.
    recall: Option<ChangeForm>,
    /// The correction of number and expiry, for a manager.
    correct: Option<CorrectForm>,
    /// Where the lot was kept and the excursions it went through.
    places: Vec<PlaceRow>,
    excursions: Vec<ExcursionRow>,
    /// A manager's move to another fridge, when the clinic has fridges.
    move_form: Option<MoveForm>,
    confirm_error: Option<String>,
    notice: Option<String>,
    alert: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LotQuery {
    /// Set by the redirect after a status change.
    done: String,
}

/// The correction form: number and expiry as typed (the lot's own at first), the reason,
/// and each field's error.
#[derive(Default, Clone)]
struct CorrectForm {
    number: String,
    expiry: String,
    reason: String,
    number_error: Option<String>,
    expiry_error: Option<String>,
    reason_error: Option<String>,
}

struct PlaceRow {
    fridge_id: String,
    fridge: String,
    from: String,
    to: String,
    by: String,
    reason: String,
}

struct ExcursionRow {
    fridge_id: String,
    fridge: String,
    from: String,
    to: String,
    temperatures: String,
}

/// The move form: the other fridges (id, name, chosen), the reason and the errors.
struct MoveForm {
    fridges: Vec<(String, String, bool)>,
    reason: String,
    reason_error: Option<String>,
    fridge_error: Option<String>,
}

/// What a failed form leaves on the page.
#[derive(Default)]
struct Failed {
    action: &'static str,
    /// The fridge chosen in a refused move, and why it was refused.
    fridge_id: String,
    fridge_error: Option<String>,
    reason: String,
    reason_error: Option<String>,
    confirm_error: Option<String>,
    alert: Option<String>,
    /// A failed correction, as typed.
    correct: Option<CorrectForm>,
}

async fn lot_view(
    state: &AppState,
    session: &WebSession,
    id: LotId,
    notice: Option<String>,
    failed: Failed,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let (lot, product, movements, uses, cold, fridges, names) = run(state, move |conn| {
        let lot = lots::get_lot(conn, &actor, &id)?;
        let product = catalog::get_product(conn, &actor, &lot.product_id)?;
        let movements = ledger::list_movements(
            conn,
            &actor,
            MovementFilter {
                lot_id: Some(lot.id.clone()),
                ..MovementFilter::default()
            },
        )?;
        let (_, uses) = lots::trace(conn, &actor, &lot.id)?;
        let cold = cold_chain::of_lot(conn, &lot.clinic_id, &lot.id)?;
        // Only a manager moves lots, so only a manager's page lists the fridges.
        let fridges = if allows(actor.role, Action::ManageStock) {
            cold_chain::list_fridges(conn, &actor)?
        } else {
            Vec::new()
        };
        // Who moved the lot, by name (the places keep the person's id).
        let names: HashMap<StaffId, String> = crate::db::staff::list_staff(conn, &lot.clinic_id)?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        Ok((lot, product, movements, uses, cold, fridges, names))
    })
    .await?;
    let unit = product.stock_unit.to_string();
    let manages = allows(session.actor.role, Action::ManageStock);
    let form = |change: StatusChange, action: &'static str, label: &'static str| {
        ChangeForm {
            action,
            label,
            reason: if failed.action == action {
                failed.reason.clone()
            } else {
                String::new()
            },
            error: if failed.action == action {
                failed.reason_error.clone()
            } else {
                None
            },
        }
        .into_allowed(manages && apply_status_change(lot.status, change).is_ok())
    };
    let changes = [
        form(StatusChange::Quarantine, "quarantine", "Quarantine"),
        form(StatusChange::Release, "release", "Release"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let recall = form(StatusChange::Recall, "recall", "Recall");
    let current_fridge = cold
        .places
        .iter()
        .find(|(p, _)| p.to_at.is_none())
        .map(|(p, _)| p.fridge_id.clone());
    let others: Vec<(String, String, bool)> = fridges
        .into_iter()
        .filter(|f| Some(&f.fridge.id) != current_fridge.as_ref())
        .map(|f| {
            let selected = failed.fridge_id == f.fridge.id;
            (f.fridge.id, f.fridge.name, selected)
        })
        .collect();
    let move_form = (!others.is_empty()).then(|| MoveForm {
        fridges: others,
        reason: if failed.action == "move" {
            failed.reason.clone()
        } else {
            String::new()
        },
        reason_error: if failed.action == "move" {
            failed.reason_error.clone()
        } else {
            None
        },
        fridge_error: failed.fridge_error.clone(),
    });
    let places = cold
        .places
        .into_iter()
        .map(|(p, fridge)| PlaceRow {
            fridge_id: p.fridge_id,
            fridge,
            from: p.from_at.format("%Y-%m-%d %H:%M").to_string(),
            to: p
                .to_at
                .map_or_else(|| "now".into(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
            by: names.get(&p.moved_by).cloned().unwrap_or(p.moved_by.0),
            reason: p.reason.unwrap_or_default(),
        })
        .collect();
    let excursions = cold
        .excursions
        .into_iter()
        .map(|(e, fridge)| ExcursionRow {
            fridge_id: e.fridge_id,
            fridge,
            from: e.started_at.format("%Y-%m-%d %H:%M").to_string(),
            to: e.ended_at.map_or_else(
                || "ongoing".into(),
                |t| t.format("%Y-%m-%d %H:%M").to_string(),
            ),
            temperatures: format!("{} to {} °C", e.min_celsius, e.max_celsius),
        })
        .collect();
    let correct = (manages && check_correctable(lot.status).is_ok()).then(|| {
        failed.correct.clone().unwrap_or_else(|| CorrectForm {
            number: lot.lot_number.clone(),
            expiry: lot.expires_on.to_string(),
            ..CorrectForm::default()
        })
    });
    Ok(page(
        status,
        &LotPage {
            frame: Frame::under(&format!("Lot {}", lot.lot_number), "/stock", Some(session)),
            csrf_token: session.csrf_token.clone(),
            id: lot.id.clone(),
            number: lot.lot_number.clone(),
            product: format!("{} ({})", product.name, product.sku),
            expires_on: lot.expires_on.to_string(),
            status: human(lot.status.as_str()),
            status_reason: lot.status_reason.clone(),
            on_hand: format!("{} {unit}", amount(lot.on_hand)),
            received: format!(
                "{} ({} containers, {} {unit})",
                lot.received_at.format("%Y-%m-%d"),
                lot.containers,
                amount(lot.received_quantity)
            ),
            trace_href: format!(
                "/trace?{}",
                serde_urlencoded::to_string([("lot_number", lot.lot_number.as_str())])
                    .unwrap_or_default()
            ),
            movements: movements
                .into_iter()
                .map(|(m, by)| MoveRow {
                    time: m.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    kind: human(m.kind.as_str()),
                    quantity: amount(m.quantity),
                    actor: by,
                    reason: m.reason.unwrap_or_default(),
                    session_id: m.session_id,
                })
                .collect(),
            uses: uses.iter().map(|u| UseRow::of(u, &unit)).collect(),
            changes,
            recall,
            correct,
            places,
            excursions,
            move_form,
            confirm_error: failed.confirm_error,
            notice,
            alert: failed.alert,
        },
    ))
}

impl ChangeForm {
    fn into_allowed(self, allowed: bool) -> Option<ChangeForm> {
        allowed.then_some(self)
    }
}

/// The lot, its ledger and the sessions that used it; a manager's status changes.
#[get("/lots/{id}")]
pub async fn lot_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<LotId>,
    q: web::Query<LotQuery>,
) -> Result<HttpResponse, UiError> {
    let notice = match q.done.as_str() {
        "quarantine" => Some("Lot quarantined: it will not be used until released.".to_string()),
        "release" => Some("Lot released: it may be used again.".to_string()),
        "recall" => Some(
            "Lot recalled: it will never be used again. A recall case is open for the patients of the sessions below."
                .to_string(),
        ),
        "correct" => Some("Lot corrected: the audit log keeps the old values.".to_string()),
        "move" => Some("Lot moved: the cold chain below shows its new place.".to_string()),
        _ => None,
    };
    lot_view(
        &state,
        &session,
        id.into_inner(),
        notice,
        Failed::default(),
        StatusCode::OK,
    )
    .await
}

/// A posted reason (and, for a recall, its confirmation).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ChangeBody {
    pub(super) reason: String,
    confirm: String,
    /// The correction's fields.
    lot_number: String,
    expires_on: String,
    /// The move's fridge.
    fridge_id: String,
}

/// Quarantine, release or recall (a recall needs `I confirm the recall` ticked), then
/// back to the lot page (post/redirect/get). Errors stay next to the form's fields.
#[post("/lots/{id}/{action}")]
pub async fn change_lot(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    path: web::Path<(LotId, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: ChangeBody = posted(&req, &cfg, &session, &body)?;
    let (id, action) = path.into_inner();
    if action == "correct" {
        return correct_lot(&state, &session, id, form).await;
    }
    if action == "move" {
        return move_lot(&state, &session, id, form).await;
    }
    let (change, action): (StatusChange, &'static str) = match action.as_str() {
        "quarantine" => (StatusChange::Quarantine, "quarantine"),
        "release" => (StatusChange::Release, "release"),
        "recall" => (StatusChange::Recall, "recall"),
        _ => return Ok(super::not_found_page()),
    };
    let mut failed = Failed {
        action,
        reason: form.reason.clone(),
        ..Failed::default()
    };
    if change == StatusChange::Recall && form.confirm != "yes" {
        // Only the permission is checked first: an auditor is refused, not asked.
        session.actor.clinic_for(Action::ManageStock)?;
        failed.confirm_error =
            Some("tick \"I confirm the recall\": a recall is final and cannot be undone".into());
        return lot_view(
            &state,
            &session,
            id,
            None,
            failed,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (actor, target, reason) = (session.actor.clone(), id.clone(), form.reason);
    let result = run(&state, move |conn| match change {
        StatusChange::Recall => lots::recall(conn, &actor, &target, &reason).map(|_| ()),
        other => lots::change_status(conn, &actor, &target, other, &reason).map(|_| ()),
    })
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/lots/{id}?done={action}"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            match e {
                AppError::Invalid(errs) => {
                    for f in errs {
                        if f.field == "reason" {
                            failed.reason_error = Some(f.message);
                        } else {
                            failed.alert = Some(format!("{}: {}", human(&f.field), f.message));
                        }
                    }
                }
                other => failed.alert = Some(other.to_string()),
            }
            lot_view(&state, &session, id, None, failed, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A move to another fridge through `services::cold_chain::move_lot`; a refused reason
/// or fridge stays next to its field.
async fn move_lot(
    state: &AppState,
    session: &WebSession,
    id: LotId,
    form: ChangeBody,
) -> Result<HttpResponse, UiError> {
    if form.fridge_id.trim().is_empty() {
        // An empty choice names no fridge: asked for here, in the form's words.
        session.actor.clinic_for(Action::ManageStock)?;
        let failed = Failed {
            action: "move",
            reason: form.reason,
            fridge_error: Some("choose the fridge the lot goes into".into()),
            ..Failed::default()
        };
        return lot_view(
            state,
            session,
            id,
            None,
            failed,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let (actor, target) = (session.actor.clone(), id.clone());
    let (fridge, reason) = (form.fridge_id.clone(), form.reason.clone());
    match run(state, move |conn| {
        cold_chain::move_lot(conn, &actor, &target, &fridge, &reason)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!("/lots/{id}?done=move"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let mut failed = Failed {
                action: "move",
                reason: form.reason,
                fridge_id: form.fridge_id,
                ..Failed::default()
            };
            match e {
                AppError::Invalid(errs) => {
                    for f in errs {
                        match f.field.as_str() {
                            "reason" => failed.reason_error = Some(f.message),
                            _ => failed.fridge_error = Some(f.message),
                        }
                    }
                }
                other => failed.alert = Some(other.to_string()),
            }
            lot_view(state, session, id, None, failed, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A correction of number and expiry through `services::lots::correct`; its errors stay
/// next to the fields.
async fn correct_lot(
    state: &AppState,
    session: &WebSession,
    id: LotId,
    form: ChangeBody,
) -> Result<HttpResponse, UiError> {
    let mut typed = CorrectForm {
        number: form.lot_number.clone(),
        expiry: form.expires_on.clone(),
        reason: form.reason.clone(),
        ..CorrectForm::default()
    };
    let expires_on = match form.expires_on.trim().parse::<chrono::NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            session.actor.clinic_for(Action::ManageStock)?;
            typed.expiry_error = Some("give the expiry date printed on the box".into());
            let failed = Failed {
                correct: Some(typed),
                ..Failed::default()
            };
            return lot_view(
                state,
                session,
                id,
                None,
                failed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let patch = LotPatch {
        lot_number: Some(form.lot_number),
        expires_on,
        reason: form.reason,
    };
    let (actor, target) = (session.actor.clone(), id.clone());
    match run(state, move |conn| {
        lots::correct(conn, &actor, &target, patch)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!("/lots/{id}?done=correct"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let mut failed = Failed::default();
            match e {
                AppError::Invalid(errs) => {
                    for f in errs {
                        let slot = match f.field.as_str() {
                            "reason" => &mut typed.reason_error,
                            "expires_on" => &mut typed.expiry_error,
                            _ => &mut typed.number_error,
                        };
                        *slot = Some(f.message);
                    }
                }
                other => failed.alert = Some(other.to_string()),
            }
            failed.correct = Some(typed);
            lot_view(state, session, id, None, failed, status).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- /trace

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TraceQuery {
    lot_number: String,
}

struct TracedLot {
    id: LotId,
    number: String,
    product: String,
    expires_on: String,
    status: String,
    uses: Vec<UseRow>,
}

#[derive(Template)]
#[template(path = "stock/trace.html")]
struct TracePage {
    frame: Frame,
    lot_number: String,
    asked: bool,
    lots: Vec<TracedLot>,
    csv_href: String,
}

/// A lot number → every lot with that number and every session that used it.
#[get("/trace")]
pub async fn trace_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<TraceQuery>,
) -> Result<HttpResponse, UiError> {
    let number = q.into_inner().lot_number.trim().to_string();
    let mut lots_found = Vec::new();
    if !number.is_empty() {
        let (actor, n) = (session.actor.clone(), number.clone());
        let found = run(&state, move |conn| {
            lots::trace_by_number(conn, &actor, &n)?
                .into_iter()
                .map(|(lot, uses)| {
                    let product = catalog::get_product(conn, &actor, &lot.product_id)?;
                    Ok((lot, product, uses))
                })
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await?;
        lots_found = found
            .into_iter()
            .map(|(lot, product, uses)| {
                let unit = product.stock_unit.to_string();
                TracedLot {
                    id: lot.id,
                    number: lot.lot_number,
                    product: format!("{} ({})", product.name, product.sku),
                    expires_on: lot.expires_on.to_string(),
                    status: human(lot.status.as_str()),
                    uses: uses.iter().map(|u| UseRow::of(u, &unit)).collect(),
                }
            })
            .collect();
    } else {
        // The same permission as the answer: a practitioner is refused at once.
        session.actor.clinic_for(Action::Audit)?;
    }
    Ok(page(
        StatusCode::OK,
        &TracePage {
            frame: Frame::at("Trace a lot", "/trace", Some(&session)),
            csv_href: format!(
                "/trace.csv?{}",
                serde_urlencoded::to_string([("lot_number", number.as_str())]).unwrap_or_default()
            ),
            asked: !number.is_empty(),
            lot_number: number,
            lots: lots_found,
        },
    ))
}

/// The traceability CSV of one lot number, for a signed-in browser: the same writer and
/// columns as `GET /api/v1/exports/traceability.csv?lot_number=…`, streamed.
#[get("/trace.csv")]
pub async fn trace_csv(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<TraceQuery>,
) -> Result<HttpResponse, UiError> {
    let clinic = exports::authorize(&session.actor)?;
    let number = q.into_inner().lot_number.trim().to_string();
    if number.is_empty() {
        return Ok(see_other("/trace"));
    }
    let filename = format!(
        "trace-{}.csv",
        number.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_")
    );
    let filter = ExportFilter {
        lot_number: number,
        ..ExportFilter::default()
    };
    let opts = CsvOptions { bom: false };
    Ok(stream_csv(&state, &filename, move |conn, sink| {
        exports::write(
            conn,
            &clinic,
            ExportKind::Traceability,
            &filter,
            &opts,
            sink,
            &mut |_| {},
        )
    }))
}
