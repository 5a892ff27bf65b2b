//! Taking the items from stock inside the session's transaction: plan each on balances
//! read once for the whole session (`domain::usage::plan`), update the open vials, and
//! collect the movements, which `write_session` hands to the ledger in one batch.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::resolve::Item;
use crate::db::lots::{self, Lot};
use crate::db::open_containers::{self, NewOpenContainer, OpenContainer};
use crate::db::products::Product;
use crate::db::usage::Usage;
use crate::db::{self, Conn};
use crate::domain::ids::{ClinicId, LotId, ProductId, SessionId};
use crate::domain::ledger::MovementKind;
use crate::domain::usage::{
    self, per_lot, LotStock, OpenVial, Plan, PlanError, ProductUse, Source,
};
use crate::error::{AppError, AppResult, ConflictKind};
use crate::services::ledger::Entry;

/// What every item of one session shares, and what the items so far took.
pub(super) struct Take<'a> {
    pub clinic: &'a ClinicId,
    pub session_id: &'a SessionId,
    pub performed_at: NaiveDateTime,
    /// The session's products' lots, read once; their `on_hand` already less what the
    /// items so far will take.
    lots: HashMap<ProductId, Vec<Lot>>,
    /// Open vials read with the lots; a product met again is read afresh, since its
    /// vials were written meanwhile.
    open: HashMap<ProductId, Vec<OpenContainer>>,
    seen: HashSet<ProductId>,
    /// The movements to record, in order: (product, lot, entry).
    pub entries: Vec<(Product, LotId, Entry)>,
}

impl<'a> Take<'a> {
    /// Reads the lots and open vials of every product of the session, two statements.
    pub fn new(
        conn: &mut Conn,
        clinic: &'a ClinicId,
        session_id: &'a SessionId,
        performed_at: NaiveDateTime,
        products: &[&ProductId],
    ) -> AppResult<Self> {
        let mut lots: HashMap<ProductId, Vec<Lot>> = HashMap::new();
        for lot in lots::list_of_products(conn, clinic, products)? {
            lots.entry(lot.product_id.clone()).or_default().push(lot);
        }
        let mut open: HashMap<ProductId, Vec<OpenContainer>> = HashMap::new();
        for c in open_containers::list_of_products(conn, clinic, products)? {
            open.entry(c.product_id.clone()).or_default().push(c);
        }
        Ok(Take {
            clinic,
            session_id,
            performed_at,
            lots,
            open,
            seen: HashSet::new(),
            entries: Vec::new(),
        })
    }

    /// Plans one item and appends what it used to `used` and its movements to `entries`.
    pub fn item(&mut self, conn: &mut Conn, item: &Item, used: &mut Vec<Usage>) -> AppResult<()> {
        let product = &item.product;
        if !self.seen.insert(product.id.clone()) {
            let fresh = open_containers::list(conn, self.clinic, &product.id)?;
            self.open.insert(product.id.clone(), fresh);
        }
        let mut lots = self.lots.remove(&product.id).unwrap_or_default();
        let start = self.entries.len();
        let taken = self.plan(item, &lots).and_then(|plan| {
            self.open_vials(conn, product, &plan)?;
            self.movements(item, &plan, &lots, used);
            Ok(())
        });
        // What this item takes is gone for the next item of the same product.
        for (_, lot_id, entry) in &self.entries[start..] {
            if let Some(l) = lots.iter_mut().find(|l| &l.id == lot_id) {
                l.on_hand += entry.delta;
            }
        }
        self.lots.insert(product.id.clone(), lots);
        taken
    }

    fn plan(&self, item: &Item, lots: &[Lot]) -> AppResult<Plan> {
        let product = &item.product;
        let stock: Vec<LotStock> = lots
            .iter()
            .map(|l| LotStock {
                lot_id: l.id.clone(),
                lot_number: l.lot_number.clone(),
                expires_on: l.expires_on,
                status: l.status,
                on_hand: l.on_hand,
                received_at: l.received_at,
            })
            .collect();
        let open: Vec<OpenVial> = self
            .open
            .get(&product.id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|c| OpenVial {
                container_id: c.id.clone(),
                lot_id: c.lot_id.clone(),
                remaining: c.remaining,
                beyond_use_at: c.beyond_use_at,
            })
            .collect();
        let rules = ProductUse {
            sku: product.sku.clone(),
            stock_unit: product.stock_unit,
            content: product.content,
            single_use: product.single_use,
            beyond_use_days: product.beyond_use_days,
        };
        usage::plan(
            &rules,
            item.quantity,
            &stock,
            &open,
            item.lot_id.as_deref(),
            db::now(),
            self.performed_at,
        )
        .map_err(|e| plan_conflict(product, e))
    }

