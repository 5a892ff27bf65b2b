//! Taking one item from stock inside the session's transaction: plan it on fresh
//! balances (`domain::usage::plan`), update the open vials, write the movements through
//! the ledger and note what was used.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;

use super::resolve::Item;
use crate::db::lots::{self, Lot, LotFilter};
use crate::db::open_containers::{self, NewOpenContainer};
use crate::db::products::Product;
use crate::db::usage::Usage;
use crate::db::{self, Conn};
use crate::domain::ids::{ClinicId, SessionId};
use crate::domain::ledger::MovementKind;
use crate::domain::usage::{
    self, per_lot, LotStock, OpenVial, Plan, PlanError, ProductUse, Source,
};
use crate::error::{AppError, AppResult, ConflictKind};
use crate::services::ledger::{record, Entry};
use crate::services::Actor;

/// What every item of one session shares.
pub(super) struct Take<'a> {
    pub actor: &'a Actor,
    pub clinic: &'a ClinicId,
    pub session_id: &'a SessionId,
    pub performed_at: NaiveDateTime,
}

impl Take<'_> {
    /// Takes one item and appends what it used to `used`.
    pub fn item(&self, conn: &mut Conn, item: &Item, used: &mut Vec<Usage>) -> AppResult<()> {
        let product = &item.product;
        let lots = lots::list(
            conn,
            self.clinic,
            &LotFilter {
                product_id: Some(product.id.clone()),
                ..Default::default()
            },
        )?;
        let plan = self.plan(conn, item, &lots)?;
        self.open_vials(conn, product, &plan)?;
        self.write_movements(conn, product, &plan, &lots, used)
    }

    fn plan(&self, conn: &mut Conn, item: &Item, lots: &[Lot]) -> AppResult<Plan> {
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
        let open: Vec<OpenVial> = open_containers::list(conn, self.clinic, &product.id)?
            .into_iter()
            .map(|c| OpenVial {
                container_id: c.id,
                lot_id: c.lot_id,
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
    fn open_vials(&self, conn: &mut Conn, product: &Product, plan: &Plan) -> AppResult<()> {
        for s in &plan.sweeps {
            open_containers::close(conn, self.clinic, &s.container_id)?;
            let entry = Entry::new(MovementKind::Waste, -s.wasted, &s.reason);
            record(conn, self.actor, self.clinic, product, &s.lot_id, entry)?;
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
    fn write_movements(
        &self,
        conn: &mut Conn,
        product: &Product,
        plan: &Plan,
        lots: &[Lot],
        used: &mut Vec<Usage>,
    ) -> AppResult<()> {
        for t in per_lot(&plan.draws) {
            let consume = Entry::new(MovementKind::Consume, -t.consumed, "session")
                .in_session(self.session_id);
            record(conn, self.actor, self.clinic, product, &t.lot_id, consume)?;
            if t.wasted > Decimal::ZERO {
                let waste = Entry::new(
                    MovementKind::Waste,
                    -t.wasted,
                    "single-use container: the rest is discarded",
                )
                .in_session(self.session_id);
                record(conn, self.actor, self.clinic, product, &t.lot_id, waste)?;
            }
            let same = |u: &&mut Usage| u.lot_id == t.lot_id && u.product_id == product.id;
            match used.iter_mut().find(same) {
                Some(u) => {
                    u.quantity = (u.quantity + t.consumed).normalize();
                    u.wasted = (u.wasted + t.wasted).normalize();
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
                    });
                }
            }
        }
        Ok(())
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
