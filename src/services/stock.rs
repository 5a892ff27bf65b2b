//! The stock view: one line per product with its levels and flags.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{today, Actor};
use crate::db::products::Product;
use crate::db::staff::find_clinic;
use crate::db::Conn;
use crate::domain::role::Action;
use crate::domain::stock::{flags, StockFlag, StockLevels};
use crate::error::{AppError, AppResult};

/// One product's line in the stock view.
#[derive(Debug, Clone)]
pub struct StockLine {
    pub product: Product,
    pub on_hand: Decimal,
    pub available: Decimal,
    pub next_expiry: Option<NaiveDate>,
    pub expired_on_hand: Decimal,
    pub recalled_on_hand: Decimal,
    /// Usable stock the forecast will not use before it expires.
    pub at_risk: Decimal,
    pub flags: Vec<StockFlag>,
}

pub fn stock(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<StockLine>> {
    let clinic_id = actor.clinic_for(Action::ReadStock)?;
    let clinic = find_clinic(conn, clinic_id)?.ok_or_else(|| AppError::not_found("clinic"))?;
    let today = today();
    // The forecast looks as far ahead as the expiry warning window, at least 30 days.
    let horizon = clinic.expiry_warning_days.max(30);
    let outlook = super::planning::Outlook::load(conn, clinic_id, horizon)?;
    let lines = outlook
        .products()
        // An archived product stays while it still has stock to use up.
        .filter(|p| !p.product.archived || p.level().is_some_and(|b| !b.on_hand.is_zero()))
        .map(|p| {
            let s = p.level();
            let (expiring_unused, reorder) = p.attention(horizon);
            let at_risk = expiring_unused
                .iter()
                .map(|l| l.1)
                .sum::<Decimal>()
                .normalize();
            let product = p.product;
            let levels = StockLevels {
                on_hand: s.map_or(Decimal::ZERO, |s| s.on_hand),
                available: s.map_or(Decimal::ZERO, |s| s.available),
                reorder_point: product.reorder_point,
                next_expiry: s.and_then(|s| s.next_expiry),
                expired_on_hand: s.map_or(Decimal::ZERO, |s| s.expired),
                recalled_on_hand: s.map_or(Decimal::ZERO, |s| s.recalled),
                reorder,
                at_risk,
            };
            StockLine {
                flags: flags(&levels, today, clinic.expiry_warning_days),
                on_hand: levels.on_hand,
                available: levels.available,
                next_expiry: levels.next_expiry,
                expired_on_hand: levels.expired_on_hand,
                recalled_on_hand: levels.recalled_on_hand,
                at_risk,
                product: product.clone(),
            }
        })
        .collect();
    Ok(lines)
}

/// How many products carry each flag: the manager's alert counts (API and home page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertCounts {
    pub low: usize,
    pub out: usize,
    pub expiring: usize,
    pub expired_stock: usize,
    pub recalled_stock: usize,
    pub reorder: usize,
    pub at_risk: usize,
}

pub fn alert_counts(lines: &[StockLine]) -> AlertCounts {
    let count = |f: StockFlag| lines.iter().filter(|l| l.flags.contains(&f)).count();
    AlertCounts {
        low: count(StockFlag::Low),
        out: count(StockFlag::Out),
        expiring: count(StockFlag::Expiring),
        expired_stock: count(StockFlag::ExpiredStock),
        recalled_stock: count(StockFlag::RecalledStock),
        reorder: count(StockFlag::Reorder),
        at_risk: count(StockFlag::AtRisk),
    }
}
