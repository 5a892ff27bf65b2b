//! Lots: receiving deliveries (by ids or by the scanned GS1 code), status changes, recall
//! and the forward trace.

use chrono::{NaiveDate, SubsecRound};
use rust_decimal::Decimal;

use super::ledger::{record, Entry};
use super::scan::product_of_code;
use super::{today, Actor};
use crate::db::balances;
use crate::db::lots::{self, Lot, LotFilter};
use crate::db::open_containers;
use crate::db::products::{self, Product};
use crate::db::sessions::{self, LotUse};
use crate::db::{self, suppliers, Conn};
use crate::domain::gs1::ScanDetail;
use crate::domain::ids::{ClinicId, LotId, ProductId, RecallCaseId, SupplierId};
use crate::domain::ledger::MovementKind;
use crate::domain::lot::{
    apply_status_change, check_correctable, check_top_up, is_expired, parse_lot_number, LotStatus,
    StatusChange, TopUpRefusal, DERIVED_FILTERS,
};
use crate::domain::requests::{LotPatch, ReceiveInput, ReceiveLotInput};
use crate::domain::role::Action;
use crate::domain::treatment::check_back_dating;
use crate::domain::{quantity, required_text, Checks};
use crate::error::{AppError, AppResult, ConflictKind};

pub fn receive_request(conn: &mut Conn, actor: &Actor, r: ReceiveInput) -> AppResult<Lot> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let (product_id, lot_number, expires_on, scanned) = resolve_receipt(
        conn,
        &clinic,
        "body",
        r.product_id,
        r.lot_number,
        r.expires_on,
        r.code.as_deref(),
    )
    .map_err(|e| match e {
        // Top-level fields carry no prefix.
        AppError::Invalid(errs) => AppError::Invalid(
            errs.into_iter()
                .map(|mut f| {
                    f.field = f.field.trim_start_matches("body.").to_string();
                    f
                })
                .collect(),
        ),
        other => other,
    })?;
    receive_scanned(
        conn,
        actor,
        ReceiveLotInput {
            product_id,
            lot_number,
            expires_on,
            containers: r.containers,
            unit_cost: r.unit_cost,
            supplier_id: r.supplier_id,
            received_at: r.received_at,
            fridge_id: r.fridge_id,
        },
        scanned,
    )
}

/// A delivery of several lines (each by ids or by its scanned code), received
/// all-or-nothing in one transaction: a bad line refuses every line and writes nothing.
/// A line's field errors are named `lines[i].field`; a conflict names its line (1-based).
pub fn receive_lines(
    conn: &mut Conn,
    actor: &Actor,
    lines: Vec<ReceiveInput>,
) -> AppResult<Vec<Lot>> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    crate::domain::limits::list_len("lines", lines.len())?;
    if lines.is_empty() {
        return Err(AppError::invalid("lines", "give at least one line"));
    }
    db::write_tx(conn, |conn| {
        // Every line's product is locked before the first is written (the writers' one lock
        // order), so two deliveries naming the same products in another order take turns
        // instead of deadlocking. A line that names no product is refused below.
        let products: Vec<ProductId> = lines
            .iter()
            .filter_map(|l| match (&l.product_id, &l.code) {
                (Some(p), _) => Some(p.clone()),
                (None, Some(code)) => {
                    resolve_receipt(conn, &clinic, "line", None, None, None, Some(code))
                        .ok()
                        .map(|(p, _, _, _)| p)
                }
                (None, None) => None,
            })
            .collect();
        balances::lock(conn, &clinic, &products.iter().collect::<Vec<_>>())?;
        lines
            .into_iter()
            .enumerate()
            .map(|(i, line)| {
                receive_request(conn, actor, line).map_err(|e| match e {
                    e @ AppError::Invalid(_) => e.within(&format!("lines[{i}]")),
                    other => other.at_line(i as u64 + 1),
                })
            })
            .collect()
    })
}

