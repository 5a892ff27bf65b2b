//! The stock ledger's one writer. Every change of stock is a movement plus the matching
//! change of the lot's running balance, in one transaction; nothing else writes movements.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::lots::get_lot_in;
use super::Actor;
use crate::db::lots::{self};
use crate::db::movements::{self, Movement, MovementFilter};
use crate::db::products::{self, Product};
use crate::db::{self, Conn};
use crate::domain::gs1::ScanDetail;
use crate::domain::ids::{ClinicId, LotId, ProductId, SessionId};
use crate::domain::ledger::{manual_delta, MovementKind};
use crate::domain::requests::MovementInput;
use crate::domain::role::Action;
use crate::domain::{quantity, required_text, Checks};
use crate::error::{AppError, AppResult, ConflictKind};

/// A ledger line about to be written.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: MovementKind,
    /// Signed change of the lot's stock.
    pub delta: Decimal,
    pub reason: Option<String>,
    pub session_id: Option<SessionId>,
    pub reverses_id: Option<String>,
    /// The scanned code this movement came from, if any.
    pub scanned: Option<ScanDetail>,
}

impl Entry {
    pub fn new(kind: MovementKind, delta: Decimal, reason: impl Into<String>) -> Self {
        Entry {
            kind,
            delta,
            reason: Some(reason.into()),
            session_id: None,
            reverses_id: None,
            scanned: None,
        }
    }

    pub fn scanned(mut self, detail: Option<ScanDetail>) -> Self {
        self.scanned = detail;
        self
    }

    pub fn in_session(mut self, session_id: &SessionId) -> Self {
        self.session_id = Some(session_id.clone());
        self
    }
}

/// Writes one movement and moves the lot's balance with it, or refuses (and writes
/// nothing) when the lot would go below zero. Call inside a write transaction.
pub fn record(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    product: &Product,
    lot_id: &LotId,
    entry: Entry,
) -> AppResult<Movement> {
    let mut moves = record_all(
        conn,
        actor,
        clinic,
        vec![(product, lot_id.clone(), entry)],
        false,
    )?;
    moves
        .pop()
        .ok_or_else(|| AppError::Internal("a recorded movement went missing".into()))
}

/// Writes several movements at once: each lot's balance moves by the sum of its
/// entries, then all movements go in with one statement. Refuses the whole batch (the
/// caller's transaction rolls back) when a lot would go below zero. `locked` says the
/// caller already holds the products' balance rows (`db::balances::lock`).
pub fn record_all(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    entries: Vec<(&Product, LotId, Entry)>,
    locked: bool,
) -> AppResult<Vec<Movement>> {
    let mut net: BTreeMap<LotId, Decimal> = BTreeMap::new();
    for (_, lot_id, entry) in &entries {
        *net.entry(lot_id.clone()).or_default() += entry.delta;
    }
    let deltas: Vec<(LotId, Decimal)> = net.into_iter().collect();
    let products: Vec<&ProductId> = entries.iter().map(|(p, _, _)| &p.id).collect();
    if let Err(refused) = lots::apply_deltas(conn, clinic, &products, &deltas, locked)? {
        let delta = deltas
            .iter()
            .find(|(l, _)| l == &refused)
            .map_or(Decimal::ZERO, |(_, d)| *d);
        let product = entries
            .iter()
            .find(|(_, l, _)| l == &refused)
            .map(|(p, _, _)| *p)
            .ok_or_else(|| AppError::Internal(format!("lot {refused} was not in the batch")))?;
        return Err(refusal(conn, clinic, product, &refused, delta));
    }
    // The ledger reads in (created_at, id) order and ids are random, so each movement of
    // the batch gets a later microsecond than the one before: the order they were written in.
    let mut created_at = db::now() - chrono::Duration::microseconds(1);
    let moves: Vec<Movement> = entries
        .into_iter()
        .map(|(product, lot_id, entry)| {
            created_at = (created_at + chrono::Duration::microseconds(1)).max(db::now());
            Movement {
                id: db::new_id(),
                clinic_id: clinic.clone(),
                lot_id,
                product_id: product.id.clone(),
                kind: entry.kind,
                quantity: entry.delta,
                actor_id: actor.staff_id.clone(),
                reason: entry.reason,
                session_id: entry.session_id,
                reverses_id: entry.reverses_id,
                created_at,
                gs1_serial: entry.scanned.as_ref().and_then(|d| d.serial.clone()),
                gs1_raw: entry.scanned.map(|d| d.raw),
            }
        })
        .collect();
    movements::insert_all(conn, &moves)?;
    Ok(moves)
}

/// Why a lot refused `delta`: it would overflow, or there is not enough.
fn refusal(
    conn: &mut Conn,
    clinic: &ClinicId,
    product: &Product,
    lot_id: &LotId,
    delta: Decimal,
) -> AppError {
    let lot = match get_lot_in(conn, clinic, lot_id) {
        Ok(lot) => lot,
        Err(e) => return e,
    };
    if delta > Decimal::ZERO {
        return AppError::conflict(
            ConflictKind::InvalidState,
            format!(
                "lot {} cannot hold {delta} {} more",
                lot.lot_number, product.stock_unit
            ),
        );
    }
    AppError::Conflict {
        kind: ConflictKind::NotEnoughStock,
        detail: format!(
            "not enough stock in lot {} of {}: {} {} on hand, {} {} needed",
            lot.lot_number,
            product.sku,
            lot.on_hand,
            product.stock_unit,
            -delta,
            product.stock_unit
        ),
        extra: Some(serde_json::json!({
            "lot_id": lot.id, "lot_number": lot.lot_number,
            "on_hand": lot.on_hand.to_string(), "requested": (-delta).to_string(),
        })),
    }
}

pub fn record_manual(conn: &mut Conn, actor: &Actor, input: MovementInput) -> AppResult<Movement> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let mut c = Checks::new();
    let reason = c.take(
        "reason",
        required_text(&input.reason, crate::domain::limits::REASON),
    );
    let delta = match MovementKind::parse(&input.kind) {
        Ok(kind) => match manual_delta(kind, input.quantity) {
            Ok(d) => Some((kind, d)),
            Err(e) => {
                c.fail(e.field(), e);
                None
            }
        },
        Err(e) => {
            c.fail("kind", e);
            None
        }
    };
    c.into_result().map_err(AppError::Invalid)?;
    let (Some(reason), Some((kind, delta))) = (reason, delta) else {
        return Err(AppError::invalid("body", "invalid movement"));
    };
    db::write_tx(conn, |conn| {
        let lot = lots::get(conn, &clinic, &input.lot_id)?.ok_or_else(|| {
            AppError::invalid("lot_id", format!("no lot {} in this clinic", input.lot_id))
        })?;
        let product = products::get(conn, &clinic, &lot.product_id)?
            .ok_or_else(|| AppError::Internal(format!("lot {} has no product", lot.id)))?;
        let unit = product.stock_unit;
        quantity::in_unit(unit, delta).map_err(|e| AppError::invalid("quantity", e))?;
        record(
            conn,
            actor,
            &clinic,
            &product,
            &lot.id,
            Entry::new(kind, delta, reason),
        )
    })
}

pub fn list_movements(
    conn: &mut Conn,
    actor: &Actor,
    filter: MovementFilter,
) -> AppResult<Vec<(Movement, String)>> {
    let clinic = actor.clinic_for(Action::Audit)?;
    Ok(movements::list(conn, clinic, &filter)?)
}
