//! Purchase orders: made from the reorder suggestions or by hand, sent to the supplier
//! as CSV, received (partly or fully) into new lots.

use rust_decimal::Decimal;

use super::audit::{self, Subject};
use super::exports::{write_purchase_order, CsvOptions, OrderHeader};
use super::lots::receive_scanned;
use super::planning;
use super::Actor;
use crate::db::orders::{self as repo, NewLine, OrderLine, PurchaseOrder};
use crate::db::{self, products, suppliers, Conn};
use crate::domain::ids::{ClinicId, ProductId, PurchaseOrderId};
use crate::domain::order::{check_receipt, PurchaseOrderStatus};
use crate::domain::requests::{LineInput, OrderInput, OrderPatch, ReceiptInput, ReceiveLotInput};
use crate::domain::role::Action;
use crate::domain::{quantity, required_text, Checks};
use crate::error::{AppError, AppResult, ConflictKind};

pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    input: OrderInput,
) -> AppResult<(PurchaseOrder, Vec<OrderLine>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let supplier = suppliers::get(conn, &clinic, &input.supplier_id)?.ok_or_else(|| {
        AppError::invalid(
            "supplier_id",
            format!("no supplier {} in this clinic", input.supplier_id),
        )
    })?;
    if supplier.archived {
        return Err(AppError::invalid(
            "supplier_id",
            format!(
                "{} is archived; bring it back (archived: false) to order from it",
                supplier.name
            ),
        ));
    }
    if input.from_suggestions && !input.lines.is_empty() {
        return Err(AppError::invalid(
            "lines",
            "give lines or from_suggestions, not both",
        ));
    }
    let given = if input.from_suggestions {
        None
    } else {
        Some(given_lines(conn, &clinic, &input.lines)?)
    };
    let now = db::now();
    let order = PurchaseOrder {
        id: PurchaseOrderId::generate(),
        clinic_id: clinic.clone(),
        supplier_id: supplier.id.clone(),
        status: PurchaseOrderStatus::Draft,
        created_by: actor.staff_id.clone(),
        created_at: now,
        updated_at: now,
        cancel_reason: None,
    };
    db::write_tx(conn, |conn| {
        let lines = match given {
            Some(lines) => lines,
            None => lines_from_suggestions(conn, actor, &clinic, &supplier)?,
        };
        repo::insert(conn, &order)?;
        insert_lines(conn, &clinic, &order.id, lines)?;
        let lines = repo::lines_of(conn, &order.id)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "purchase_order", &order.id, "create"),
            None::<&()>,
            Some(&lines),
        )?;
        Ok((order, lines))
    })
}

fn insert_lines(
    conn: &mut Conn,
    clinic: &ClinicId,
    order_id: &PurchaseOrderId,
    lines: Vec<Wanted>,
) -> AppResult<()> {
    for (i, l) in lines.into_iter().enumerate() {
        repo::insert_line(
            conn,
            NewLine {
                id: db::new_id(),
                clinic_id: clinic.clone(),
                order_id: order_id.clone(),
                position: i as i64,
                product_id: l.product_id,
                containers: l.containers,
                unit_cost: l.unit_cost,
                received_containers: 0,
                reason: l.reason,
            },
        )?;
    }
    Ok(())
}

/// Replaces a draft's lines (a line's suggestion reason is kept while its product stays
/// on the order). A sent order is what the supplier has: 409.
pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: &PurchaseOrderId,
    patch: OrderPatch,
) -> AppResult<(PurchaseOrder, Vec<OrderLine>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let mut wanted = given_lines(conn, &clinic, &patch.lines)?;
    db::write_tx(conn, |conn| {
        let (order, before) = locked(conn, actor, id)?;
        order
            .status
            .can_edit()
            .map_err(|e| AppError::conflict(ConflictKind::InvalidState, e))?;
        for w in &mut wanted {
            w.reason = before
                .iter()
                .find(|l| l.product_id == w.product_id)
                .and_then(|l| l.reason.clone());
        }
        repo::delete_lines(conn, &order.id)?;
        insert_lines(conn, &clinic, &order.id, wanted)?;
        repo::set_status(conn, &order.id, order.status)?;
        let after = repo::lines_of(conn, &order.id)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "purchase_order", &order.id, "update"),
            Some(&serde_json::json!({ "lines": before })),
            Some(&serde_json::json!({ "lines": after })),
        )?;
        get(conn, actor, id)
    })
}