/// Receives a delivery. A lot number the clinic already holds for this product, with the
/// same expiry, is topped up (a second box of the same lot); with another expiry it is a
/// conflict, because one lot has one expiry.
pub fn receive_lot(conn: &mut Conn, actor: &Actor, input: ReceiveLotInput) -> AppResult<Lot> {
    receive_scanned(conn, actor, input, None)
}

/// [`receive_lot`], keeping the code the delivery was scanned from with its movement.
pub fn receive_scanned(
    conn: &mut Conn,
    actor: &Actor,
    input: ReceiveLotInput,
    scanned: Option<ScanDetail>,
) -> AppResult<Lot> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let d = Delivery::parse(&input)?;
    db::write_tx(conn, |conn| {
        // Two deliveries of one new lot at once: the second waits, then tops it up.
        db::lock_key(
            conn,
            &format!("lot:{clinic}:{}:{}", input.product_id, d.lot_number),
        )?;
        let product = products::get(conn, &clinic, &input.product_id)?.ok_or_else(|| {
            AppError::invalid(
                "product_id",
                format!("no product {} in this clinic", input.product_id),
            )
        })?;
        if product.archived {
            return Err(AppError::conflict(
                ConflictKind::Archived,
                format!(
                    "{} is archived: its stock can be used up, but no new stock is received; bring it back (archived: false) first",
                    product.sku
                ),
            ));
        }
        let quantity = delivered_quantity(&product, d.containers)?;
        let lot_id = top_up_or_add(conn, &clinic, &product, &input, &d, quantity)?;
        let reason = if input.received_at.is_some() {
            format!(
                "received {} container(s) on {} UTC",
                d.containers,
                d.received_at.format("%Y-%m-%d %H:%M")
            )
        } else {
            format!("received {} container(s)", d.containers)
        };
        let entry = Entry::new(MovementKind::Receive, quantity, reason).scanned(scanned);
        record(conn, actor, &clinic, &product, &lot_id, entry)?;
        super::cold_chain::receive_into(
            conn,
            actor,
            &clinic,
            &product,
            &lot_id,
            input.fridge_id.as_deref(),
            d.received_at,
        )?;
        get_lot_in(conn, &clinic, &lot_id)
    })
}

/// A delivery's own fields, checked before anything is read.
struct Delivery {
    lot_number: String,
    containers: i64,
    unit_cost: Option<Decimal>,
    received_at: chrono::NaiveDateTime,
    now: chrono::NaiveDateTime,
}

impl Delivery {
    fn parse(input: &ReceiveLotInput) -> AppResult<Delivery> {
        let mut c = Checks::new();
        let lot_number = c.take("lot_number", parse_lot_number(&input.lot_number));
        let containers = c.take("containers", quantity::count(input.containers, 1, 100_000));
        let unit_cost = match input.unit_cost {
            Some(v) => c.take("unit_cost", quantity::non_negative(v)).map(Some),
            None => Some(None),
        };
        let now = db::now();
        let received_at = input
            .received_at
            .map_or(now, |t| t.naive_utc().trunc_subsecs(6));
        c.take("received_at", check_back_dating(received_at, now));
        c.into_result().map_err(AppError::Invalid)?;
        match (lot_number, containers, unit_cost) {
            (Some(lot_number), Some(containers), Some(unit_cost)) => Ok(Delivery {
                lot_number,
                containers,
                unit_cost,
                received_at,
                now,
            }),
            _ => Err(AppError::invalid("body", "invalid delivery")),
        }
    }
}

