//! Demand forecast and reorder rules, pure.
//!
//! Use ahead = the planned course sessions (their cocktail amounts, a single-use
//! container counted whole because its rest is wasted) + the recent daily rate of use
//! outside courses. From it: days of cover, the stock-out date, the stock that will
//! expire before it is used, and what to order.

use chrono::{Duration, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::product::StockUnit;

/// Extra days on top of the supplier's lead time before stock may run out.
pub const SAFETY_DAYS: i64 = 3;
/// The window whose unplanned use sets the recent daily rate.
pub const RATE_WINDOW_DAYS: i64 = 30;

/// What one planned session takes of a product: single-use ml containers are opened
/// whole, so 2 ml of a 3 ml single-use vial takes 3 ml.
pub fn per_session_use(
    amount: Decimal,
    unit: StockUnit,
    content: Decimal,
    single_use: bool,
) -> Decimal {
    if unit == StockUnit::Ml && single_use && content > Decimal::ZERO {
        ((amount / content).round_dp_with_strategy(0, RoundingStrategy::AwayFromZero) * content)
            .normalize()
    } else {
        amount.normalize()
    }
}

/// A projected quantity as it can be used or bought: ml to 2 decimals, pieces whole (part
/// of a piece needed is a piece; part of one short is one short). The daily rate is a
/// six-decimal division, so sums of it carry noise (`49.99998`); rounding to hundredths
/// first removes it before pieces are rounded away from zero.
pub fn in_unit(q: Decimal, unit: StockUnit) -> Decimal {
    let hundredths = q.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    match unit {
        StockUnit::Piece => hundredths.round_dp_with_strategy(0, RoundingStrategy::AwayFromZero),
        StockUnit::Ml => hundredths,
    }
    .normalize()
}

/// A use per day as reported: 2 decimals (a rate of pieces may be a fraction).
pub fn rate(q: Decimal) -> Decimal {
    q.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// Projected use over the horizon.
    pub use_ahead: Decimal,
    pub daily_use: Decimal,
    /// Available / daily use; none when nothing is used.
    pub days_of_cover: Option<Decimal>,
    /// The first day whose use cannot be met, within the horizon.
    pub stock_out_on: Option<NaiveDate>,
}

impl Projection {
    /// The figures as reported, in what can be used (`in_unit`, `rate`); the stock-out
    /// day and the cover are computed on the exact figures first.
    pub fn rounded(self, unit: StockUnit) -> Projection {
        Projection {
            use_ahead: in_unit(self.use_ahead, unit),
            daily_use: rate(self.daily_use),
            ..self
        }
    }
}

/// Use per day from `today` for `days` days: planned sessions on their dates plus the
/// unplanned rate every day.
pub fn daily_use(
    planned: &[(NaiveDate, Decimal)],
    rate: Decimal,
    today: NaiveDate,
    days: i64,
) -> Vec<Decimal> {
    let mut by_day = vec![rate; usize::try_from(days).unwrap_or(0)];
    // One pass over the plan: a cocktail's product has an entry per planned session.
    for (on, q) in planned {
        let day = usize::try_from((*on - today).num_days()).ok();
        if let Some(u) = day.and_then(|i| by_day.get_mut(i)) {
            *u += *q;
        }
    }
    by_day
}

/// Stock left at the end of each day of `by_day`, starting from `available`; negative
/// once the use can no longer be met (the shortfall).
pub fn stock_by_day(available: Decimal, by_day: &[Decimal]) -> Vec<Decimal> {
    by_day
        .iter()
        .scan(available, |left, u| {
            *left -= *u;
            Some(*left)
        })
        .collect()
}

pub fn project(available: Decimal, by_day: &[Decimal], today: NaiveDate) -> Projection {
    // One pass, no per-day vector: the views project every product of the catalogue.
    let mut use_ahead = Decimal::ZERO;
    let mut stock_out_on = None;
    for (i, u) in by_day.iter().enumerate() {
        use_ahead += *u;
        if stock_out_on.is_none() && available - use_ahead < Decimal::ZERO {
            stock_out_on = Some(today + Duration::days(i as i64));
        }
    }
    let days = Decimal::from(by_day.len().max(1) as i64);
    let daily_use = (use_ahead / days).round_dp(6);
    Projection {
        use_ahead: use_ahead.normalize(),
        daily_use: daily_use.normalize(),
        days_of_cover: (daily_use > Decimal::ZERO)
            .then(|| (available / daily_use).round_dp(1).normalize()),
        stock_out_on,
    }
}

/// Stock that will still be on the shelf when its lot expires, using lots first-expiry-
/// first-out at the projected daily use. `lots` are (expiry, usable quantity).
pub fn expiring_unused(
    lots: &[(NaiveDate, Decimal)],
    by_day: &[Decimal],
    today: NaiveDate,
) -> Vec<(NaiveDate, Decimal)> {
    let mut lots: Vec<(NaiveDate, Decimal)> = lots.to_vec();
    lots.sort_by_key(|l| l.0);
    for (i, u) in by_day.iter().enumerate() {
        let day = today + Duration::days(i as i64);
        let mut need = *u;
        for lot in lots.iter_mut().filter(|l| l.0 >= day) {
            let take = need.min(lot.1);
            lot.1 -= take;
            need -= take;
            if need <= Decimal::ZERO {
                break;
            }
        }
    }
    let horizon_end = today + Duration::days(by_day.len() as i64);
    lots.into_iter()
        .filter(|(exp, q)| *q > Decimal::ZERO && *exp < horizon_end)
        .map(|(exp, q)| (exp, q.normalize()))
        .collect()
}

/// Containers to order so that stock lasts the lead time (plus the safety margin) and
/// ends at least at the reorder point: never less than the product's reorder quantity.
pub fn containers_to_order(
    available: Decimal,
    incoming: Decimal,
    use_during_lead: Decimal,
    reorder_point: Decimal,
    content: Decimal,
    reorder_quantity: i64,
) -> i64 {
    let short = use_during_lead + reorder_point - available - incoming;
    let needed = if short > Decimal::ZERO && content > Decimal::ZERO {
        (short / content)
            .round_dp_with_strategy(0, RoundingStrategy::AwayFromZero)
            .try_into()
            .unwrap_or(i64::MAX)
    } else {
        0
    };
    needed.max(reorder_quantity).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap() + Duration::days(n)
    }

    #[test]
    fn single_use_containers_count_whole() {
        assert_eq!(per_session_use(d("2"), StockUnit::Ml, d("3"), true), d("3"));
        assert_eq!(per_session_use(d("4"), StockUnit::Ml, d("3"), true), d("6"));
        assert_eq!(
            per_session_use(d("2"), StockUnit::Ml, d("10"), false),
            d("2")
        );
        assert_eq!(
            per_session_use(d("2"), StockUnit::Piece, d("100"), true),
            d("2")
        );
    }

    #[test]
    fn stock_out_day_and_cover() {
        let by_day = daily_use(&[(day(2), d("4")), (day(9), d("4"))], d("0"), day(0), 14);
        let p = project(d("6"), &by_day, day(0));
        assert_eq!(p.use_ahead, d("8"));
        assert_eq!(p.stock_out_on, Some(day(9)));
        let left = stock_by_day(d("6"), &by_day);
        assert_eq!((left[1], left[2], left[9]), (d("6"), d("2"), d("-2")));
        let plenty = project(d("100"), &by_day, day(0));
        assert_eq!(plenty.stock_out_on, None);
        assert!(project(d("5"), &daily_use(&[], d("0"), day(0), 7), day(0))
            .days_of_cover
            .is_none());
    }

    #[test]
    fn expiry_risk_uses_lots_first_expiry_first_out() {
        let by_day = daily_use(&[], d("1"), day(0), 30);
        // 10 expiring on day 5: 5 used (days 0..=4, day 5 too: 6), the rest at risk.
        let risk = expiring_unused(&[(day(5), d("10")), (day(100), d("50"))], &by_day, day(0));
        assert_eq!(risk, vec![(day(5), d("4"))]);
    }

    #[test]
    fn reported_figures_are_what_can_be_used_or_bought() {
        // 50 ml over 30 days is a rate of 1.666667 a day: 30 days of it is 50.00001.
        let by_day = daily_use(&[], d("1.666667"), day(0), 30);
        let p = project(d("10"), &by_day, day(0));
        assert_eq!(p.use_ahead, d("50.00001"));
        let r = p.clone().rounded(StockUnit::Ml);
        assert_eq!(r.use_ahead, d("50"));
        assert_eq!(r.daily_use, d("1.67"));
        assert_eq!(
            (r.stock_out_on, r.days_of_cover),
            (p.stock_out_on, p.days_of_cover)
        );
        assert_eq!(in_unit(d("49.99998"), StockUnit::Ml), d("50"));
        assert_eq!(in_unit(d("12.345"), StockUnit::Ml), d("12.35"));
        // Pieces are whole: noise first, then a part of a piece counts as one.
        assert_eq!(in_unit(d("3.000001"), StockUnit::Piece), d("3"));
        assert_eq!(in_unit(d("2.99998"), StockUnit::Piece), d("3"));
        assert_eq!(in_unit(d("2.3"), StockUnit::Piece), d("3"));
        assert_eq!(in_unit(d("-2.3"), StockUnit::Piece), d("-3"));
        assert_eq!(rate(d("0.033333")), d("0.03"));
    }

    #[test]
    fn order_at_least_the_reorder_quantity_and_enough_for_the_lead_time() {
        assert_eq!(
            containers_to_order(d("4"), d("0"), d("20"), d("10"), d("2"), 5),
            13
        );
        assert_eq!(
            containers_to_order(d("40"), d("0"), d("2"), d("10"), d("2"), 5),
            5
        );
    }
}