/// Cancels an order nothing was received on (draft or sent): it is no longer on order.
/// The reason is kept on the order and in the audit log.
pub fn cancel(
    conn: &mut Conn,
    actor: &Actor,
    id: &PurchaseOrderId,
    reason: &str,
) -> AppResult<(PurchaseOrder, Vec<OrderLine>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let reason = required_text(reason, crate::domain::limits::REASON)
        .map_err(|e| AppError::invalid("reason", e))?;
    db::write_tx(conn, |conn| {
        let (order, lines) = locked(conn, actor, id)?;
        let received = lines.iter().any(|l| l.received_containers > 0);
        let next = order
            .status
            .cancel(received)
            .map_err(|e| AppError::conflict(ConflictKind::InvalidState, e))?;
        repo::cancel(conn, &order.id, &reason)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "purchase_order", &order.id, "cancel"),
            Some(&serde_json::json!({"status": order.status, "cancel_reason": null})),
            Some(&serde_json::json!({"status": next, "cancel_reason": reason})),
        )?;
        get(conn, actor, id)
    })
}

/// The order read under its lock: changes of one order (edit, send, receive, cancel)
/// take turns, so each sees the status the previous one left.
fn locked(
    conn: &mut Conn,
    actor: &Actor,
    id: &PurchaseOrderId,
) -> AppResult<(PurchaseOrder, Vec<OrderLine>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    db::lock_key(conn, &format!("order:{clinic}:{id}"))?;
    get(conn, actor, id)
}

/// The suggested lines for one supplier. Orders from suggestions for one supplier take
/// turns, and while a draft is open the next one is refused and pointed at it: the
/// suggestions already count its lines as coming.
fn lines_from_suggestions(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    supplier: &suppliers::Supplier,
) -> AppResult<Vec<Wanted>> {
    db::lock_key(conn, &format!("draft-order:{clinic}:{}", supplier.id))?;
    if let Some(draft) = repo::open_draft(conn, clinic, &supplier.id)? {
        return Err(AppError::Conflict {
            kind: ConflictKind::Duplicate,
            detail: format!(
                "draft order {} for {} is already open; send it before ordering from the suggestions again",
                draft.id, supplier.name
            ),
            extra: Some(serde_json::json!({ "order_id": draft.id })),
        });
    }
    suggested_lines(conn, actor, supplier)
}

/// A line to order, before it has an order.
struct Wanted {
    product_id: ProductId,
    containers: i64,
    unit_cost: Decimal,
    reason: Option<String>,
}

/// What the reorder suggestions say to order from this supplier now.
fn suggested_lines(
    conn: &mut Conn,
    actor: &Actor,
    supplier: &suppliers::Supplier,
) -> AppResult<Vec<Wanted>> {
    let mut lines = Vec::new();
    for (key, suggestions) in planning::suggestions(conn, actor)? {
        if key.as_ref().map(|(id, _)| id) == Some(&supplier.id) {
            lines.extend(suggestions.into_iter().map(|s| Wanted {
                product_id: s.product.id.clone(),
                containers: s.containers,
                unit_cost: s.product.unit_cost,
                reason: Some(s.reason),
            }));
        }
    }
    if lines.is_empty() {
        return Err(AppError::conflict(
            ConflictKind::InvalidState,
            format!("nothing needs ordering from {} right now", supplier.name),
        ));
    }
    Ok(lines)
}

/// The lines a manager typed: known products, one line each, whole containers.
fn given_lines(conn: &mut Conn, clinic: &ClinicId, given: &[LineInput]) -> AppResult<Vec<Wanted>> {
    let mut lines: Vec<Wanted> = Vec::new();
    crate::domain::limits::list_len("lines", given.len())?;
    let mut c = Checks::new();
    if given.is_empty() {
        c.fail("lines", "give at least one line, or from_suggestions: true");
    }
    for (i, l) in given.iter().enumerate() {
        let containers = c.take(
            &format!("lines[{i}].containers"),
            quantity::count(l.containers, 1, 100_000),
        );
        match products::get(conn, clinic, &l.product_id)? {
            None => c.fail(
                &format!("lines[{i}].product_id"),
                format!("no product {} in this clinic", l.product_id),
            ),
            Some(p) if p.archived => c.fail(
                &format!("lines[{i}].product_id"),
                format!(
                    "{} is archived; bring it back (archived: false) to order it",
                    p.sku
                ),
            ),
            Some(p) if lines.iter().any(|x| x.product_id == p.id) => c.fail(
                &format!("lines[{i}].product_id"),
                "this product already has a line",
            ),
            Some(p) => {
                if let Some(n) = containers {
                    lines.push(Wanted {
                        product_id: p.id,
                        containers: n,
                        unit_cost: p.unit_cost,
                        reason: None,
                    });
                }
            }
        }
    }
    c.into_result().map_err(AppError::Invalid)?;
    Ok(lines)
}

pub fn get(
    conn: &mut Conn,
    actor: &Actor,
    id: &PurchaseOrderId,
) -> AppResult<(PurchaseOrder, Vec<OrderLine>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    let order = repo::get(conn, clinic, id)?
        .ok_or_else(|| AppError::not_found(format!("purchase order {id}")))?;
    let lines = repo::lines_of(conn, &order.id)?;
    Ok((order, lines))
}