/// The lot the delivery tops up (same number, same expiry, not recalled), else a new one.
fn top_up_or_add(
    conn: &mut Conn,
    clinic: &ClinicId,
    product: &Product,
    input: &ReceiveLotInput,
    d: &Delivery,
    quantity: Decimal,
) -> AppResult<LotId> {
    let supplier_id = delivery_supplier(conn, clinic, input, product)?;
    let id = match lots::find_by_number(conn, clinic, &product.id, &d.lot_number)? {
        Some(existing) => {
            check_top_up(
                &d.lot_number,
                &product.sku,
                existing.status,
                existing.expires_on,
                input.expires_on,
            )
            .map_err(|e| {
                let kind = match e {
                    TopUpRefusal::OtherExpiry { .. } => ConflictKind::Duplicate,
                    TopUpRefusal::Recalled { .. } => ConflictKind::LotBlocked,
                };
                AppError::conflict(kind, e.to_string())
            })?;
            lots::add_received(conn, clinic, &existing.id, d.containers, quantity)?;
            // A box of this lot entered as arriving earlier was on the shelf then.
            if d.received_at < existing.received_at {
                lots::set_received_at(conn, clinic, &existing.id, d.received_at)?;
            }
            existing.id
        }
        None => {
            let lot = Lot {
                id: LotId::generate(),
                clinic_id: clinic.clone(),
                product_id: product.id.clone(),
                lot_number: d.lot_number.clone(),
                expires_on: input.expires_on,
                supplier_id,
                containers: d.containers,
                received_quantity: quantity,
                unit_cost: d.unit_cost.unwrap_or(product.unit_cost),
                status: LotStatus::Available,
                status_reason: None,
                on_hand: Decimal::ZERO,
                received_at: d.received_at,
                updated_at: d.now,
            };
            lots::insert(conn, &lot)?;
            lot.id
        }
    };
    Ok(id)
}

/// The delivery's supplier: as given, else the product's preferred one.
fn delivery_supplier(
    conn: &mut Conn,
    clinic: &ClinicId,
    input: &ReceiveLotInput,
    product: &Product,
) -> AppResult<Option<SupplierId>> {
    let supplier_id = input
        .supplier_id
        .clone()
        .filter(|s| !s.is_empty())
        .or(product.supplier_id.clone());
    if let Some(sid) = &supplier_id {
        if suppliers::get(conn, clinic, sid)?.is_none() {
            return Err(AppError::invalid(
                "supplier_id",
                format!("no supplier {sid} in this clinic"),
            ));
        }
    }
    Ok(supplier_id)
}

/// The stock a delivery adds, in the product's unit.
fn delivered_quantity(product: &Product, containers: i64) -> AppResult<Decimal> {
    let quantity = product.content * Decimal::from(containers);
    if quantity >= Decimal::from(quantity::MAX_MAGNITUDE) {
        return Err(AppError::invalid(
            "containers",
            format!(
                "{containers} containers of {} {} is more than one lot can hold",
                product.content, product.stock_unit
            ),
        ));
    }
    Ok(quantity)
}

pub fn change_status(
    conn: &mut Conn,
    actor: &Actor,
    lot_id: &LotId,
    change: StatusChange,
    reason: &str,
) -> AppResult<Lot> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let reason = required_text(reason, crate::domain::limits::REASON)
        .map_err(|e| AppError::invalid("reason", e))?;
    db::write_tx(conn, |conn| {
        // Concurrent changes of one lot take turns: the second sees the first's status.
        db::lock_key(conn, &format!("lot-status:{clinic}:{lot_id}"))?;
        let lot = get_lot_in(conn, &clinic, lot_id)?;
        let current = lot.status;
        let next = apply_status_change(current, change).map_err(|e| {
            AppError::conflict(
                ConflictKind::InvalidState,
                format!("cannot {change} lot {}: {e}", lot.lot_number),
            )
        })?;
        if !lots::set_status(
            conn,
            &clinic,
            (&lot.product_id, &lot.id),
            current,
            next,
            &reason,
        )? {
            return Err(AppError::Internal(format!(
                "lot {} changed status under its lock",
                lot.id
            )));
        }
        super::audit::record(
            conn,
            actor,
            super::audit::Subject::of(&clinic, "lot", &lot.id, change.as_str()),
            Some(&serde_json::json!({"status": lot.status, "status_reason": lot.status_reason})),
            Some(&serde_json::json!({"status": next.as_str(), "status_reason": reason})),
        )?;
        get_lot_in(conn, &clinic, &lot.id)
    })
}

