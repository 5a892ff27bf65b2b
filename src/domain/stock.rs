//! Stock flags: what a manager must look at today.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// Days before expiry from which a lot counts as expiring, unless the clinic sets another.
pub const DEFAULT_EXPIRY_WARNING_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockFlag {
    /// Available stock is at or below the reorder point.
    Low,
    /// Nothing is available.
    Out,
    /// A lot with stock expires within the clinic's warning window.
    Expiring,
    /// Expired units are still on the shelf (to be wasted).
    ExpiredStock,
    /// Units of a recalled lot are still on the shelf (to be wasted or sent back).
    RecalledStock,
    /// The forecast runs out within the supplier's lead time: order now.
    Reorder,
    /// Some usable stock will expire before the forecast uses it.
    AtRisk,
}

/// What the database sums per product; the flags follow from it.
#[derive(Debug, Clone, PartialEq)]
pub struct StockLevels {
    pub on_hand: Decimal,
    pub available: Decimal,
    pub reorder_point: Decimal,
    /// Earliest expiry among usable lots that still hold stock.
    pub next_expiry: Option<NaiveDate>,
    pub expired_on_hand: Decimal,
    /// On hand in recalled lots.
    pub recalled_on_hand: Decimal,
    /// The reorder rule (`domain::forecast`) says to order now.
    pub reorder: bool,
    /// Usable stock the forecast will not use before it expires.
    pub at_risk: Decimal,
}

pub fn flags(levels: &StockLevels, today: NaiveDate, warning_days: i64) -> Vec<StockFlag> {
    let mut flags = Vec::new();
    if levels.available <= levels.reorder_point {
        flags.push(StockFlag::Low);
    }
    if levels.available <= Decimal::ZERO {
        flags.push(StockFlag::Out);
    }
    if let Some(next) = levels.next_expiry {
        if next >= today && (next - today).num_days() <= warning_days {
            flags.push(StockFlag::Expiring);
        }
    }
    if levels.expired_on_hand > Decimal::ZERO {
        flags.push(StockFlag::ExpiredStock);
    }
    if levels.recalled_on_hand > Decimal::ZERO {
        flags.push(StockFlag::RecalledStock);
    }
    if levels.reorder {
        flags.push(StockFlag::Reorder);
    }
    if levels.at_risk > Decimal::ZERO {
        flags.push(StockFlag::AtRisk);
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(available: i64, reorder: i64) -> StockLevels {
        StockLevels {
            on_hand: Decimal::from(available),
            available: Decimal::from(available),
            reorder_point: Decimal::from(reorder),
            next_expiry: None,
            expired_on_hand: Decimal::ZERO,
            recalled_on_hand: Decimal::ZERO,
            reorder: false,
            at_risk: Decimal::ZERO,
        }
    }

    #[test]
    fn low_and_out() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(flags(&levels(20, 10), today, 30), vec![]);
        assert_eq!(flags(&levels(10, 10), today, 30), vec![StockFlag::Low]);
        assert_eq!(
            flags(&levels(0, 10), today, 30),
            vec![StockFlag::Low, StockFlag::Out]
        );
    }

    #[test]
    fn expiring_and_expired() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let mut l = levels(20, 10);
        l.next_expiry = NaiveDate::from_ymd_opt(2026, 12, 24);
        l.expired_on_hand = Decimal::ONE;
        assert_eq!(
            flags(&l, today, 30),
            vec![StockFlag::Expiring, StockFlag::ExpiredStock]
        );
        assert_eq!(flags(&l, today, 29), vec![StockFlag::ExpiredStock]);
        l.reorder = true;
        l.at_risk = Decimal::ONE;
        assert_eq!(
            flags(&l, today, 29),
            vec![
                StockFlag::ExpiredStock,
                StockFlag::Reorder,
                StockFlag::AtRisk
            ]
        );
    }
}
