//! The manager's buying and receiving pages: `/receive` (a delivery received by scanning,
//! all lines at once), `/reorder`, `/purchase-orders` and `/purchase-orders/{id}` (send,
//! CSV, receiving against the order by scanning). Every rule comes from the same services
//! as the JSON API.

use crate::domain::ids::{LotId, ProductId, PurchaseOrderId, SupplierId};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::session::WebConfig;
use super::treatment::human;
use super::{check_posted, page, posted, see_other, Frame, Signed, UiError};
use crate::db::orders::OrderLine;
use crate::db::suppliers::Supplier;
use crate::domain::requests::{
    LineInput, OrderInput, OrderPatch, ReceiptInput, ReceiptLineInput, ReceiveInput,
};
use crate::domain::role::Action;
use crate::error::AppError;
use crate::http::extract::{run, AppState};
use crate::services::accounts::WebSession;
use crate::services::lots::{self};
use crate::services::orders::{self};
use crate::services::{catalog, planning};

// ---- /receive

/// One scanned line of a delivery, as the page shows it.
pub(super) struct ReceiveLine {
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
    id: LotId,
    label: String,
}

#[derive(Template)]
#[template(path = "buying/receive.html")]
struct ReceivePage {
    frame: Frame,
    csrf_token: String,
    form: ReceiveState,
}