/// Corrects a lot's number or expiry (a typo at receipt). The number follows the GS1
/// rules; a number another lot of the product already has is a 409 (one lot, one
/// expiry: the two would be one lot). The lot keeps its id, stock and movements.
pub fn correct(conn: &mut Conn, actor: &Actor, lot_id: &LotId, patch: LotPatch) -> AppResult<Lot> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let mut c = Checks::new();
    let reason = c.take(
        "reason",
        required_text(&patch.reason, crate::domain::limits::REASON),
    );
    let number = match &patch.lot_number {
        Some(n) => c.take("lot_number", parse_lot_number(n)).map(Some),
        None => Some(None),
    };
    if patch.lot_number.is_none() && patch.expires_on.is_none() {
        c.fail("lot_number", "give lot_number, expires_on or both");
    }
    c.into_result().map_err(AppError::Invalid)?;
    let (Some(reason), Some(number)) = (reason, number) else {
        return Err(AppError::invalid("body", "invalid correction"));
    };
    db::write_tx(conn, |conn| {
        // Status changes of the lot wait, and so do receipts of its new number.
        db::lock_key(conn, &format!("lot-status:{clinic}:{lot_id}"))?;
        let lot = get_lot_in(conn, &clinic, lot_id)?;
        check_correctable(lot.status).map_err(|e| {
            AppError::conflict(
                ConflictKind::InvalidState,
                format!("cannot correct lot {}: {e}", lot.lot_number),
            )
        })?;
        let lot_number = number.unwrap_or_else(|| lot.lot_number.clone());
        let expires_on = patch.expires_on.unwrap_or(lot.expires_on);
        if lot_number == lot.lot_number && expires_on == lot.expires_on {
            return Err(AppError::invalid(
                "lot_number",
                "the lot already has this number and expiry; nothing to correct",
            ));
        }
        if lot_number != lot.lot_number {
            db::lock_key(
                conn,
                &format!("lot:{clinic}:{}:{lot_number}", lot.product_id),
            )?;
            if let Some(other) = lots::find_by_number(conn, &clinic, &lot.product_id, &lot_number)?
            {
                return Err(AppError::Conflict {
                    kind: ConflictKind::Duplicate,
                    detail: format!(
                        "another lot of this product is already numbered {lot_number} (expiry {}); correct that one, or choose another number",
                        other.expires_on
                    ),
                    extra: Some(serde_json::json!({ "lot_id": other.id })),
                });
            }
        }
        lots::correct(conn, &clinic, &lot, &lot_number, expires_on)?;
        super::audit::record(
            conn,
            actor,
            super::audit::Subject::of(&clinic, "lot", &lot.id, "correct"),
            Some(&serde_json::json!({
                "lot_number": lot.lot_number, "expires_on": lot.expires_on, "reason": null,
            })),
            Some(&serde_json::json!({
                "lot_number": lot_number, "expires_on": expires_on, "reason": reason,
            })),
        )?;
        get_lot_in(conn, &clinic, &lot.id)
    })
}

/// Recalls a lot: the lot is blocked for good and a recall case opens with every
/// session that used it. Answers the lot, the sessions and the case id.
pub fn recall(
    conn: &mut Conn,
    actor: &Actor,
    lot_id: &LotId,
    reason: &str,
) -> AppResult<(Lot, Vec<LotUse>, RecallCaseId)> {
    db::write_tx(conn, |conn| {
        let lot = change_status(conn, actor, lot_id, StatusChange::Recall, reason)?;
        let uses = sessions::sessions_using_lot(conn, &lot.clinic_id, &lot.id)?;
        let case = super::recalls::open(conn, actor, &lot.clinic_id, &lot.id, reason, &uses)?;
        Ok((lot, uses, case.id))
    })
}

/// A lot's unusable stock as `waste_unusable` threw it away.
#[derive(Debug, Clone)]
pub struct Wasted {
    pub lot: Lot,
    pub product: Product,
    pub quantity: Decimal,
    /// `expired` or `recalled` (a recalled lot past its date says `recalled`).
    pub why: &'static str,
}