/// The order's CSV for its supplier (the API and the web page send the same bytes).
pub fn supplier_csv(
    conn: &mut Conn,
    actor: &Actor,
    id: &PurchaseOrderId,
) -> AppResult<(PurchaseOrder, Vec<u8>)> {
    let (order, lines) = get(conn, actor, id)?;
    let clinic = crate::db::staff::find_clinic(conn, &order.clinic_id)?
        .ok_or_else(|| AppError::Internal(format!("order {} has no clinic", order.id)))?;
    let supplier = suppliers::get(conn, &order.clinic_id, &order.supplier_id)?
        .ok_or_else(|| AppError::Internal(format!("order {} has no supplier", order.id)))?;
    let header = OrderHeader {
        order_number: order.id.to_string(),
        order_date: order.created_at.date(),
        clinic: clinic.name,
        supplier: supplier.name,
    };
    let bytes = write_purchase_order(&header, &lines, &CsvOptions { bom: false })?;
    Ok((order, bytes))
}

pub fn list(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<PurchaseOrder>> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    Ok(repo::list(conn, clinic)?)
}

/// draft → sent.
pub fn send(
    conn: &mut Conn,
    actor: &Actor,
    id: &PurchaseOrderId,
) -> AppResult<(PurchaseOrder, Vec<OrderLine>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    db::write_tx(conn, |conn| {
        let (order, _) = locked(conn, actor, id)?;
        let sent = order
            .status
            .send()
            .map_err(|e| AppError::conflict(ConflictKind::InvalidState, e))?;
        repo::set_status(conn, &order.id, sent)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "purchase_order", &order.id, "send"),
            Some(&serde_json::json!({"status": order.status})),
            Some(&serde_json::json!({"status": sent})),
        )?;
        get(conn, actor, id)
    })
}

/// Receives delivered boxes against the order: each becomes (or tops up) a lot at the
/// order's price; the order is `received` when every line is complete.
pub fn receive(
    conn: &mut Conn,
    actor: &Actor,
    id: &PurchaseOrderId,
    receipt: ReceiptInput,
) -> AppResult<(PurchaseOrder, Vec<OrderLine>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    crate::domain::limits::list_len("lines", receipt.lines.len())?;
    if receipt.lines.is_empty() {
        return Err(AppError::invalid(
            "lines",
            "give at least one received line",
        ));
    }
    db::write_tx(conn, |conn| {
        let (order, mut lines) = locked(conn, actor, id)?;
        order
            .status
            .can_receive()
            .map_err(|e| AppError::conflict(ConflictKind::InvalidState, e))?;
        for i in 0..receipt.lines.len() {
            receive_line(conn, actor, &clinic, &order, &mut lines, &receipt, i)?;
        }
        let after = repo::lines_of(conn, &order.id)?;
        let status = PurchaseOrderStatus::after_receipt(
            after.iter().all(|l| l.received_containers >= l.containers),
        );
        repo::set_status(conn, &order.id, status)?;
        audit::record(
            conn,
            actor,
            Subject::of(&clinic, "purchase_order", &order.id, "receive"),
            Some(&serde_json::json!({"status": order.status})),
            Some(&serde_json::json!({"status": status})),
        )?;
        get(conn, actor, id)
    })
}

/// Receives line `i` of a receipt into its lot, within the receipt's transaction.
fn receive_line(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    order: &PurchaseOrder,
    lines: &mut [OrderLine],
    receipt: &ReceiptInput,
    i: usize,
) -> AppResult<()> {
    let r = receipt.lines[i].clone();
    let field = format!("lines[{i}]");
    let lot = super::lots::resolve_receipt(
        conn,
        clinic,
        &field,
        r.product_id,
        r.lot_number,
        r.expires_on,
        r.code.as_deref(),
    )?;
    let Some(line) = lines.iter_mut().find(|l| l.product_id == lot.0) else {
        return Err(AppError::invalid(
            &format!("{field}.product_id"),
            "this product is not on the order",
        ));
    };
    receive_scanned(
        conn,
        actor,
        ReceiveLotInput {
            product_id: lot.0.clone(),
            lot_number: lot.1,
            expires_on: lot.2,
            containers: r.containers,
            unit_cost: Some(line.unit_cost),
            supplier_id: Some(order.supplier_id.clone()),
            received_at: receipt.received_at,
            fridge_id: r.fridge_id.or_else(|| receipt.fridge_id.clone()),
        },
        lot.3,
    )
    .map_err(|e| e.within(&field))?;
    // After the lot's own checks (a bad count is a 422 first); a refusal rolls
    // the receipt back.
    check_receipt(
        &line.sku,
        line.containers,
        line.received_containers,
        r.containers,
        receipt.confirm_over_receipt,
    )
    .map_err(|e| AppError::conflict(ConflictKind::OverReceipt, format!("{field}: {e}")))?;
    // Two lines of one receipt for one product count together.
    line.received_containers = line.received_containers.saturating_add(r.containers);
    repo::add_received(conn, &line.id, r.containers)?;
    Ok(())
}