/// What `/receive` shows besides its frame: the lines so far, when the delivery arrived
/// (empty: now), the errors, and after a delivery its lots.
#[derive(Default)]
struct ReceiveState {
    lines: Vec<ReceiveLine>,
    scan_error: Option<String>,
    alert: Option<String>,
    received: Vec<Received>,
    /// `Arrived (UTC)` as typed (`YYYY-MM-DDTHH:MM`, the browser's `datetime-local`).
    arrived: String,
    arrived_error: Option<String>,
    /// The fridges to choose from (id, name): none when the clinic has no fridge, and
    /// then the select is not shown.
    fridges: Vec<(String, String)>,
    /// The fridge chosen (empty: none), and the receipt's refusal of it.
    fridge: String,
    fridge_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReceiveQuery {
    /// Set by the redirect after a delivery was received: the lots, comma-separated.
    received: String,
}

fn receive_page(session: &WebSession, form: ReceiveState, status: StatusCode) -> HttpResponse {
    page(
        status,
        &ReceivePage {
            frame: Frame::at("Receive a delivery", "/receive", Some(session)),
            csrf_token: session.csrf_token.clone(),
            form,
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
    let ids: Vec<LotId> = q
        .received
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(200)
        .map(LotId::from)
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
    let form = ReceiveState {
        received,
        fridges: fridge_choices(&state, &session).await?,
        ..ReceiveState::default()
    };
    Ok(receive_page(&session, form, StatusCode::OK))
}

/// The clinic's fridges for the receive page's select.
async fn fridge_choices(
    state: &AppState,
    session: &WebSession,
) -> Result<Vec<(String, String)>, UiError> {
    let actor = session.actor.clone();
    let fridges = run(state, move |conn| {
        crate::services::cold_chain::list_fridges(conn, &actor)
    })
    .await?;
    Ok(fridges
        .into_iter()
        .map(|f| (f.fridge.id, f.fridge.name))
        .collect())
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
        let (product_id, lot_number, expires_on, _) =
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

/// What a scanning form posted: its lines (re-read from their codes), the new scan's
/// error if any, and whether `Receive all` was pressed.
pub(super) struct Scanned {
    pub lines: Vec<ReceiveLine>,
    pub scan_error: Option<String>,
    pub commit: bool,
    /// The `received_at` field, as typed (only `/receive` has it).
    pub arrived: String,
    /// The `fridge_id` field (only `/receive` has it).
    pub fridge: String,
}

/// Reads a scanning form (`/receive`, `/purchase-orders/{id}`): CSRF first, then the
/// manager's right, then each carried line and the new scan, read through the same
/// receiving rules as the API. Enter in `Scan a code` adds a line (the first button);
/// `Remove` drops one.
pub(super) async fn read_scans(
    req: &HttpRequest,
    state: &AppState,
    cfg: &WebConfig,
    session: &WebSession,
    body: &[u8],
) -> Result<Scanned, UiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    check_posted(req, cfg, session, body)?;
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
    let (lines, scan_error) = run(state, move |conn| {
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
    Ok(Scanned {
        lines,
        scan_error,
        commit,
        arrived: field("received_at"),
        fridge: field("fridge_id"),
    })
}

/// Every button of `/receive` posts here; `Receive all` receives every line in one
/// transaction (`services::lots::receive_lines`), then redirects to the page with the
/// lots received.
#[post("/receive")]
pub async fn receive(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let Scanned {
        lines,
        scan_error,
        commit,
        arrived,
        fridge,
    } = read_scans(&req, &state, &cfg, &session, &body).await?;
    let form = ReceiveState {
        lines,
        scan_error,
        arrived,
        fridges: fridge_choices(&state, &session).await?,
        fridge,
        ..ReceiveState::default()
    };
    if !commit {
        let status = if form.scan_error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        return Ok(receive_page(&session, form, status));
    }
    commit_lines(&state, &session, form).await
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

/// The containers typed per line, or false after marking the lines whose count is not a
/// whole number (the API takes a whole number; a form field may hold anything).
pub(super) fn counts(lines: &mut [ReceiveLine]) -> Option<Vec<i64>> {
    let mut out = Vec::with_capacity(lines.len());
    let mut unreadable = false;
    for line in lines.iter_mut() {
        match line.containers.parse::<i64>() {
            Ok(n) => out.push(n),
            Err(_) => {
                line.containers_error = Some(if line.containers.is_empty() {
                    "give the number of containers received".into()
                } else {
                    "must be a whole number of containers".into()
                });
                unreadable = true;
            }
        }
    }
    (!unreadable).then_some(out)
}

/// Puts a refused receipt's errors next to their line (`lines[i].containers` → that
/// line's Containers; a conflict names its line); answers what belongs to no line.
pub(super) fn place_errors(lines: &mut [ReceiveLine], e: AppError) -> Option<String> {
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
    alert
}

pub(super) const NOTHING_RECEIVED: &str = "Nothing was received: fix the lines marked below.";

/// Receives every line at once; errors go back next to their line's field, and the
/// arrival time's next to it.
async fn commit_lines(
    state: &AppState,
    session: &WebSession,
    mut form: ReceiveState,
) -> Result<HttpResponse, UiError> {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if form.lines.is_empty() {
        form.scan_error = Some("scan at least one code before receiving".into());
        return Ok(receive_page(session, form, unprocessable));
    }
    // The page's times are UTC: a `datetime-local` value is read as such.
    let received_at = match form.arrived.as_str() {
        "" => None,
        typed => match chrono::NaiveDateTime::parse_from_str(typed, "%Y-%m-%dT%H:%M") {
            Ok(t) => Some(t.and_utc()),
            Err(_) => {
                form.arrived_error = Some(format!(
                    "{typed:?} is not a date and time; use YYYY-MM-DDTHH:MM (UTC)"
                ));
                form.alert = Some(NOTHING_RECEIVED.into());
                return Ok(receive_page(session, form, unprocessable));
            }
        },
    };
    let Some(counts) = counts(&mut form.lines) else {
        form.alert = Some(NOTHING_RECEIVED.into());
        return Ok(receive_page(session, form, unprocessable));
    };
    let requests = form
        .lines
        .iter()
        .zip(counts)
        .map(|(line, containers)| ReceiveInput {
            product_id: None,
            lot_number: None,
            expires_on: None,
            containers,
            unit_cost: None,
            supplier_id: None,
            code: Some(line.code.clone()),
            received_at,
            // One delivery goes into one fridge; the service asks for it only when a
            // line is kept refrigerated.
            fridge_id: (!form.fridge.is_empty()).then(|| form.fridge.clone()),
        })
        .collect();
    let actor = session.actor.clone();
    let result = run(state, move |conn| {
        lots::receive_lines(conn, &actor, requests)
    })
    .await;
    match result {
        Ok(received) => {
            let ids: Vec<String> = received.into_iter().map(|l| l.id.0).collect();
            let query =
                serde_urlencoded::to_string([("received", ids.join(","))]).unwrap_or_default();
            Ok(see_other(&format!("/receive?{query}")))
        }
        Err(AppError::Invalid(errs)) => {
            // One arrival time for the delivery: its error once, next to its field.
            let (when, rest): (Vec<_>, Vec<_>) = errs
                .into_iter()
                .partition(|f| f.field.ends_with("received_at"));
            form.arrived_error = when.into_iter().map(|f| f.message).next();
            let (rest, fridge_error) = split_fridge_error(AppError::Invalid(rest));
            form.fridge_error = fridge_error;
            let alert = place_errors(&mut form.lines, rest);
            form.alert = Some(alert.unwrap_or_else(|| NOTHING_RECEIVED.into()));
            Ok(receive_page(session, form, unprocessable))
        }
        Err(e @ AppError::Conflict { .. }) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let alert = place_errors(&mut form.lines, e);
            form.alert = Some(alert.unwrap_or_else(|| NOTHING_RECEIVED.into()));
            Ok(receive_page(session, form, status))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- /reorder

struct SuggestionRow {
    product_id: ProductId,
    product: String,
    containers: i64,
    reason: String,
}

struct SupplierGroup {
    /// None: the products have no supplier, so no order can be made for them.
    supplier_id: Option<SupplierId>,
    supplier: String,
    rows: Vec<SuggestionRow>,
}

#[derive(Template)]
#[template(path = "buying/reorder.html")]
struct ReorderPage {
    frame: Frame,
    csrf_token: String,
    groups: Vec<SupplierGroup>,
    alert: Option<String>,
}

async fn reorder_view(
    state: &AppState,
    session: &WebSession,
    alert: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let groups = run(state, move |conn| planning::suggestions(conn, &actor)).await?;
    let groups = groups
        .into_iter()
        .map(|(key, list)| SupplierGroup {
            supplier: key
                .as_ref()
                .map_or_else(|| "No supplier".to_string(), |(_, name)| name.clone()),
            supplier_id: key.map(|(id, _)| id),
            rows: list
                .into_iter()
                .map(|s| SuggestionRow {
                    product_id: s.product.id.clone(),
                    product: format!("{} ({})", s.product.name, s.product.sku),
                    containers: s.containers,
                    reason: s.reason,
                })
                .collect(),
        })
        .collect();
    Ok(page(
        status,
        &ReorderPage {
            frame: Frame::at("Reorder", "/reorder", Some(session)),
            csrf_token: session.csrf_token.clone(),
            groups,
            alert,
        },
    ))
}

/// The reorder suggestions grouped by supplier, each line with its reason, and
/// `Create purchase order` per supplier.
#[get("/reorder")]
pub async fn reorder_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
) -> Result<HttpResponse, UiError> {
    reorder_view(&state, &session, None, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OrderForm {
    supplier_id: SupplierId,
}

/// A purchase order from the supplier's current suggestions (`services::orders::create`
/// with `from_suggestions`), then its page.
#[post("/reorder")]
pub async fn create_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: OrderForm = posted(&req, &cfg, &session, &body)?;
    let actor = session.actor.clone();
    let input = OrderInput {
        supplier_id: form.supplier_id,
        from_suggestions: true,
        lines: Vec::new(),
    };
    match run(&state, move |conn| orders::create(conn, &actor, input)).await {
        Ok((order, _)) => Ok(see_other(&format!("/purchase-orders/{}", order.id))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let alert = super::alert_text(&e);
            reorder_view(&state, &session, Some(alert), status).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- /purchase-orders

struct OrderListRow {
    id: PurchaseOrderId,
    supplier: String,
    status: String,
    created: String,
    lines: usize,
    total: String,
}

#[derive(Template)]
#[template(path = "buying/orders.html")]
struct OrdersPage {
    frame: Frame,
    orders: Vec<OrderListRow>,
}

fn money(d: Decimal) -> String {
    format!("{:.2}", d)
}

fn supplier_name(suppliers: &[Supplier], id: &str) -> String {
    suppliers
        .iter()
        .find(|s| s.id == id)
        .map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// Every purchase order, newest first as the API lists them, with its total.
#[get("/purchase-orders")]
pub async fn orders_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let (all, suppliers) = run(&state, move |conn| {
        let all = orders::list(conn, &actor)?
            .into_iter()
            .map(|o| orders::get(conn, &actor, &o.id))
            .collect::<Result<Vec<_>, AppError>>()?;
        let suppliers = catalog::list_suppliers(conn, &actor, None)?;
        Ok((all, suppliers))
    })
    .await?;
    let orders = all
        .into_iter()
        .map(|(o, lines)| OrderListRow {
            supplier: supplier_name(&suppliers, &o.supplier_id),
            status: human(o.status.as_str()),
            created: o.created_at.format("%Y-%m-%d").to_string(),
            lines: lines.len(),
            total: money(lines.iter().map(OrderLine::total).sum()),
            id: o.id,
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        &OrdersPage {
            frame: Frame::at("Purchase orders", "/purchase-orders", Some(&session)),
            orders,
        },
    ))
}

struct OrderLineRow {
    product_id: ProductId,
    product: String,
    containers: i64,
    unit_cost: String,
    total: String,
    received: i64,
    reason: String,
}

#[derive(Template)]
#[template(path = "buying/order.html")]
struct OrderPage {
    frame: Frame,
    csrf_token: String,
    id: PurchaseOrderId,
    supplier: String,
    status: String,
    created: String,
    order_lines: Vec<OrderLineRow>,
    total: String,
    can_send: bool,
    can_receive: bool,
    /// A draft's lines can be changed.
    can_edit: bool,
    /// Nothing was received yet: the order can be cancelled.
    can_cancel: bool,
    cancel_reason: Option<String>,
    notice: Option<String>,
    alert: Option<String>,
    /// The receiving form's scanned lines.
    lines: Vec<ReceiveLine>,
    scan_error: Option<String>,
    /// The fridges to receive into (none: the clinic has no fridge), the one chosen and
    /// the receipt's refusal of it.
    fridges: Vec<(String, String)>,
    fridge: String,
    fridge_error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OrderQuery {
    /// Set by the redirect after `Send` or a receipt.
    done: String,
}

/// The order page's receiving form as posted: its scanned lines, the new scan's error,
/// and the fridge chosen for the delivery with the receipt's refusal of it.
#[derive(Default)]
struct Receiving {
    lines: Vec<ReceiveLine>,
    scan_error: Option<String>,
    fridge: String,
    fridge_error: Option<String>,
}

async fn order_view(
    state: &AppState,
    session: &WebSession,
    id: PurchaseOrderId,
    notice: Option<String>,
    alert: Option<String>,
    receiving: Receiving,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let fridges = fridge_choices(state, session).await?;
    let actor = session.actor.clone();
    let ((order, order_lines), suppliers) = run(state, move |conn| {
        let order = orders::get(conn, &actor, &id)?;
        let suppliers = catalog::list_suppliers(conn, &actor, None)?;
        Ok((order, suppliers))
    })
    .await?;
    Ok(page(
        status,
        &OrderPage {
            frame: Frame::at("Purchase order", "/purchase-orders", Some(session)),
            csrf_token: session.csrf_token.clone(),
            supplier: supplier_name(&suppliers, &order.supplier_id),
            status: human(order.status.as_str()),
            created: order.created_at.format("%Y-%m-%d").to_string(),
            total: money(order_lines.iter().map(OrderLine::total).sum()),
            order_lines: order_lines
                .iter()
                .map(|l| OrderLineRow {
                    product_id: l.product_id.clone(),
                    product: format!("{} ({})", l.name, l.sku),
                    containers: l.containers,
                    unit_cost: money(l.unit_cost),
                    total: money(l.total()),
                    received: l.received_containers,
                    reason: l.reason.clone().unwrap_or_default(),
                })
                .collect(),
            can_send: order.status.send().is_ok(),
            can_receive: order.status.can_receive().is_ok(),
            can_edit: order.status.can_edit().is_ok(),
            can_cancel: order
                .status
                .cancel(order_lines.iter().any(|l| l.received_containers > 0))
                .is_ok(),
            cancel_reason: order.cancel_reason.clone(),
            id: order.id,
            notice,
            alert,
            lines: receiving.lines,
            scan_error: receiving.scan_error,
            fridges,
            fridge: receiving.fridge,
            fridge_error: receiving.fridge_error,
        },
    ))
}

/// The order: lines, totals, `Send`, `Download CSV`, and receiving against it by scanning.
#[get("/purchase-orders/{id}")]
pub async fn order_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<PurchaseOrderId>,
    q: web::Query<OrderQuery>,
) -> Result<HttpResponse, UiError> {
    let id = id.into_inner();
    if let Some(order) = id.strip_suffix(".csv") {
        return order_csv(&state, &session, PurchaseOrderId::from(order)).await;
    }
    let notice = match q.done.as_str() {
        "send" => Some("Order sent: download its CSV for the supplier.".to_string()),
        "receive" => Some("Received: the boxes are in stock as lots.".to_string()),
        "edit" => Some("Order changed.".to_string()),
        "cancel" => Some("Order cancelled: it is no longer on order.".to_string()),
        _ => None,
    };
    order_view(
        &state,
        &session,
        id,
        notice,
        None,
        Receiving::default(),
        StatusCode::OK,
    )
    .await
}

/// The supplier CSV of an order for a signed-in browser: the same writer and bytes as
/// `GET /api/v1/purchase-orders/{id}.csv`.
async fn order_csv(
    state: &AppState,
    session: &WebSession,
    id: PurchaseOrderId,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let (order, bytes) = run(state, move |conn| orders::supplier_csv(conn, &actor, &id)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"order-{}.csv\"", order.id),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}

/// draft → sent, then back to the order.
#[post("/purchase-orders/{id}/send")]
pub async fn send_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<PurchaseOrderId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    check_posted(&req, &cfg, &session, &body)?;
    let (actor, id) = (session.actor.clone(), id.into_inner());
    let target = id.clone();
    match run(&state, move |conn| orders::send(conn, &actor, &target)).await {
        Ok(_) => Ok(see_other(&format!("/purchase-orders/{id}?done=send"))),
        Err(e @ AppError::Conflict { .. }) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            order_view(
                &state,
                &session,
                id,
                None,
                Some(e.to_string()),
                Receiving::default(),
                status,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// Receiving against the order by scanning: lines carried like `/receive`; `Receive all`
/// calls `services::orders::receive` (all lines in one transaction).
#[post("/purchase-orders/{id}/receive")]
pub async fn receive_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<PurchaseOrderId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let id = id.into_inner();
    let Scanned {
        lines,
        scan_error,
        commit,
        fridge,
        ..
    } = read_scans(&req, &state, &cfg, &session, &body).await?;
    let mut form = Receiving {
        lines,
        scan_error,
        fridge,
        fridge_error: None,
    };
    if !commit || form.lines.is_empty() {
        let status = if form.scan_error.is_some() || commit {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        if commit && form.scan_error.is_none() {
            form.scan_error = Some("scan at least one code before receiving".to_string());
        }
        return order_view(&state, &session, id, None, None, form, status).await;
    }
    let Some(counts) = counts(&mut form.lines) else {
        let alert = Some(NOTHING_RECEIVED.into());
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return order_view(&state, &session, id, None, alert, form, status).await;
    };
    // Ticked by the manager after the page showed an over-receipt.
    let confirm_over_receipt = form_urlencoded::parse(&body)
        .any(|(name, value)| name == "confirm_over_receipt" && value == "yes");
    let receipt = ReceiptInput {
        lines: form
            .lines
            .iter()
            .zip(counts)
            .map(|(l, containers)| ReceiptLineInput {
                product_id: None,
                lot_number: None,
                expires_on: None,
                containers,
                code: Some(l.code.clone()),
                fridge_id: None,
            })
            .collect(),
        received_at: None,
        confirm_over_receipt,
        // One delivery goes into one fridge, as on `/receive`.
        fridge_id: (!form.fridge.is_empty()).then(|| form.fridge.clone()),
    };
    let (actor, target) = (session.actor.clone(), id.clone());
    match run(&state, move |conn| {
        orders::receive(conn, &actor, &target, receipt)
    })
    .await
    {
        Ok(_) => Ok(see_other(&format!("/purchase-orders/{id}?done=receive"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let (e, fridge_error) = split_fridge_error(e);
            form.fridge_error = fridge_error;
            let alert = place_errors(&mut form.lines, e);
            let alert = Some(alert.unwrap_or_else(|| NOTHING_RECEIVED.into()));
            order_view(&state, &session, id, None, alert, form, status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// One fridge takes a whole delivery: its first refusal goes next to the select, and the
/// rest of a refusal to the lines.
fn split_fridge_error(e: AppError) -> (AppError, Option<String>) {
    match e {
        AppError::Invalid(errs) => {
            let (fridge, rest): (Vec<_>, Vec<_>) = errs
                .into_iter()
                .partition(|f| f.field.ends_with("fridge_id"));
            let message = fridge.into_iter().map(|f| f.message).next();
            (AppError::Invalid(rest), message)
        }
        other => (other, None),
    }
}

/// The reason of a cancel.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CancelBody {
    reason: String,
}

/// Cancel an order nothing was received on, then back to it.
#[post("/purchase-orders/{id}/cancel")]
pub async fn cancel_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<PurchaseOrderId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: CancelBody = posted(&req, &cfg, &session, &body)?;
    let (actor, id) = (session.actor.clone(), id.into_inner());
    let target = id.clone();
    let result = run(&state, move |conn| {
        orders::cancel(conn, &actor, &target, &form.reason)
    })
    .await;
    order_changed(&state, &session, id, "cancel", result.map(|_| ())).await
}

/// A draft's new containers per line (a line left at 0 or empty is taken off), then back
/// to the order.
#[post("/purchase-orders/{id}/edit")]
pub async fn edit_order(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<PurchaseOrderId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    check_posted(&req, &cfg, &session, &body)?;
    let (mut products, mut counts) = (Vec::new(), Vec::new());
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "product_id" => products.push(ProductId::from(value.trim())),
            "containers" => counts.push(value.trim().to_string()),
            _ => {}
        }
    }
    let mut lines = Vec::new();
    for (product_id, count) in products.into_iter().zip(counts) {
        if count.is_empty() || count == "0" {
            continue;
        }
        match count.parse::<i64>() {
            Ok(containers) => lines.push(LineInput {
                product_id,
                containers,
            }),
            Err(_) => {
                let e = AppError::invalid(
                    "containers",
                    format!("{count:?} is not a whole number of containers"),
                );
                return order_changed(&state, &session, id.into_inner(), "edit", Err(e)).await;
            }
        }
    }
    let (actor, id) = (session.actor.clone(), id.into_inner());
    let target = id.clone();
    let result = run(&state, move |conn| {
        orders::update(conn, &actor, &target, OrderPatch { lines })
    })
    .await;
    order_changed(&state, &session, id, "edit", result.map(|_| ())).await
}

/// After a change of the order: back to it, or the order with what was refused.
async fn order_changed(
    state: &AppState,
    session: &WebSession,
    id: PurchaseOrderId,
    done: &str,
    result: Result<(), AppError>,
) -> Result<HttpResponse, UiError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/purchase-orders/{id}?done={done}"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let alert = super::alert_text(&e);
            order_view(
                state,
                session,
                id,
                None,
                Some(alert),
                Receiving::default(),
                status,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