/// Wastes every unit of the clinic's recalled lots and of its lots past their expiry date,
/// in one transaction with one audit entry, and answers what it wasted (nothing when
/// nothing was left). Quarantined lots are kept: quarantine waits for a decision.
pub fn waste_unusable(conn: &mut Conn, actor: &Actor, reason: &str) -> AppResult<Vec<Wasted>> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let reason = required_text(reason, crate::domain::limits::REASON)
        .map_err(|e| AppError::invalid("reason", e))?;
    let today = today();
    // The balances split expired stock at their sweep date: sweep first, so the products
    // found below are exactly those whose lots are unusable today.
    balances::sweep(conn, &clinic, today)?;
    db::write_tx(conn, |conn| {
        let found = balances::with_unusable_stock(conn, &clinic)?;
        let ids: Vec<&ProductId> = found.iter().collect();
        // Writers of these products wait from here on, so the lots read next hold what
        // the waste takes out.
        balances::lock(conn, &clinic, &ids)?;
        let products = products::get_many(conn, &clinic, &ids)?;
        let mut wasted = Vec::new();
        for lot in lots::list_of_products(conn, &clinic, &ids)? {
            let why = match lot.status {
                _ if lot.on_hand <= Decimal::ZERO => continue,
                LotStatus::Recalled => "recalled",
                _ if is_expired(lot.expires_on, today) => "expired",
                _ => continue,
            };
            let product = products
                .iter()
                .find(|p| p.id == lot.product_id)
                .cloned()
                .ok_or_else(|| AppError::Internal(format!("lot {} has no product", lot.id)))?;
            wasted.push(Wasted {
                quantity: lot.on_hand,
                lot,
                product,
                why,
            });
        }
        let entries = wasted
            .iter()
            .map(|w| {
                let entry = Entry::new(
                    MovementKind::Waste,
                    -w.quantity,
                    format!("{} stock wasted: {reason}", w.why),
                );
                (&w.product, w.lot.id.clone(), entry)
            })
            .collect();
        super::ledger::record_all(conn, actor, &clinic, entries, true)?;
        // Their open vials held part of what was just wasted: nothing is left to draw.
        let lot_ids: Vec<&LotId> = wasted.iter().map(|w| &w.lot.id).collect();
        open_containers::close_of_lots(conn, &clinic, &lot_ids)?;
        if !wasted.is_empty() {
            let listed: Vec<serde_json::Value> = wasted
                .iter()
                .map(|w| {
                    serde_json::json!({
                        "lot_id": w.lot.id, "lot_number": w.lot.lot_number,
                        "sku": w.product.sku, "quantity": w.quantity.to_string(), "why": w.why,
                    })
                })
                .collect();
            super::audit::record(
                conn,
                actor,
                super::audit::Subject::of(&clinic, "clinic", clinic.as_str(), "waste_unusable"),
                None::<&()>,
                Some(&serde_json::json!({ "reason": reason, "wasted": listed })),
            )?;
        }
        Ok(wasted)
    })
}

/// Every session that used a lot (forward trace): who, when, how much.
pub fn trace(conn: &mut Conn, actor: &Actor, lot_id: &LotId) -> AppResult<(Lot, Vec<LotUse>)> {
    let clinic = actor.clinic_for(Action::Audit)?;
    let lot = get_lot_in(conn, clinic, lot_id)?;
    let uses = sessions::sessions_using_lot(conn, clinic, &lot.id)?;
    Ok((lot, uses))
}

