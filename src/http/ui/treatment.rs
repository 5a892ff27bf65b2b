//! The practitioner at the treatment chair: log a session (scan, check, log), read
//! sessions, void one (manager), plan courses. Each page calls the same services as its
//! API twin; a form is just another request type.

use crate::domain::course::CourseStatus;
use crate::domain::ids::{CourseId, FormulationId, LotId, ProductId, SessionId};
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use super::session::WebConfig;
use super::{check_posted, page, posted, see_other, Frame, Signed, UiError};
use crate::db::products::Product;
use crate::db::sessions::SessionFilter;
use crate::domain::quantity;
use crate::domain::requests::{CourseInput, SessionInput};
use crate::domain::role::Role;
use crate::domain::screening::{condition_label, Contraindication};
use crate::domain::treatment::{Area, Method, SessionStatus};
use crate::domain::FieldError;
use crate::error::{AppError, ConflictKind};
use crate::http::extract::{run, AppState};
use crate::services::desk::{self, FormChoices};
use crate::services::sessions::{self, Idempotency, SessionDetail};
use crate::services::{courses, scan};

/// An option of a `<select>` or a checkbox.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A `<select>`'s options: a blank first choice labelled `blank` (nothing chosen), then
/// each `(value, label)`; the one whose value is `selected` is selected.
pub fn select_options(
    blank: &str,
    selected: &str,
    items: impl IntoIterator<Item = (String, String)>,
) -> Vec<Opt> {
    let first = Opt {
        value: String::new(),
        label: blank.to_string(),
        selected: selected.is_empty(),
    };
    std::iter::once(first)
        .chain(items.into_iter().map(|(value, label)| Opt {
            selected: value == selected,
            value,
            label,
        }))
        .collect()
}

fn opt(value: &str, label: String, selected: bool) -> Opt {
    Opt {
        value: value.to_string(),
        label,
        selected,
    }
}