    /// Closes stale vials (their remainder is waste whatever this session does, so those
    /// movements are not the session's and a void does not undo them), draws from open
    /// ones and records the vials this session punctures.
    fn open_vials(&mut self, conn: &mut Conn, product: &Product, plan: &Plan) -> AppResult<()> {
        for s in &plan.sweeps {
            open_containers::close(conn, self.clinic, &s.container_id)?;
            if s.wasted.is_zero() {
                continue;
            }
            let entry = Entry::new(MovementKind::Waste, -s.wasted, &s.reason);
            self.entries
                .push((product.clone(), s.lot_id.clone(), entry));
        }
        for d in &plan.draws {
            match &d.source {
                Source::OpenVial { container_id } => {
                    if !open_containers::draw(conn, self.clinic, container_id, d.consumed)? {
                        return Err(AppError::conflict(
                            ConflictKind::NotEnoughStock,
                            format!(
                                "the open vial of {} changed meanwhile; try again",
                                product.sku
                            ),
                        ));
                    }
                }
                Source::NewVial {
                    left,
                    beyond_use_at,
                } => open_containers::insert(
                    conn,
                    NewOpenContainer {
                        id: db::new_id(),
                        clinic_id: self.clinic,
                        lot_id: &d.lot_id,
                        product_id: &product.id,
                        opened_at: self.performed_at,
                        beyond_use_at: *beyond_use_at,
                        remaining: *left,
                        opened_in_session: self.session_id,
                    },
                )?,
                Source::Sealed => {}
            }
        }
        Ok(())
    }

    /// One consume and at most one waste movement per lot, in the session.
    /// A scanned item's code goes with its consume movements and its usage rows.
    fn movements(&mut self, item: &Item, plan: &Plan, lots: &[Lot], used: &mut Vec<Usage>) {
        let product = &item.product;
        let scanned = item.scanned.as_ref();
        for t in per_lot(&plan.draws) {
            let consume = Entry::new(MovementKind::Consume, -t.consumed, "session")
                .in_session(self.session_id)
                .scanned(item.scanned.clone());
            self.entries
                .push((product.clone(), t.lot_id.clone(), consume));
            if t.wasted > Decimal::ZERO {
                let waste = Entry::new(
                    MovementKind::Waste,
                    -t.wasted,
                    "single-use container: the rest is discarded",
                )
                .in_session(self.session_id);
                self.entries
                    .push((product.clone(), t.lot_id.clone(), waste));
            }
            let same = |u: &&mut Usage| u.lot_id == t.lot_id && u.product_id == product.id;
            match used.iter_mut().find(same) {
                Some(u) => {
                    u.quantity = (u.quantity + t.consumed).normalize();
                    u.wasted = (u.wasted + t.wasted).normalize();
                    // One row per lot: the first scanned code is kept (movements keep each).
                    if u.gs1_raw.is_none() {
                        u.gs1_serial = scanned.and_then(|d| d.serial.clone());
                        u.gs1_raw = scanned.map(|d| d.raw.clone());
                    }
                }
                None => {
                    let lot = lots.iter().find(|l| l.id == t.lot_id);
                    used.push(Usage {
                        product_id: product.id.clone(),
                        sku: product.sku.clone(),
                        lot_number: lot.map(|l| l.lot_number.clone()).unwrap_or_default(),
                        expires_on: lot.map(|l| l.expires_on).unwrap_or_default(),
                        lot_id: t.lot_id,
                        quantity: t.consumed,
                        wasted: t.wasted,
                        gs1_serial: scanned.and_then(|d| d.serial.clone()),
                        gs1_raw: scanned.map(|d| d.raw.clone()),
                    });
                }
            }
        }
    }
}

/// A plan the stock refuses, as a 409 naming the lot and the reason.
fn plan_conflict(product: &Product, e: PlanError) -> AppError {
    let (kind, extra) = match &e {
        PlanError::Blocked { lot_number, reason } => (
            ConflictKind::LotBlocked,
            serde_json::json!({ "product_id": product.id, "lot_number": lot_number, "reason": reason }),
        ),
        PlanError::NotEnough { skipped, .. } => (
            ConflictKind::NotEnoughStock,
            serde_json::json!({
                "product_id": product.id,
                "skipped_lots": skipped
                    .iter()
                    .map(|(l, r)| serde_json::json!({"lot_number": l, "reason": r}))
                    .collect::<Vec<_>>(),
            }),
        ),
    };
    AppError::Conflict {
        kind,
        detail: e.to_string(),
        extra: Some(extra),
    }
}
