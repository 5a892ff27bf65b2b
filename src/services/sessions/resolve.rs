//! From a session request to what will be taken from stock: the header fields, the
//! cocktail, each item's product, quantity and lot, then the screening. Every field
//! error is collected (scoped like `items[2].quantity`) so one 422 lists them all.

use chrono::SubsecRound;
use rust_decimal::Decimal;

use super::{ItemInput, SessionInput};
use crate::db::formulations::FormulationVersion;
use crate::db::lots;
use crate::db::products::{self, Product};
use crate::db::{self, Conn};
use crate::domain::ids::{ClinicId, FormulationId, LotId, ProductId};
use crate::domain::limits;
use crate::domain::screening::Contraindication;
use crate::domain::treatment::{check_performed_at, parse_patient_ref, Area, Method};
use crate::domain::usage::{variance, Variance};
use crate::domain::{optional_text, quantity, Checks, FieldError};
use crate::error::{AppError, AppResult, ConflictKind};
use crate::services::formulations::{get_in as get_formulation, screen_products};
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
    pub items: Vec<Item>,
    pub lines: Vec<Variance>,
}

/// One product to take, in its stock unit, from a named lot or first-expiry-first-out.
pub(super) struct Item {
    pub product: Product,
    pub quantity: Decimal,
    pub lot_id: Option<LotId>,
}

pub(super) fn resolve(
    conn: &mut Conn,
    clinic: &ClinicId,
    input: SessionInput,
) -> AppResult<Resolved> {
    // Lists over their limit are refused before any of their entries costs a look-up.
    if let Some(items) = &input.items {
        limits::list_len("items", items.len())?;
    }
    limits::list_len("conditions", input.conditions.len())?;
    let mut c = Checks::new();
    let patient_ref = c.take("patient_ref", parse_patient_ref(&input.patient_ref));
    let area = c.take("area", Area::parse(&input.area));
    let method = c.take("method", Method::parse(&input.method));
    let override_reason = c.take(
        "override_reason",
        optional_text(
            input.override_reason.as_deref(),
            crate::domain::limits::REASON,
        ),
    );
    let now = db::now();
    let performed_at = input
        .performed_at
        .map_or(now, |t| t.naive_utc().trunc_subsecs(6));
    c.take("performed_at", check_performed_at(performed_at, now));
    let formulation = cocktail(conn, clinic, &input, method, &mut c)?;
    let mut items = Vec::new();
    for (i, raw) in requested_items(&input, formulation.as_ref(), &mut c)
        .into_iter()
        .enumerate()
    {
        match item(conn, clinic, &format!("items[{i}]"), raw)? {
            Ok(it) => items.push(it),
            Err(errs) => c.extend(errs),
        }
    }
    // Screening needs valid products; unknown conditions are a field error like any other.
    let used: Vec<Product> = items.iter().map(|i| i.product.clone()).collect();
    let screening = match screen_products(conn, clinic, &input.conditions, &used) {
        Ok(s) => Some(s),
        Err(AppError::Invalid(errs)) => {
            c.extend(errs);
            None
        }
        Err(e) => return Err(e),
    };
    c.into_result().map_err(AppError::Invalid)?;
    let (
        Some(patient_ref),
        Some(area),
        Some(method),
        Some(override_reason),
        Some((conditions, found)),
    ) = (patient_ref, area, method, override_reason, screening)
    else {
        return Err(AppError::invalid("body", "invalid session"));
    };
    if !found.is_empty() && override_reason.is_none() {
        return Err(contraindicated(found));
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
        performed_at,
        formulation: formulation.map(|f| (f.formulation_id, f.version)),
        conditions,
        contraindications: found,
        override_reason,
        items,
        lines,
    })
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

/// The items as given, or the cocktail's components when none are given.
fn requested_items(
    input: &SessionInput,
    formulation: Option<&FormulationVersion>,
    c: &mut Checks,
) -> Vec<ItemInput> {
    match (&input.items, formulation) {
        (Some(items), _) if items.is_empty() => {
            c.fail("items", "a session uses at least one product");
            Vec::new()
        }
        (Some(items), _) => items.clone(),
        (None, Some(f)) => f
            .components
            .iter()
            .map(|(product_id, amount)| ItemInput {
                product_id: product_id.clone(),
                quantity: *amount,
                lot_id: None,
                code: None,
            })
            .collect(),
        (None, None) => {
            if input.formulation_id.is_none() {
                c.fail("items", "give a formulation_id or the items used");
            }
            Vec::new()
        }
    }
}

/// One item: a scanned code names product and lot; the quantity must suit the product's
/// unit; a named lot must be a lot of that product.
fn item(
    conn: &mut Conn,
    clinic: &ClinicId,
    field: &str,
    mut raw: ItemInput,
) -> AppResult<Result<Item, Vec<FieldError>>> {
    if let Some(code) = raw.code.take() {
        match scanned(conn, clinic, field, &code)? {
            Ok((product_id, lot_id)) => {
                raw.product_id = product_id;
                raw.lot_id = Some(lot_id);
            }
            Err(errs) => return Ok(Err(errs)),
        }
    }
    let Some(product) = products::get(conn, clinic, &raw.product_id)? else {
        return Ok(Err(vec![FieldError::new(
            &format!("{field}.product_id"),
            format!("no product {} in this clinic", raw.product_id),
        )]));
    };
    let mut c = Checks::new();
    let q = c.take(
        &format!("{field}.quantity"),
        quantity::positive(raw.quantity).and_then(|q| quantity::in_unit(product.stock_unit, q)),
    );
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
    Ok(match (c.into_result(), q) {
        (Ok(()), Some(quantity)) => Ok(Item {
            product,
            quantity,
            lot_id: raw.lot_id,
        }),
        (Err(errs), _) => Err(errs),
        (Ok(()), None) => Err(vec![FieldError::new(
            &format!("{field}.quantity"),
            "invalid quantity",
        )]),
    })
}

/// The (product id, lot id) a scanned code names in this clinic.
fn scanned(
    conn: &mut Conn,
    clinic: &ClinicId,
    field: &str,
    code: &str,
) -> AppResult<Result<(ProductId, LotId), Vec<FieldError>>> {
    let field = format!("{field}.code");
    let found = match scan_in(conn, clinic, &field, code) {
        Ok(f) => f,
        Err(AppError::Invalid(errs)) => return Ok(Err(errs)),
        Err(e) => return Err(e),
    };
    Ok(match (found.product, found.lot) {
        (Some(p), Some(l)) => Ok((p.id, l.id)),
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