/// "kidney_disease" → "Kidney disease".
pub fn human(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn product_label(p: &Product) -> String {
    format!("{} ({})", p.name, p.sku)
}

/// One line of a session list.
pub struct SessionRow {
    pub id: SessionId,
    pub time: String,
    pub patient_ref: String,
    pub area: String,
    pub method: String,
    pub practitioner: String,
    pub status: String,
}

impl SessionRow {
    pub fn of(d: &SessionDetail) -> SessionRow {
        SessionRow {
            id: d.session.id.clone(),
            time: d.session.performed_at.format("%Y-%m-%d %H:%M").to_string(),
            patient_ref: d.session.patient_ref.clone(),
            area: d.session.area.to_string(),
            method: d.session.method.to_string(),
            practitioner: d.practitioner.clone(),
            status: d.session.status.to_string(),
        }
    }
}

// ---- the session form

/// The form as posted: every field is text, parsed by the same service as the API.
#[derive(Debug, Default, Clone)]
struct SessionForm {
    idempotency_key: String,
    items_from: String,
    patient_ref: String,
    area: String,
    method: String,
    formulation_id: FormulationId,
    conditions: Vec<String>,
    /// "I asked the patient": without it (and no condition ticked) screening is unanswered.
    screened: bool,
    items: Vec<ItemRow>,
    override_reason: String,
    area_override_reason: String,
    scan: String,
    action: String,
}

#[derive(Debug, Default, Clone)]
struct ItemRow {
    product_id: ProductId,
    amount: String,
    lot_id: LotId,
}

impl SessionForm {
    fn parse(body: &[u8]) -> SessionForm {
        let mut f = SessionForm::default();
        let mut rows: std::collections::BTreeMap<usize, ItemRow> = Default::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "idempotency_key" => f.idempotency_key = v,
                "items_from" => f.items_from = v,
                "patient_ref" => f.patient_ref = v,
                "area" => f.area = v,
                "method" => f.method = v,
                "formulation_id" => f.formulation_id = v.into(),
                "condition" => f.conditions.push(v),
                "screened" => f.screened = !v.is_empty(),
                "override_reason" => f.override_reason = v,
                "area_override_reason" => f.area_override_reason = v,
                "scan" => f.scan = v,
                "action" => f.action = v,
                other => {
                    let Some((field, i)) = other.rsplit_once('_') else {
                        continue;
                    };
                    let Ok(i) = i.parse::<usize>() else { continue };
                    if i >= 100 {
                        continue;
                    }
                    let row = rows.entry(i).or_default();
                    match field {
                        "item_product" => row.product_id = v.into(),
                        "item_amount" => row.amount = v,
                        "item_lot" => row.lot_id = v.into(),
                        _ => {}
                    }
                }
            }
        }
        f.items = rows
            .into_values()
            .filter(|r| !r.product_id.is_empty())
            .collect();
        f
    }

    /// Items from the cocktail's components.
    fn fill_from_cocktail(&mut self, choices: &FormChoices) -> bool {
        let Some(c) = choices
            .cocktails
            .iter()
            .find(|c| c.formulation_id == self.formulation_id)
        else {
            return false;
        };
        self.items = c
            .components
            .iter()
            .map(|(product_id, amount)| ItemRow {
                product_id: product_id.clone(),
                amount: amount.normalize().to_string(),
                lot_id: LotId::default(),
            })
            .collect();
        if self.method.is_empty() {
            self.method = c.method.to_string();
        }
        self.items_from = self.formulation_id.to_string();
        true
    }

    /// The request body the API would get, and the session it parses into. A component of
    /// the cocktail whose row was removed is sent as omitted, so the session records the
    /// practitioner's choice instead of the cocktail's amount.
    fn to_request(&self, choices: &FormChoices) -> Result<(Value, SessionInput), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut items = Vec::new();
        for (i, row) in self.items.iter().enumerate() {
            let amount = row.amount.trim().replace(',', ".");
            match quantity::parse_decimal(&amount) {
                Ok(q) => {
                    let mut item = json!({"product_id": row.product_id, "quantity": q.to_string()});
                    if !row.lot_id.is_empty() {
                        item["lot_id"] = json!(row.lot_id);
                    }
                    items.push(item);
                }
                Err(_) => errors.push(FieldError::new(
                    &format!("items[{i}].quantity"),
                    "enter an amount such as 2 or 0.5",
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let cocktail = choices
            .cocktails
            .iter()
            .find(|c| c.formulation_id == self.formulation_id);
        for (product_id, _) in cocktail.map_or(&[][..], |c| c.components.as_slice()) {
            if !self.items.iter().any(|r| r.product_id == *product_id) {
                items.push(json!({"product_id": product_id, "omit": true}));
            }
        }
        let mut body = json!({
            "patient_ref": self.patient_ref,
            "area": self.area,
            "method": self.method,
            "items": items,
        });
        // Unanswered screening is sent as such: the service refuses it.
        if self.screened || !self.conditions.is_empty() {
            body["conditions"] = json!(self.conditions);
        }
        if !self.formulation_id.is_empty() {
            body["formulation_id"] = json!(self.formulation_id);
        }
        if !self.override_reason.trim().is_empty() {
            body["override_reason"] = json!(self.override_reason);
        }
        if !self.area_override_reason.trim().is_empty() {
            body["area_override_reason"] = json!(self.area_override_reason);
        }
        let input: SessionInput = serde_json::from_value(body.clone())
            .map_err(|e| vec![FieldError::new("body", e.to_string())])?;
        Ok((body, input))
    }
}

#[derive(Default)]
struct FieldErrors {
    patient_ref: Option<String>,
    area: Option<String>,
    method: Option<String>,
    formulation_id: Option<String>,
    conditions: Option<String>,
    items: Option<String>,
    override_reason: Option<String>,
    area_override_reason: Option<String>,
}

struct ItemView {
    i: usize,
    n: usize,
    products: Vec<Opt>,
    amount: String,
    unit: String,
    lots: Vec<Opt>,
    product_error: Option<String>,
    amount_error: Option<String>,
    lot_error: Option<String>,
}

struct UsageRow {
    product: String,
    lot_number: String,
    expires_on: String,
    quantity: String,
    wasted: String,
}

struct PlanBox {
    ok: bool,
    screening: String,
    contraindications: Vec<String>,
    usage: Vec<UsageRow>,
}

#[derive(Template)]
#[template(path = "sessions/new.html")]
struct NewSessionPage {
    frame: Frame,
    csrf_token: String,
    idempotency_key: String,
    items_from: String,
    patient_ref: String,
    override_reason: String,
    area_override_reason: String,
    screened: bool,
    cocktails: Vec<Opt>,
    areas: Vec<Opt>,
    methods: Vec<Opt>,
    conditions: Vec<Opt>,
    items: Vec<ItemView>,
    errors: FieldErrors,
    general_errors: Vec<String>,
    /// Every field error again at the top, each a link to its field: on a tablet the
    /// field may be far below the fold.
    summary: Vec<(String, String)>,
    scan_error: Option<String>,
    notice: Option<String>,
    alert: Option<String>,
    contraindications: Vec<String>,
    show_override: bool,
    show_area_override: bool,
    plan: Option<PlanBox>,
}

/// What the page shows besides the form's own values.
#[derive(Default)]
struct Outcome {
    field_errors: Vec<FieldError>,
    scan_error: Option<String>,
    notice: Option<String>,
    alert: Option<String>,
    contraindications: Vec<Contraindication>,
    /// The cocktail is not for the session's area.
    off_area: bool,
    plan: Option<PlanBox>,
}

/// The id of the input a service's field error is about (`items[2].quantity` →
/// `item_amount_2`), for the error summary's links.
fn field_anchor(field: &str) -> String {
    let item = field
        .strip_prefix("items[")
        .and_then(|r| r.split_once("]."))
        .and_then(|(i, f)| i.parse::<usize>().ok().map(|i| (i, f)));
    match item {
        Some((i, "quantity")) => format!("item_amount_{i}"),
        Some((i, "lot_id")) => format!("item_lot_{i}"),
        Some((i, _)) => format!("item_product_{i}"),
        None if field == "items" => "item_product_0".into(),
        None => field.to_string(),
    }
}

/// A field error in words: `items[2].quantity` is "Item 3, amount".
fn summary_line(field: &str, message: &str) -> String {
    let item = field
        .strip_prefix("items[")
        .and_then(|r| r.split_once("]."))
        .and_then(|(i, f)| i.parse::<usize>().ok().map(|i| (i + 1, f)));
    let label = match item {
        Some((n, "quantity")) => format!("Item {n}, amount"),
        Some((n, "lot_id")) => format!("Item {n}, lot"),
        Some((n, "code")) => format!("Item {n}, scanned code"),
        Some((n, _)) => format!("Item {n}, product"),
        None => match field {
            "patient_ref" => "Patient code".into(),
            "formulation_id" => "Cocktail".into(),
            "area" => "Area".into(),
            "method" => "Method".into(),
            "conditions" => "Conditions".into(),
            "items" => "Items".into(),
            "override_reason" => "Override reason".into(),
            "area_override_reason" => "Reason for another area".into(),
            "performed_at" => "Time".into(),
            other => other.to_string(),
        },
    };
    format!("{label}: {message}")
}

fn describe(c: &Contraindication) -> String {
    format!(
        "{} with {}: {}",
        c.ingredient,
        condition_label(&c.condition),
        c.message
    )
}

fn usage_rows(detail: &SessionDetail, products: &[Product]) -> Vec<UsageRow> {
    detail
        .usage
        .iter()
        .map(|u| UsageRow {
            product: products
                .iter()
                .find(|p| p.id == u.product_id)
                .map(product_label)
                .unwrap_or_else(|| u.sku.clone()),
            lot_number: u.lot_number.clone(),
            expires_on: u.expires_on.to_string(),
            quantity: u.quantity.normalize().to_string(),
            wasted: u.wasted.normalize().to_string(),
        })
        .collect()
}

fn render_form(
    session: &crate::services::accounts::WebSession,
    form: &SessionForm,
    choices: &FormChoices,
    out: Outcome,
    status: StatusCode,
) -> HttpResponse {
    let mut errors = FieldErrors::default();
    let mut general = Vec::new();
    let mut item_errors: HashMap<(usize, String), String> = HashMap::new();
    let summary: Vec<(String, String)> = out
        .field_errors
        .iter()
        .map(|e| (field_anchor(&e.field), summary_line(&e.field, &e.message)))
        .chain(
            out.scan_error
                .iter()
                .map(|e| ("scan".to_string(), format!("Scan a code: {e}"))),
        )
        .collect();
    for e in out.field_errors {
        let slot = match e.field.as_str() {
            "patient_ref" => &mut errors.patient_ref,
            "area" => &mut errors.area,
            "method" => &mut errors.method,
            "formulation_id" => &mut errors.formulation_id,
            "conditions" => &mut errors.conditions,
            "items" => &mut errors.items,
            "override_reason" => &mut errors.override_reason,
            "area_override_reason" => &mut errors.area_override_reason,
            other => {
                let parsed = other
                    .strip_prefix("items[")
                    .and_then(|r| r.split_once("]."))
                    .and_then(|(i, f)| i.parse::<usize>().ok().map(|i| (i, f.to_string())));
                match parsed {
                    Some(key) => {
                        item_errors.insert(key, e.message);
                    }
                    None => general.push(format!("{}: {}", e.field, e.message)),
                }
                continue;
            }
        };
        *slot = Some(e.message);
    }
    let products = |selected: &str| -> Vec<Opt> {
        choices
            .products
            .iter()
            .map(|p| opt(&p.id, product_label(p), p.id == selected))
            .collect()
    };
    let mut items: Vec<ItemView> = form
        .items
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let product = choices.products.iter().find(|p| p.id == row.product_id);
            let lots = choices
                .lots
                .iter()
                .filter(|l| l.product_id == row.product_id)
                .map(|l| {
                    opt(
                        &l.id,
                        format!(
                            "{} (expires {}, {} left)",
                            l.lot_number,
                            l.expires_on,
                            l.on_hand.normalize()
                        ),
                        l.id == row.lot_id,
                    )
                })
                .collect();
            let mut take = |f: &str| item_errors.remove(&(i, f.to_string()));
            let product_error = take("product_id").or_else(|| take("code"));
            let amount_error = take("quantity");
            let lot_error = take("lot_id");
            ItemView {
                i,
                n: i + 1,
                products: products(&row.product_id),
                amount: row.amount.clone(),
                unit: product
                    .map(|p| p.stock_unit.to_string())
                    .unwrap_or_default(),
                lots,
                product_error,
                amount_error,
                lot_error,
            }
        })
        .collect();
    // One empty row to add an item without the script.
    let n = items.len();
    items.push(ItemView {
        i: n,
        n: n + 1,
        products: products(""),
        amount: String::new(),
        unit: String::new(),
        lots: Vec::new(),
        product_error: None,
        amount_error: None,
        lot_error: None,
    });
    general.extend(item_errors.into_values());
    let show_override = !out.contraindications.is_empty()
        || out
            .plan
            .as_ref()
            .is_some_and(|p| !p.contraindications.is_empty())
        || !form.override_reason.trim().is_empty();
    let show_area_override = out.off_area || !form.area_override_reason.trim().is_empty();
    let page_view = NewSessionPage {
        frame: Frame::at("New session", "/sessions/new", Some(session)),
        csrf_token: session.csrf_token.clone(),
        idempotency_key: form.idempotency_key.clone(),
        items_from: form.items_from.clone(),
        patient_ref: form.patient_ref.clone(),
        override_reason: form.override_reason.clone(),
        area_override_reason: form.area_override_reason.clone(),
        screened: form.screened,
        cocktails: choices
            .cocktails
            .iter()
            .map(|c| {
                opt(
                    &c.formulation_id,
                    format!("{} ({}, v{})", c.name, c.method, c.version),
                    c.formulation_id == form.formulation_id,
                )
            })
            .collect(),
        areas: Area::ALL
            .iter()
            .map(|a| opt(a.as_str(), human(a.as_str()), a.as_str() == form.area))
            .collect(),
        methods: Method::ALL
            .iter()
            .map(|m| opt(m.as_str(), m.label().into(), m.as_str() == form.method))
            .collect(),
        conditions: choices
            .conditions
            .iter()
            .map(|c| opt(c, condition_label(c), form.conditions.contains(c)))
            .collect(),
        items,
        errors,
        general_errors: general,
        summary,
        scan_error: out.scan_error,
        notice: out.notice,
        alert: out.alert,
        contraindications: out.contraindications.iter().map(describe).collect(),
        show_override,
        show_area_override,
        plan: out.plan,
    };
    page(status, &page_view)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PrefillQuery {
    patient_ref: String,
    area: String,
    method: String,
    formulation_id: FormulationId,
}

/// The empty form, or one prefilled from a planned course session.
#[get("/sessions/new")]
pub async fn new_session_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<PrefillQuery>,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let choices = run(&state, move |conn| desk::form_choices(conn, &actor)).await?;
    let q = q.into_inner();
    let mut form = SessionForm {
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        patient_ref: q.patient_ref,
        area: q.area,
        method: q.method,
        formulation_id: q.formulation_id,
        ..SessionForm::default()
    };
    if !form.formulation_id.is_empty() {
        form.fill_from_cocktail(&choices);
    }
    Ok(render_form(
        &session,
        &form,
        &choices,
        Outcome::default(),
        StatusCode::OK,
    ))
}