pub fn trace_by_number(
    conn: &mut Conn,
    actor: &Actor,
    lot_number: &str,
) -> AppResult<Vec<(Lot, Vec<LotUse>)>> {
    let clinic = actor.clinic_for(Action::Audit)?;
    let mut filter = LotFilter {
        lot_number: Some(lot_number.trim().to_string()),
        ..Default::default()
    };
    let mut found = lots::list(conn, clinic, &filter)?;
    if found.is_empty() {
        // A number read off a box or typed in another case still finds its lots.
        filter.any_case = true;
        found = lots::list(conn, clinic, &filter)?;
        let mut spellings: Vec<&str> = found.iter().map(|l| l.lot_number.as_str()).collect();
        spellings.sort_unstable();
        spellings.dedup();
        if spellings.len() > 1 {
            return Err(ambiguous_lot(lot_number.trim(), &found));
        }
    }
    found
        .into_iter()
        .map(|lot| {
            let uses = sessions::sessions_using_lot(conn, clinic, &lot.id)?;
            Ok((lot, uses))
        })
        .collect()
}

/// A product's lot by its number: the exact spelling first, else ignoring case (a number
/// typed or printed in another case). Lots that differ only in case make it a 409.
pub fn find_by_number(
    conn: &mut Conn,
    clinic: &ClinicId,
    product_id: &ProductId,
    lot_number: &str,
) -> AppResult<Option<Lot>> {
    if let Some(lot) = lots::find_by_number(conn, clinic, product_id, lot_number)? {
        return Ok(Some(lot));
    }
    let mut found = lots::find_by_number_any_case(conn, clinic, product_id, lot_number)?;
    if found.len() > 1 {
        return Err(ambiguous_lot(lot_number, &found));
    }
    Ok(found.pop())
}

/// Several lots match a number only when case is ignored: which one is meant is for the
/// user to say.
fn ambiguous_lot(asked: &str, found: &[Lot]) -> AppError {
    let numbers: Vec<&str> = found.iter().map(|l| l.lot_number.as_str()).collect();
    AppError::Conflict {
        kind: ConflictKind::AmbiguousLot,
        detail: format!(
            "lot number {asked} matches {} only when case is ignored: give the number exactly as printed",
            numbers.join(", ")
        ),
        extra: Some(serde_json::json!({
            "lots": found
                .iter()
                .map(|l| serde_json::json!({"lot_id": l.id, "lot_number": l.lot_number, "product_id": l.product_id}))
                .collect::<Vec<_>>(),
        })),
    }
}

/// (SKU, name) by product id.
pub type ProductLabels = std::collections::HashMap<ProductId, (String, String)>;

/// The SKU and name of these lots' products, read in one statement, for views that show
/// them next to ids (people forward these answers; ids alone mean nothing to them).
pub fn product_labels<'a>(
    conn: &mut Conn,
    lots: impl IntoIterator<Item = &'a Lot>,
) -> AppResult<ProductLabels> {
    let lots: Vec<&Lot> = lots.into_iter().collect();
    let Some(first) = lots.first() else {
        return Ok(ProductLabels::new());
    };
    let ids: Vec<&ProductId> = lots.iter().map(|l| &l.product_id).collect();
    Ok(products::get_many(conn, &first.clinic_id, &ids)?
        .into_iter()
        .map(|p| (p.id, (p.sku, p.name)))
        .collect())
}

pub fn get_lot(conn: &mut Conn, actor: &Actor, id: &LotId) -> AppResult<Lot> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    get_lot_in(conn, clinic, id)
}

pub fn get_lot_in(conn: &mut Conn, clinic: &ClinicId, id: &LotId) -> AppResult<Lot> {
    lots::get(conn, clinic, id)?.ok_or_else(|| AppError::not_found(format!("lot {id}")))
}

