//! Open multi-dose vials: listing them, discarding one by hand, and the sweep that wastes
//! what is left in a vial once its beyond-use time has passed, whether or not anyone uses
//! the product again.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::ledger::{record_all, Entry};
use super::Actor;
use crate::db::open_containers::{self, OpenVialRow};
use crate::db::products::{self, Product};
use crate::db::{self, balances, lots, Conn};
use crate::domain::ids::{ClinicId, LotId, ProductId, StaffId};
use crate::domain::ledger::MovementKind;
use crate::domain::required_text;
use crate::domain::role::{Action, Role};
use crate::domain::usage::vial_waste;
use crate::error::{AppError, AppResult, ConflictKind};

/// How many stale vials one sweep takes at most; the next sweep takes the rest.
const SWEEP_BATCH: i64 = 500;

/// The clinic's open vials, the first to go stale first.
pub fn list(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<OpenVialRow>> {
    let clinic = actor.clinic_for(Action::ReadStock)?;
    Ok(open_containers::list_open(conn, clinic, None)?)
}

/// Throws away what is left in an open vial (a waste movement with the reason) and
/// closes it. Managers only, like every other waste.
pub fn discard(conn: &mut Conn, actor: &Actor, id: &str, reason: &str) -> AppResult<OpenVialRow> {
    let clinic = actor.clinic_for(Action::ManageStock)?.clone();
    let reason = required_text(reason, crate::domain::limits::REASON)
        .map_err(|e| AppError::invalid("reason", e))?;
    let not_open = || AppError::NotFound(format!("no open vial {id} in this clinic"));
    let found = open_containers::list_open(conn, &clinic, Some(id))?;
    let product_id = found.first().ok_or_else(not_open)?.product_id.clone();
    db::write_tx(conn, |conn| {
        balances::lock(conn, &clinic, &[&product_id])?;
        // Read again under the lock: a session may have drawn it empty meanwhile.
        let vial = open_containers::list_open(conn, &clinic, Some(id))?
            .pop()
            .ok_or_else(not_open)?;
        let reason = format!("open vial discarded: {reason}");
        if waste_vials(conn, actor, &clinic, std::slice::from_ref(&vial), |_| {
            reason.clone()
        })? == 0
        {
            return Err(AppError::conflict(
                ConflictKind::InvalidState,
                format!("open vial {id} was closed meanwhile"),
            ));
        }
        Ok(vial)
    })
}

/// Wastes the rest of every open vial past its beyond-use time at `now`, in every clinic,
/// and answers how many it closed. Safe to run from several instances at once: each
/// clinic's vials are re-read under its products' balance locks, and a vial is wasted only
/// by the writer whose update closed it.
pub fn sweep_stale(conn: &mut Conn, now: NaiveDateTime) -> AppResult<usize> {
    let mut by_clinic: BTreeMap<ClinicId, Vec<ProductId>> = BTreeMap::new();
    for (clinic, product) in open_containers::stale_products(conn, now, SWEEP_BATCH)? {
        by_clinic.entry(clinic).or_default().push(product);
    }
    let mut swept = 0;
    for (clinic, products) in by_clinic {
        let ids: Vec<&ProductId> = products.iter().collect();
        swept += db::write_tx(conn, |conn| -> AppResult<usize> {
            balances::lock(conn, &clinic, &ids)?;
            let stale: Vec<OpenVialRow> = open_containers::list_open(conn, &clinic, None)?
                .into_iter()
                .filter(|v| v.beyond_use_at <= now && ids.contains(&&v.product_id))
                .collect();
            // Each vial's waste is the act of whoever punctured it: the ledger names a
            // person for every movement, and the reason says the sweep did it.
            let mut by_opener: BTreeMap<StaffId, Vec<OpenVialRow>> = BTreeMap::new();
            for vial in stale {
                match vial.opened_by.clone() {
                    Some(opener) => by_opener.entry(opener).or_default().push(vial),
                    None => {
                        tracing::warn!(vial = %vial.id, "open vial without a session left to the next use")
                    }
                }
            }
            let mut done = 0;
            for (opener, vials) in by_opener {
                let actor = Actor {
                    staff_id: opener,
                    name: String::new(),
                    role: Role::Practitioner,
                    clinic_id: Some(clinic.clone()),
                };
                done += waste_vials(conn, &actor, &clinic, &vials, |v| {
                    format!(
                        "open vial past its beyond-use time {} (automatic sweep)",
                        v.beyond_use_at.format("%Y-%m-%d %H:%M")
                    )
                })?;
            }
            Ok(done)
        })?;
    }
    Ok(swept)
}

/// Closes each vial that is still open and wastes its rest from its lot, never more than
/// the lot still holds (the lot may have been wasted as a whole meanwhile). Call with the
/// products' balance rows locked; answers how many vials this call closed.
fn waste_vials(
    conn: &mut Conn,
    actor: &Actor,
    clinic: &ClinicId,
    vials: &[OpenVialRow],
    reason: impl Fn(&OpenVialRow) -> String,
) -> AppResult<usize> {
    let product_ids: Vec<&ProductId> = vials.iter().map(|v| &v.product_id).collect();
    let products: Vec<Product> = products::get_many(conn, clinic, &product_ids)?;
    // What each lot still holds, less what the vials before took from it.
    let mut left: BTreeMap<LotId, Decimal> = lots::list_of_products(conn, clinic, &product_ids)?
        .into_iter()
        .map(|l| (l.id, l.on_hand))
        .collect();
    let mut entries: Vec<(&Product, LotId, Entry)> = Vec::new();
    let mut closed = 0;
    for vial in vials {
        if !open_containers::close_if_open(conn, clinic, &vial.id)? {
            continue;
        }
        closed += 1;
        let wasted = vial_waste(vial.remaining, left.entry(vial.lot_id.clone()).or_default());
        if wasted.is_zero() {
            continue;
        }
        let product = products
            .iter()
            .find(|p| p.id == vial.product_id)
            .ok_or_else(|| AppError::Internal(format!("vial {} has no product", vial.id)))?;
        entries.push((
            product,
            vial.lot_id.clone(),
            Entry::new(MovementKind::Waste, -wasted, reason(vial)),
        ));
    }
    if !entries.is_empty() {
        record_all(conn, actor, clinic, entries, true)?;
    }
    Ok(closed)
}