/// Check (dry run), scan, add an item, or log the session.
#[post("/sessions/new")]
pub async fn new_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    check_posted(&req, &cfg, &session, &body)?;
    let mut form = SessionForm::parse(&body);
    if form.idempotency_key.trim().is_empty() {
        form.idempotency_key = uuid::Uuid::new_v4().to_string();
    }
    let actor = session.actor.clone();
    let choices = run(&state, move |conn| desk::form_choices(conn, &actor)).await?;
    let mut out = Outcome::default();

    // A new cocktail fills the items (the page works without its script).
    let refilled = !form.formulation_id.is_empty()
        && form.formulation_id != form.items_from
        && form.fill_from_cocktail(&choices);
    if refilled {
        out.notice = Some("The items were filled from the cocktail. Check, then log.".into());
    }
    // A scanned code picks its lot into the matching item, or adds the item.
    let code = form.scan.trim().to_string();
    if code.is_empty() && refilled {
        return Ok(render_form(&session, &form, &choices, out, StatusCode::OK));
    }
    if !code.is_empty() {
        form.scan.clear();
        let actor = session.actor.clone();
        let found = run(&state, move |conn| scan::scan(conn, &actor, &code)).await;
        match found {
            Ok(found) => match (found.product, found.lot) {
                (Some(p), Some(l)) => {
                    let usable = choices.lots.iter().any(|u| u.id == l.id);
                    // A lot that cannot be used changes nothing in the items: the vial in
                    // the practitioner's hand must not become another lot of its product.
                    if usable {
                        match form.items.iter_mut().find(|r| r.product_id == p.id) {
                            Some(row) => row.lot_id = l.id.clone(),
                            None => form.items.push(ItemRow {
                                product_id: p.id.clone(),
                                amount: String::new(),
                                lot_id: l.id.clone(),
                            }),
                        }
                    }
                    if usable {
                        out.notice = Some(format!(
                            "Scanned lot {} of {}.",
                            l.lot_number,
                            product_label(&p)
                        ));
                    } else {
                        let reason = crate::domain::lot::derived_state(
                            l.status,
                            l.expires_on,
                            l.on_hand,
                            crate::services::today(),
                        )
                        .blocked_reason
                        .unwrap_or_else(|| "nothing left in it".into());
                        out.scan_error = Some(format!(
                            "Lot {} of {} cannot be used: {reason}.",
                            l.lot_number, p.sku
                        ));
                    }
                }
                (Some(p), None) => {
                    out.scan_error = Some(format!(
                        "Lot {} of {} was never received.",
                        found.scan.lot_number.unwrap_or_default(),
                        p.sku
                    ))
                }
                (None, _) => {
                    out.scan_error = Some("No product of this clinic has the scanned GTIN.".into())
                }
            },
            Err(AppError::Invalid(errs)) => {
                out.scan_error = errs.into_iter().next().map(|e| e.message);
            }
            // A lot number that only matches lots spelt differently: said next to the field.
            Err(AppError::Conflict { detail, .. }) => out.scan_error = Some(detail),
            Err(e) => return Err(e.into()),
        }
        return Ok(render_form(&session, &form, &choices, out, StatusCode::OK));
    }
    if form.action == "add" {
        return Ok(render_form(&session, &form, &choices, out, StatusCode::OK));
    }
    let (request, input) = match form.to_request(&choices) {
        Ok(r) => r,
        Err(errs) => {
            out.field_errors = errs;
            return Ok(render_form(
                &session,
                &form,
                &choices,
                out,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let actor = session.actor.clone();
    if form.action == "log" {
        let key = Idempotency::new(form.idempotency_key.clone(), &request);
        let writer = state.writer.clone();
        let result = run(&state, move |conn| {
            sessions::log(conn, &writer, &actor, input, Some(key)).map(|l| l.detail.session.id)
        })
        .await;
        return match result {
            Ok(id) => Ok(see_other(&format!("/sessions/{id}?logged=1"))),
            Err(e) => Ok(show_error(&session, &form, &choices, out, e)?),
        };
    }
    // Check: the plan, nothing written.
    let result = run(&state, move |conn| sessions::dry_run(conn, &actor, input)).await;
    match result {
        Ok(plan) => {
            out.plan = Some(PlanBox {
                ok: plan.ok,
                screening: if plan.contraindications.is_empty() {
                    "No contraindication for the conditions ticked.".into()
                } else if plan.ok {
                    "Contraindicated, overridden with the reason given.".into()
                } else {
                    "Contraindicated: do not treat, or give an override reason.".into()
                },
                contraindications: plan.contraindications.iter().map(describe).collect(),
                usage: usage_rows(&plan.detail, &choices.products),
            });
            Ok(render_form(&session, &form, &choices, out, StatusCode::OK))
        }
        Err(e) => Ok(show_error(&session, &form, &choices, out, e)?),
    }
}

/// A refusal shown next to the fields, in the API's words.
fn show_error(
    session: &crate::services::accounts::WebSession,
    form: &SessionForm,
    choices: &FormChoices,
    mut out: Outcome,
    e: AppError,
) -> Result<HttpResponse, UiError> {
    use actix_web::ResponseError;
    let status = e.status_code();
    match e {
        AppError::Invalid(errs) => out.field_errors = errs,
        AppError::Conflict {
            kind,
            detail,
            extra,
        } => {
            if kind == ConflictKind::Contraindicated {
                out.contraindications = extra
                    .and_then(|x| x.get("contraindications").cloned())
                    .and_then(|v| serde_json::from_value(v).ok())
                    .unwrap_or_default();
                out.alert = Some(
                    "Contraindicated: do not treat, or give an override reason to proceed on your responsibility."
                        .into(),
                );
            } else {
                out.off_area = kind == ConflictKind::AreaNotPlanned;
                out.alert = Some(detail);
            }
        }
        other => return Err(other.into()),
    }
    Ok(render_form(session, form, choices, out, status))
}

// ---- one session, the list, void

struct LineRow {
    product: String,
    planned: String,
    actual: String,
    difference: String,
}

struct SessionShow {
    id: SessionId,
    patient_ref: String,
    status: String,
    void_reason: Option<String>,
    time: String,
    practitioner: String,
    area: String,
    method: String,
    cocktail: String,
    conditions: String,
    override_reason: Option<String>,
    area_override_reason: Option<String>,
    contraindications: String,
    usage: Vec<UsageRow>,
    lines: Vec<LineRow>,
}

#[derive(Template)]
#[template(path = "sessions/show.html")]
struct SessionPage {
    frame: Frame,
    s: SessionShow,
    can_void: bool,
    csrf_token: String,
    notice: Option<String>,
    alert: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ShowQuery {
    logged: Option<String>,
}

async fn show(
    state: &AppState,
    session: &crate::services::accounts::WebSession,
    id: SessionId,
    notice: Option<String>,
    alert: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let (d, products, cocktails) = run(state, move |conn| {
        let d = sessions::get(conn, &actor, &id)?;
        let products = crate::services::catalog::list_products(conn, &actor, None)?;
        let cocktails = crate::services::formulations::list(conn, &actor)?;
        Ok((d, products, cocktails))
    })
    .await?;
    let name = |id: &str| {
        products
            .iter()
            .find(|p| p.id == id)
            .map(product_label)
            .unwrap_or_else(|| id.to_string())
    };
    let lines = d
        .lines
        .iter()
        .map(|l| LineRow {
            product: name(&l.product_id),
            planned: l
                .planned
                .map(|p| p.normalize().to_string())
                .unwrap_or_else(|| "—".into()),
            actual: l.actual.normalize().to_string(),
            difference: l
                .planned
                .map(|p| (l.actual - p).normalize().to_string())
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let s = &d.session;
    let cocktail = match (&s.formulation_id, s.formulation_version) {
        (Some(fid), Some(v)) => {
            let named = cocktails.iter().find(|c| &c.formulation_id == fid);
            format!(
                "{} (version {v})",
                named.map_or_else(|| fid.to_string(), |c| c.name.clone())
            )
        }
        _ => "none".into(),
    };
    let view = SessionShow {
        id: s.id.clone(),
        patient_ref: s.patient_ref.clone(),
        status: s.status.to_string(),
        void_reason: s.void_reason.clone(),
        time: s.performed_at.format("%Y-%m-%d %H:%M").to_string(),
        practitioner: d.practitioner.clone(),
        area: s.area.to_string(),
        method: s.method.to_string(),
        cocktail,
        conditions: if d.conditions.is_empty() {
            "none".into()
        } else {
            d.conditions
                .iter()
                .map(|c| condition_label(c))
                .collect::<Vec<_>>()
                .join(", ")
        },
        override_reason: s.override_reason.clone(),
        area_override_reason: s.area_override_reason.clone(),
        contraindications: d
            .contraindications
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
            .join("; "),
        usage: usage_rows(&d, &products),
        lines,
    };
    let can_void = session.actor.role == Role::Manager && s.status == SessionStatus::Recorded;
    Ok(page(
        status,
        &SessionPage {
            frame: Frame::under(
                &format!("Session of {}", s.patient_ref),
                "/sessions",
                Some(session),
            ),
            s: view,
            can_void,
            csrf_token: session.csrf_token.clone(),
            notice,
            alert,
        },
    ))
}

/// What was used, screening and override, variance against the cocktail; `Void` for a
/// manager. Reloading it after logging shows the same one session.
#[get("/sessions/{id}")]
pub async fn session_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    id: web::Path<SessionId>,
    q: web::Query<ShowQuery>,
) -> Result<HttpResponse, UiError> {
    let notice = q
        .logged
        .as_ref()
        .map(|_| "Session logged. Reloading this page logs nothing again.".to_string());
    show(
        &state,
        &session,
        id.into_inner(),
        notice,
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VoidForm {
    reason: String,
}

#[post("/sessions/{id}/void")]
pub async fn void_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    id: web::Path<SessionId>,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: VoidForm = posted(&req, &cfg, &session, &body)?;
    let id = id.into_inner();
    let actor = session.actor.clone();
    let target = id.clone();
    let result = run(&state, move |conn| {
        sessions::void(conn, &actor, &target, &form.reason)
    })
    .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/sessions/{id}"))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            use actix_web::ResponseError;
            let status = e.status_code();
            let message = super::alert_text(&e);
            show(&state, &session, id, None, Some(message), status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    patient_ref: String,
    from: String,
    to: String,
}

#[derive(Template)]
#[template(path = "sessions/index.html")]
struct SessionsPage {
    frame: Frame,
    patient_ref: String,
    from: String,
    to: String,
    rows: Vec<SessionRow>,
    error: Option<String>,
}

/// Sessions, newest first, filtered by patient code and dates.
#[get("/sessions")]
pub async fn sessions_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, UiError> {
    let q = q.into_inner();
    let date = |field: &str, v: &str| -> Result<Option<NaiveDate>, String> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        v.trim()
            .parse::<NaiveDate>()
            .map(Some)
            .map_err(|_| format!("{field}: use a date such as 2026-11-30"))
    };
    let (from, to) = match (date("From", &q.from), date("To", &q.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => {
            return Ok(page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SessionsPage {
                    frame: Frame::at("Sessions", "/sessions", Some(&session)),
                    patient_ref: q.patient_ref,
                    from: q.from,
                    to: q.to,
                    rows: Vec::new(),
                    error: Some(e),
                },
            ))
        }
    };
    let filter = SessionFilter {
        patient_ref: Some(q.patient_ref.trim().to_string()).filter(|p| !p.is_empty()),
        from: from.and_then(|d| d.and_hms_opt(0, 0, 0)),
        // "To" is inclusive on the page: up to the end of that day.
        to: to
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
        limit: 200,
    };
    let actor = session.actor.clone();
    let all = run(&state, move |conn| sessions::list(conn, &actor, filter)).await?;
    Ok(page(
        StatusCode::OK,
        &SessionsPage {
            frame: Frame::at("Sessions", "/sessions", Some(&session)),
            patient_ref: q.patient_ref,
            from: q.from,
            to: q.to,
            rows: all.iter().map(SessionRow::of).collect(),
            error: None,
        },
    ))
}

// ---- courses

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
struct CourseForm {
    patient_ref: String,
    formulation_id: FormulationId,
    area: String,
    start_on: String,
    sessions: String,
    interval_days: String,
    maintenance_every_days: String,
}

#[derive(Default)]
struct CourseErrors {
    patient_ref: Option<String>,
    formulation_id: Option<String>,
    area: Option<String>,
    start_on: Option<String>,
    sessions: Option<String>,
    interval_days: Option<String>,
    maintenance_every_days: Option<String>,
}

struct CourseRow {
    patient_ref: String,
    cocktail: String,
    area: String,
    dates: String,
}

#[derive(Template)]
#[template(path = "courses/index.html")]
struct CoursesPage {
    frame: Frame,
    csrf_token: String,
    can_plan: bool,
    form: CourseForm,
    cocktails: Vec<Opt>,
    areas: Vec<Opt>,
    errors: CourseErrors,
    general_errors: Vec<String>,
    notice: Option<String>,
    courses: Vec<CourseRow>,
}

async fn courses_view(
    state: &AppState,
    session: &crate::services::accounts::WebSession,
    form: CourseForm,
    errs: Vec<FieldError>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let actor = session.actor.clone();
    let (list, cocktails) = run(state, move |conn| {
        Ok((
            courses::list(conn, &actor, None)?,
            crate::services::formulations::list(conn, &actor)?,
        ))
    })
    .await?;
    let mut errors = CourseErrors::default();
    let mut general = Vec::new();
    for e in errs {
        let slot = match e.field.as_str() {
            "patient_ref" => &mut errors.patient_ref,
            "formulation_id" => &mut errors.formulation_id,
            "area" => &mut errors.area,
            "start_on" => &mut errors.start_on,
            "sessions" => &mut errors.sessions,
            "interval_days" => &mut errors.interval_days,
            "maintenance_every_days" => &mut errors.maintenance_every_days,
            _ => {
                general.push(format!("{}: {}", e.field, e.message));
                continue;
            }
        };
        *slot = Some(e.message);
    }
    let rows = list
        .iter()
        .filter(|(c, _)| c.status == CourseStatus::Active)
        .map(|(c, dates)| CourseRow {
            patient_ref: c.patient_ref.clone(),
            cocktail: cocktails
                .iter()
                .find(|f| f.formulation_id == c.formulation_id)
                .map(|f| f.name.clone())
                .unwrap_or_default(),
            area: c.area.clone(),
            dates: dates
                .iter()
                .map(|d| {
                    if d.session_id.is_some() {
                        format!("{} (done)", d.planned_on)
                    } else {
                        d.planned_on.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let can_plan = matches!(session.actor.role, Role::Practitioner | Role::Manager);
    Ok(page(
        status,
        &CoursesPage {
            frame: Frame::at("Courses", "/courses", Some(session)),
            csrf_token: session.csrf_token.clone(),
            can_plan,
            cocktails: cocktails
                .iter()
                .map(|c| {
                    opt(
                        &c.formulation_id,
                        c.name.clone(),
                        c.formulation_id == form.formulation_id,
                    )
                })
                .collect(),
            areas: Area::ALL
                .iter()
                .map(|a| opt(a.as_str(), human(a.as_str()), a.as_str() == form.area))
                .collect(),
            form,
            errors,
            general_errors: general,
            notice,
            courses: rows,
        },
    ))
}

/// Plan a course (defaults from the area's usual course) and see the planned dates.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CoursesQuery {
    /// The course just planned (the form redirects here, so a reload plans nothing).
    planned: String,
}

#[get("/courses")]
pub async fn courses_page(
    state: web::Data<AppState>,
    Signed(session): Signed,
    q: web::Query<CoursesQuery>,
) -> Result<HttpResponse, UiError> {
    let form = CourseForm {
        start_on: crate::services::today().to_string(),
        ..CourseForm::default()
    };
    let notice = match q.0.planned.trim() {
        "" => None,
        id => {
            let (actor, id) = (session.actor.clone(), CourseId::from(id));
            let (course, dates) = run(&state, move |conn| courses::get(conn, &actor, &id)).await?;
            let list = dates
                .iter()
                .map(|d| d.planned_on.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            Some(format!(
                "Course planned for {}: {list}.",
                course.patient_ref
            ))
        }
    };
    courses_view(&state, &session, form, Vec::new(), notice, StatusCode::OK).await
}

#[post("/courses")]
pub async fn plan_course(
    req: HttpRequest,
    state: web::Data<AppState>,
    cfg: web::Data<WebConfig>,
    Signed(session): Signed,
    body: web::Bytes,
) -> Result<HttpResponse, UiError> {
    let form: CourseForm = posted(&req, &cfg, &session, &body)?;
    let mut errs = Vec::new();
    let number = |field: &str, v: &str, errs: &mut Vec<FieldError>| -> Option<i64> {
        if v.trim().is_empty() {
            return None;
        }
        match v.trim().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errs.push(FieldError::new(field, "enter a whole number"));
                None
            }
        }
    };
    let sessions_n = number("sessions", &form.sessions, &mut errs);
    let interval = number("interval_days", &form.interval_days, &mut errs);
    let maintenance = number(
        "maintenance_every_days",
        &form.maintenance_every_days,
        &mut errs,
    );
    let start_on = match form.start_on.trim().parse::<NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(FieldError::new("start_on", "use a date such as 2026-12-01"));
            None
        }
    };
    let Some(start_on) = start_on.filter(|_| errs.is_empty()) else {
        return courses_view(
            &state,
            &session,
            form,
            errs,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let actor = session.actor.clone();
    let input = CourseInput {
        patient_ref: form.patient_ref.clone(),
        formulation_id: form.formulation_id.clone(),
        area: form.area.clone(),
        start_on,
        sessions: sessions_n,
        interval_days: interval,
        maintenance_every_days: maintenance,
    };
    let result = run(&state, move |conn| courses::create(conn, &actor, input)).await;
    match result {
        // Post, then redirect: a reload shows the course again and plans nothing twice.
        Ok((course, _)) => Ok(see_other(&format!("/courses?planned={}", course.id))),
        Err(AppError::Invalid(errs)) => {
            courses_view(
                &state,
                &session,
                form,
                errs,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_codes_read_as_words() {
        assert_eq!(human("kidney_disease"), "Kidney disease");
        assert_eq!(human("aspirin_within_14_days"), "Aspirin within 14 days");
        assert_eq!(human(""), "");
    }

    #[test]
    fn the_form_keeps_item_rows_in_order_and_drops_empty_ones() {
        let f = SessionForm::parse(
            b"patient_ref=P-1&condition=diabetes&condition=pregnancy&item_product_1=b&item_amount_1=2\
              &item_product_0=a&item_amount_0=0%2C5&item_lot_0=L&item_product_2=&item_amount_2=9\
              &item_product_999=x&action=log",
        );
        assert_eq!(f.patient_ref, "P-1");
        assert_eq!(f.conditions, ["diabetes", "pregnancy"]);
        let products: Vec<&str> = f.items.iter().map(|r| r.product_id.as_str()).collect();
        assert_eq!(
            products,
            ["a", "b"],
            "ordered by row, the empty and absurd rows dropped"
        );
        assert_eq!(f.items[0].lot_id, "L");
        let (body, input) = f.to_request(&no_choices()).unwrap();
        assert_eq!(
            body["items"][0]["quantity"], "0.5",
            "a decimal comma is accepted"
        );
        assert_eq!(input.conditions.map(|c| c.len()), Some(2));
        let bad = SessionForm {
            items: vec![ItemRow {
                product_id: "a".into(),
                amount: "two".into(),
                lot_id: LotId::default(),
            }],
            ..SessionForm::default()
        };
        let errs = bad.to_request(&no_choices()).unwrap_err();
        assert_eq!(errs[0].field, "items[0].quantity");
    }

    fn no_choices() -> FormChoices {
        FormChoices {
            cocktails: Vec::new(),
            products: Vec::new(),
            lots: Vec::new(),
            conditions: Vec::new(),
        }
    }

    #[test]
    fn screening_is_sent_only_when_answered() {
        let unanswered = SessionForm::parse(b"patient_ref=P-1&item_product_0=a&item_amount_0=1");
        let (body, _) = unanswered.to_request(&no_choices()).unwrap();
        assert!(body.get("conditions").is_none(), "{body}");
        let none =
            SessionForm::parse(b"patient_ref=P-1&screened=1&item_product_0=a&item_amount_0=1");
        let (body, _) = none.to_request(&no_choices()).unwrap();
        assert_eq!(body["conditions"], json!([]));
    }

    #[test]
    fn a_removed_component_is_sent_as_omitted() {
        let mut choices = no_choices();
        choices
            .cocktails
            .push(crate::db::formulations::FormulationVersion {
                formulation_id: "f".into(),
                version: 1,
                latest_version: 1,
                name: "Face".into(),
                method: Method::Injectable,
                areas: vec![Area::Face],
                components: vec![("a".into(), 2.into()), ("b".into(), 1.into())],
                component_labels: Vec::new(),
                created_by: "s".into(),
                created_at: chrono::NaiveDateTime::default(),
            });
        let f = SessionForm::parse(
            b"formulation_id=f&items_from=f&screened=1&item_product_0=a&item_amount_0=2",
        );
        let (body, _) = f.to_request(&choices).unwrap();
        assert_eq!(body["items"][1], json!({"product_id": "b", "omit": true}));
    }
}
