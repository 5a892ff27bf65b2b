//! From a session request to what will be taken from stock: the header fields, the
//! screening answer (required), the cocktail (its areas bind), each item's product,
//! quantity and lot merged into the cocktail's components per product, then the
//! screening. Every field error is collected (scoped like `items[2].quantity`) so one 422
//! lists them all.

use chrono::SubsecRound;
use rust_decimal::Decimal;

use crate::db::catalogue::{self, Catalogue};
use crate::db::formulations::FormulationVersion;
use crate::db::lots;
use crate::db::products::Product;
use crate::db::{self, Conn};
use crate::domain::gs1::ScanDetail;
use crate::domain::ids::{ClinicId, FormulationId, LotId, ProductId};
use crate::domain::limits;
use crate::domain::lot::check_expiry_matches;
use crate::domain::requests::{ItemInput, SessionInput};
use crate::domain::screening::Contraindication;
use crate::domain::treatment::{
    check_back_dating, parse_patient_code, Area, Method, PatientCodePattern,
};
use crate::domain::usage::{variance, Variance};
use crate::domain::{optional_text, quantity, Checks, FieldError};
use crate::error::{AppError, AppResult, ConflictKind};
use crate::services::formulations::{get_in as get_formulation, screen_with};
use crate::services::scan::scan_in;

/// A session request that passed every check that needs no stock.
pub(super) struct Resolved {
    pub patient_ref: String,
    pub area: Area,
    pub method: Method,
    pub performed_at: chrono::NaiveDateTime,
    /// (formulation id, version)
    pub formulation: Option<(FormulationId, i64)>,
    pub conditions: Vec<String>,
    pub contraindications: Vec<Contraindication>,
    pub override_reason: Option<String>,
    pub area_override_reason: Option<String>,
    pub items: Vec<Item>,
    pub lines: Vec<Variance>,
}

/// One product to take, in its stock unit, from a named lot or first-expiry-first-out.
pub(super) struct Item {
    pub product: Product,
    pub quantity: Decimal,
    pub lot_id: Option<LotId>,
    /// The code the item was scanned from, kept with its movements and usage.
    pub scanned: Option<ScanDetail>,
}

/// What the screening answer must look like, said when it is missing.
const SCREENING_REQUIRED: &str = "answer the screening: list the patient's conditions, or [] when asked and none (GET /api/v1/conditions lists them)";

pub(super) fn resolve(
    conn: &mut Conn,
    clinic: &ClinicId,
    input: SessionInput,
) -> AppResult<Resolved> {
    // Lists over their limit are refused before any of their entries costs a look-up.
    if let Some(items) = &input.items {
        limits::list_len("items", items.len())?;
    }
    if let Some(conditions) = &input.conditions {
        limits::list_len("conditions", conditions.len())?;
    }
    // One read of the clinic's row; its products and rules come from memory while its
    // catalogue version is unchanged (`db::catalogue`).
    let (pattern, version) =
        catalogue::head(conn, clinic)?.ok_or_else(|| AppError::not_found("clinic"))?;
    let cat = catalogue::at(conn, clinic, version)?;
    let mut c = Checks::new();
    let h = header(
        &PatientCodePattern::of_clinic(pattern.as_deref()),
        &input,
        &mut c,
    );
    let formulation = cocktail(conn, clinic, &input, h.method, &mut c)?;
    let given = given_items(conn, clinic, &cat, &input, formulation.as_ref(), &mut c)?;
    let items = merge_items(&cat, formulation.as_ref(), given, &mut c)?;
    let screening = screen(&cat, &input, &items, &mut c)?;
    c.into_result().map_err(AppError::Invalid)?;
    let (
        Some(patient_ref),
        Some(area),
        Some(method),
        Some(override_reason),
        Some(area_override_reason),
        Some((conditions, found)),
    ) = (
        h.patient_ref,
        h.area,
        h.method,
        h.override_reason,
        h.area_override_reason,
        screening,
    )
    else {
        return Err(AppError::invalid("body", "invalid session"));
    };
    if !found.is_empty() && override_reason.is_none() {
        return Err(contraindicated(found));
    }
    if let Some(f) = &formulation {
        if !f.areas.contains(&area) && area_override_reason.is_none() {
            return Err(area_not_planned(f, area));
        }
    }
    let taken: Vec<(&ProductId, Decimal)> =
        items.iter().map(|i| (&i.product.id, i.quantity)).collect();
    let lines = variance(
        formulation.as_ref().map(|f| f.components.as_slice()),
        &taken,
    );
    Ok(Resolved {
        patient_ref,
        area,
        method,
        performed_at: h.performed_at,
        formulation: formulation.map(|f| (f.formulation_id, f.version)),
        conditions,
        contraindications: found,
        override_reason,
        area_override_reason,
        items,
        lines,
    })
}