/// `status` filter values: the stored statuses, plus the derived `expired` (past its
/// expiry, still holding stock) and `usable` (available, not expired, in stock).
pub fn list_lots(
    conn: &mut Conn,
    actor: &Actor,
    product_id: Option<ProductId>,
    lot_number: Option<String>,
    status: Option<&str>,
    expiring_within_days: Option<i64>,
) -> AppResult<Vec<Lot>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    let today = today();
    let mut f = LotFilter {
        product_id,
        lot_number,
        ..Default::default()
    };
    match status {
        None => {}
        Some("expired") => {
            f.in_stock = true;
            f.expires_before = Some(today);
        }
        Some("usable") => {
            f.in_stock = true;
            f.status = Some(LotStatus::Available);
            f.expires_from = Some(today);
        }
        Some(s) => {
            let s = LotStatus::parse(s).map_err(|e| {
                AppError::invalid("status", format!("{e}, {}", DERIVED_FILTERS.join(", ")))
            })?;
            f.status = Some(s);
        }
    }
    if let Some(days) = expiring_within_days {
        let days = quantity::count(days, 0, 3650)
            .map_err(|e| AppError::invalid("expiring_within_days", e))?;
        f.in_stock = true;
        f.expires_from = Some(today);
        f.expires_to = Some(today + chrono::Duration::days(days));
    }
    Ok(lots::list(conn, clinic, &f)?)
}

/// The (product, lot number, expiry) of a delivery line given by ids or by a scanned
/// code, and what is kept of the code; what the code carries must agree with what is
/// typed.
pub fn resolve_receipt(
    conn: &mut Conn,
    clinic: &ClinicId,
    field: &str,
    product_id: Option<ProductId>,
    lot_number: Option<String>,
    expires_on: Option<NaiveDate>,
    code: Option<&str>,
) -> AppResult<(ProductId, String, NaiveDate, Option<ScanDetail>)> {
    let (mut product_id, mut lot_number, mut expires_on) = (product_id, lot_number, expires_on);
    let mut scanned = None;
    if let Some(code) = code {
        let (scan, product) = product_of_code(conn, clinic, &format!("{field}.code"), code)?;
        scanned = Some(scan.detail());
        let Some(product) = product else {
            let gtin = scan
                .gtin
                .map(|g| g.to_string())
                .unwrap_or_else(|| "none".into());
            return Err(AppError::invalid(
                &format!("{field}.code"),
                format!(
                    "no product with GTIN {gtin} in this clinic; add the GTIN to the product first"
                ),
            ));
        };
        if product_id.as_ref().is_some_and(|p| *p != product.id) {
            return Err(AppError::invalid(
                &format!("{field}.product_id"),
                "does not match the scanned GTIN",
            ));
        }
        product_id = Some(product.id);
        agrees(
            field,
            "lot_number",
            "lot",
            lot_number.as_ref(),
            scan.lot_number.as_ref(),
        )?;
        agrees(
            field,
            "expires_on",
            "expiry",
            expires_on.as_ref(),
            scan.expires_on.as_ref(),
        )?;
        lot_number = lot_number.or(scan.lot_number);
        expires_on = expires_on.or(scan.expires_on);
    }
    let mut c = Checks::new();
    if product_id.is_none() {
        c.fail(
            &format!("{field}.product_id"),
            "give product_id or a scanned code",
        );
    }
    if lot_number.is_none() {
        c.fail(
            &format!("{field}.lot_number"),
            "give lot_number (the code had none)",
        );
    }
    if expires_on.is_none() {
        c.fail(
            &format!("{field}.expires_on"),
            "give expires_on (the code had none)",
        );
    }
    c.into_result().map_err(AppError::Invalid)?;
    match (product_id, lot_number, expires_on) {
        (Some(p), Some(l), Some(e)) => Ok((p, l, e, scanned)),
        _ => Err(AppError::invalid(field, "incomplete delivery line")),
    }
}

/// A value typed beside a scanned code must be the one the code carries.
fn agrees<T: PartialEq + std::fmt::Display>(
    field: &str,
    name: &str,
    what: &str,
    typed: Option<&T>,
    scanned: Option<&T>,
) -> AppResult<()> {
    match (typed, scanned) {
        (Some(typed), Some(scanned)) if typed != scanned => Err(AppError::invalid(
            &format!("{field}.{name}"),
            format!("{typed} differs from the scanned {what} {scanned}; leave it out or fix it"),
        )),
        _ => Ok(()),
    }
}