/// Screens the patient's conditions against the products used. Screening needs valid
/// products; unknown conditions are a field error like any other (into `c`, `None`).
fn screen(
    cat: &Catalogue,
    input: &SessionInput,
    items: &[Item],
    c: &mut Checks,
) -> AppResult<Option<(Vec<String>, Vec<Contraindication>)>> {
    let used: Vec<Product> = items.iter().map(|i| i.product.clone()).collect();
    let conditions = input.conditions.clone().unwrap_or_default();
    match screen_with(&cat.rules, &conditions, &used) {
        Ok(s) => Ok(Some(s)),
        Err(AppError::Invalid(errs)) => {
            c.extend(errs);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The session's own fields, each checked (its errors go to `c`); `None` where invalid.
struct Header {
    patient_ref: Option<String>,
    area: Option<Area>,
    method: Option<Method>,
    override_reason: Option<Option<String>>,
    area_override_reason: Option<Option<String>>,
    performed_at: chrono::NaiveDateTime,
}

fn header(pattern: &PatientCodePattern, input: &SessionInput, c: &mut Checks) -> Header {
    let patient_ref = c.take(
        "patient_ref",
        parse_patient_code(&input.patient_ref, pattern),
    );
    let area = c.take("area", Area::parse(&input.area));
    let method = c.take("method", Method::parse(&input.method));
    let override_reason = c.take(
        "override_reason",
        optional_text(input.override_reason.as_deref(), limits::REASON),
    );
    let area_override_reason = c.take(
        "area_override_reason",
        optional_text(input.area_override_reason.as_deref(), limits::REASON),
    );
    if input.conditions.is_none() {
        c.fail("conditions", SCREENING_REQUIRED);
    }
    let now = db::now();
    let performed_at = input
        .performed_at
        .map_or(now, |t| t.naive_utc().trunc_subsecs(6));
    c.take("performed_at", check_back_dating(performed_at, now));
    Header {
        patient_ref,
        area,
        method,
        override_reason,
        area_override_reason,
        performed_at,
    }
}

/// The cocktail named by the request, which must be for the session's method.
fn cocktail(
    conn: &mut Conn,
    clinic: &ClinicId,
    input: &SessionInput,
    method: Option<Method>,
    c: &mut Checks,
) -> AppResult<Option<FormulationVersion>> {
    let Some(id) = &input.formulation_id else {
        return Ok(None);
    };
    let f = match get_formulation(conn, clinic, id, input.formulation_version) {
        Ok(f) => f,
        Err(AppError::NotFound(what)) => {
            c.fail("formulation_id", format!("{what} not found in this clinic"));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if let Some(m) = method.filter(|m| f.method != *m) {
        c.fail(
            "method",
            format!("formulation {} is for {}, not {m}", f.name, f.method),
        );
    }
    Ok(Some(f))
}

/// One item of the request, its product known: `quantity` is `None` when it keeps the
/// component's amount, `omit` when it leaves the component out.
struct Given {
    field: String,
    product: Product,
    quantity: Option<Decimal>,
    lot_id: Option<LotId>,
    scanned: Option<ScanDetail>,
    omit: bool,
    /// The field that asked to omit: `omit`, or `quantity` when it was `"0"`.
    omit_field: &'static str,
}

/// The request's items, each resolved on its own (a scanned code names product and lot;
/// a quantity suits the unit; a named lot is the product's), field errors collected.
fn given_items(
    conn: &mut Conn,
    clinic: &ClinicId,
    cat: &Catalogue,
    input: &SessionInput,
    formulation: Option<&FormulationVersion>,
    c: &mut Checks,
) -> AppResult<Vec<Given>> {
    let items = input.items.clone().unwrap_or_default();
    if formulation.is_none() && items.is_empty() {
        if input.formulation_id.is_none() {
            c.fail("items", "give a formulation_id or the items used");
        }
        return Ok(Vec::new());
    }
    let component_amount = |p: &ProductId| {
        formulation.and_then(|f| f.components.iter().find(|(id, _)| id == p).map(|(_, a)| *a))
    };
    let mut out = Vec::new();
    for (i, raw) in items.into_iter().enumerate() {
        let field = format!("items[{i}]");
        match item(conn, clinic, cat, &field, raw)? {
            Ok(g) => {
                let component = component_amount(&g.product.id);
                let errs = check_given(&g, component.is_some(), formulation);
                if errs.is_empty() {
                    out.push(g);
                } else {
                    c.extend(errs);
                }
            }
            Err(errs) => c.extend(errs),
        }
    }
    Ok(out)
}

/// An omission needs a component to leave out; a quantity defaults only to a component's.
fn check_given(
    g: &Given,
    is_component: bool,
    formulation: Option<&FormulationVersion>,
) -> Vec<FieldError> {
    match (g.omit, g.quantity, is_component) {
        (true, _, false) => vec![FieldError::new(
            &format!("{}.{}", g.field, g.omit_field),
            match formulation {
                Some(f) => format!(
                    "{} is not a component of {}: there is nothing to omit",
                    g.product.sku, f.name
                ),
                None => "must be more than 0: omitting only leaves out a cocktail's component, and this session has none".to_string(),
            },
        )],
        (false, None, false) => vec![FieldError::new(
            &format!("{}.quantity", g.field),
            match formulation {
                Some(f) => format!("{} is not a component of {}: give the quantity used", g.product.sku, f.name),
                None => "give the quantity used".to_string(),
            },
        )],
        _ => Vec::new(),
    }
}

/// The items to take. Without a cocktail, as given. With one, its components in order,
/// each replaced by the given items of its product (left out when omitted), then the
/// given items of other products: one item never drops the rest of the cocktail.
fn merge_items(
    cat: &Catalogue,
    formulation: Option<&FormulationVersion>,
    given: Vec<Given>,
    c: &mut Checks,
) -> AppResult<Vec<Item>> {
    let take = |g: &Given, amount: Decimal| Item {
        product: g.product.clone(),
        quantity: g.quantity.unwrap_or(amount),
        lot_id: g.lot_id.clone(),
        scanned: g.scanned.clone(),
    };
    let Some(f) = formulation else {
        return Ok(given.iter().map(|g| take(g, Decimal::ZERO)).collect());
    };
    // The components no item names are read in one statement.
    let missing: Vec<&ProductId> = f
        .components
        .iter()
        .map(|(p, _)| p)
        .filter(|p| !given.iter().any(|g| g.product.id == **p))
        .collect();
    let mut components = cat.get_many(&missing);
    let mut items = Vec::new();
    for (product_id, amount) in &f.components {
        let mine: Vec<&Given> = given
            .iter()
            .filter(|g| g.product.id == *product_id)
            .collect();
        if mine.is_empty() {
            let at = components.iter().position(|p| p.id == *product_id);
            let product = at.map(|i| components.swap_remove(i)).ok_or_else(|| {
                AppError::Internal(format!("component {product_id} of {} is missing", f.name))
            })?;
            items.push(Item {
                product,
                quantity: *amount,
                lot_id: None,
                scanned: None,
            });
            continue;
        }
        let omitted = mine.iter().find(|g| g.omit);
        let used: Vec<&&Given> = mine.iter().filter(|g| !g.omit).collect();
        match (omitted, used.first()) {
            (Some(o), Some(u)) => c.fail(
                &format!("{}.omit", o.field),
                format!(
                    "{} is omitted here but used in {}; do one or the other",
                    o.product.sku, u.field
                ),
            ),
            _ => items.extend(used.iter().map(|g| take(g, *amount))),
        }
    }
    let others = given
        .iter()
        .filter(|g| !f.components.iter().any(|(p, _)| *p == g.product.id));
    items.extend(others.map(|g| take(g, Decimal::ZERO)));
    if items.is_empty() && c.is_empty() {
        c.fail(
            "items",
            "a session uses at least one product: every component is omitted",
        );
    }
    Ok(items)
}

/// One item: a scanned code names product and lot (its expiry must be the lot's); the
/// quantity, when given, must suit the product's unit (`0` omits); a named lot must be a
/// lot of that product.
fn item(
    conn: &mut Conn,
    clinic: &ClinicId,
    cat: &Catalogue,
    field: &str,
    mut raw: ItemInput,
) -> AppResult<Result<Given, Vec<FieldError>>> {
    let mut detail = None;
    if let Some(code) = raw.code.take() {
        match scanned(conn, clinic, field, &code)? {
            Ok((product_id, lot_id, d)) => {
                raw.product_id = product_id;
                raw.lot_id = Some(lot_id);
                detail = Some(d);
            }
            Err(errs) => return Ok(Err(errs)),
        }
    }
    // Named by id or by a scanned code, the product comes from the clinic's catalogue.
    let Some(product) = cat.get(&raw.product_id).cloned() else {
        return Ok(Err(vec![FieldError::new(
            &format!("{field}.product_id"),
            format!("no product {} in this clinic", raw.product_id),
        )]));
    };
    let mut c = Checks::new();
    let omit = raw.omit || raw.quantity == Some(Decimal::ZERO);
    let quantity = match raw.quantity {
        Some(q) if raw.omit && !q.is_zero() => {
            c.fail(
                &format!("{field}.quantity"),
                "an omitted component takes no quantity",
            );
            None
        }
        Some(q) if !q.is_zero() => c.take(
            &format!("{field}.quantity"),
            quantity::positive(q).and_then(|q| quantity::in_unit(product.stock_unit, q)),
        ),
        _ => None,
    };
    if let Some(lot_id) = &raw.lot_id {
        match lots::get(conn, clinic, lot_id)? {
            Some(l) if l.product_id == product.id => {}
            Some(l) => c.fail(
                &format!("{field}.lot_id"),
                format!("lot {} is not a lot of {}", l.lot_number, product.sku),
            ),
            None => c.fail(
                &format!("{field}.lot_id"),
                format!("no lot {lot_id} in this clinic"),
            ),
        }
    }
    Ok(c.into_result().map(|()| Given {
        field: field.to_string(),
        product,
        quantity,
        lot_id: raw.lot_id,
        scanned: detail,
        omit,
        omit_field: if raw.omit { "omit" } else { "quantity" },
    }))
}

/// The (product id, lot id) a scanned code names in this clinic, and what is kept of it.
fn scanned(
    conn: &mut Conn,
    clinic: &ClinicId,
    field: &str,
    code: &str,
) -> AppResult<Result<(ProductId, LotId, ScanDetail), Vec<FieldError>>> {
    let field = format!("{field}.code");
    let found = match scan_in(conn, clinic, &field, code) {
        Ok(f) => f,
        Err(AppError::Invalid(errs)) => return Ok(Err(errs)),
        Err(e) => return Err(e),
    };
    Ok(match (found.product, found.lot) {
        (Some(p), Some(l)) => {
            // What was scanned is what is used: a code whose expiry is not the lot's
            // names another box than the one on file.
            if let Some(scanned) = found.scan.expires_on {
                check_expiry_matches(&l.lot_number, &p.sku, l.expires_on, scanned).map_err(
                    |e| AppError::Conflict {
                        kind: ConflictKind::ExpiryMismatch,
                        detail: format!("{field}: {e}"),
                        extra: Some(serde_json::json!({
                            "lot_id": l.id,
                            "lot_number": l.lot_number,
                            "expires_on": l.expires_on,
                            "scanned_expires_on": scanned,
                        })),
                    },
                )?;
            }
            Ok((p.id, l.id, found.scan.detail()))
        }
        (Some(p), None) => {
            let lot = found
                .scan
                .lot_number
                .unwrap_or_else(|| "(none in the code)".into());
            Err(vec![FieldError::new(
                &field,
                format!("lot {lot} of {} was never received", p.sku),
            )])
        }
        (None, _) => Err(vec![FieldError::new(
            &field,
            "no product of this clinic has the scanned GTIN",
        )]),
    })
}

/// A cocktail used on an area it is not for.
fn area_not_planned(f: &FormulationVersion, area: Area) -> AppError {
    let areas: Vec<String> = f.areas.iter().map(|a| a.to_string()).collect();
    AppError::Conflict {
        kind: ConflictKind::AreaNotPlanned,
        detail: format!(
            "cocktail {} is for {}, not {area}; choose a cocktail for {area}, or give area_override_reason to proceed",
            f.name,
            areas.join(", ")
        ),
        extra: Some(serde_json::json!({ "area": area, "cocktail_areas": areas })),
    }
}

fn contraindicated(found: Vec<Contraindication>) -> AppError {
    let list: Vec<String> = found
        .iter()
        .map(|f| format!("{} with {}: {}", f.ingredient, f.condition, f.message))
        .collect();
    AppError::Conflict {
        kind: ConflictKind::Contraindicated,
        detail: format!(
            "contraindicated: {}. Do not treat, or give override_reason to proceed on your responsibility",
            list.join("; ")
        ),
        extra: Some(serde_json::json!({ "contraindications": found })),
    }
}
