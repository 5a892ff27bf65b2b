//! How a session's need for one product is taken from stock, the way vials are really
//! used:
//! - first-expiry-first-out over the usable lots (a named lot restricts the choice);
//! - a multi-dose vial already open is drawn first; a new one is punctured only when the
//!   open ones do not cover the need, and what is left stays open until its beyond-use
//!   time (puncture + the product's beyond-use days, never past the lot's expiry);
//! - a single-use container is opened for this session only: what it holds beyond the
//!   dose is waste (2 ml from a 3 ml vial moves 3 ml: 2 consumed, 1 wasted);
//! - pieces (needles, rollers, kits) are taken one by one;
//! - an open vial past its beyond-use time, or whose lot has expired, is never drawn
//!   from: its remainder is wasted the next time the product is used;
//! - a lot received after the session's time (a session entered after the fact) was not
//!   on the shelf then: never used, and named when it is asked for.
//!
//! Pure: the caller loads lots and open containers, applies the plan in one transaction.

use crate::domain::ids::{LotId, ProductId};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;

use super::lot::{unusable_reason, LotStatus};
use super::product::StockUnit;

/// What the planner needs of a product.
#[derive(Debug, Clone)]
pub struct ProductUse {
    pub sku: String,
    pub stock_unit: StockUnit,
    pub content: Decimal,
    pub single_use: bool,
    pub beyond_use_days: Option<i64>,
}

impl ProductUse {
    fn multi_dose(&self) -> bool {
        !self.single_use && self.stock_unit == StockUnit::Ml
    }
}

/// A lot of the product, with what is on its shelf.
#[derive(Debug, Clone)]
pub struct LotStock {
    pub lot_id: LotId,
    pub lot_number: String,
    pub expires_on: NaiveDate,
    pub status: LotStatus,
    /// All of the lot, open containers included.
    pub on_hand: Decimal,
    pub received_at: NaiveDateTime,
}

/// A punctured multi-dose vial.
#[derive(Debug, Clone)]
pub struct OpenVial {
    pub container_id: String,
    pub lot_id: LotId,
    pub remaining: Decimal,
    pub beyond_use_at: NaiveDateTime,
}

/// One take from one lot.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    pub lot_id: LotId,
    pub consumed: Decimal,
    pub wasted: Decimal,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// From a vial already open: its remaining volume goes down.
    OpenVial { container_id: String },
    /// A new multi-dose vial punctured now; `left` stays open until `beyond_use_at`.
    NewVial {
        left: Decimal,
        beyond_use_at: NaiveDateTime,
    },
    /// A single-use container or loose pieces.
    Sealed,
}

/// An open vial to close, its remainder wasted.
#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    pub container_id: String,
    pub lot_id: LotId,
    pub wasted: Decimal,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub draws: Vec<Draw>,
    pub sweeps: Vec<Sweep>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlanError {
    /// The named lot may not be used.
    Blocked { lot_number: String, reason: String },
    /// Not enough usable stock; `skipped` names the lots passed over and why.
    NotEnough {
        sku: String,
        needed: Decimal,
        usable: Decimal,
        skipped: Vec<(String, String)>,
    },
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::Blocked { lot_number, reason } => {
                write!(f, "lot {lot_number} cannot be used: {reason}")
            }
            PlanError::NotEnough {
                sku,
                needed,
                usable,
                skipped,
            } => {
                write!(f, "not enough {sku}: {needed} needed, {usable} usable")?;
                if !skipped.is_empty() {
                    let list: Vec<String> = skipped
                        .iter()
                        .map(|(lot, why)| format!("lot {lot} {why}"))
                        .collect();
                    write!(f, " ({})", list.join("; "))?;
                }
                Ok(())
            }
        }
    }
}

/// The end of a lot's last day of use.
fn end_of(day: NaiveDate) -> NaiveDateTime {
    (day + Duration::days(1)).and_time(NaiveTime::MIN)
}

/// When a vial punctured at `opened_at` must be discarded.
pub fn beyond_use_at(
    product: &ProductUse,
    expires_on: NaiveDate,
    opened_at: NaiveDateTime,
) -> NaiveDateTime {
    let days = product
        .beyond_use_days
        .unwrap_or(super::product::DEFAULT_BEYOND_USE_DAYS);
    (opened_at + Duration::days(days)).min(end_of(expires_on))
}

/// What a stale open vial wastes: its rest, never more than its lot still holds (`left`,
/// lowered by it), since the lot may have been wasted whole meanwhile. Both the session
/// that meets a stale vial and the sweep that closes it take this.
pub fn vial_waste(remaining: Decimal, left: &mut Decimal) -> Decimal {
    let wasted = remaining.min(*left).max(Decimal::ZERO);
    *left -= wasted;
    wasted
}

/// Plans taking `need` of a product. `now` decides expiry and beyond-use; `opened_at` is
/// when a new vial counts as punctured (the session's time).
pub fn plan(
    product: &ProductUse,
    need: Decimal,
    lots: &[LotStock],
    open: &[OpenVial],
    named_lot: Option<&str>,
    now: NaiveDateTime,
    opened_at: NaiveDateTime,
) -> Result<Plan, PlanError> {
    let today = now.date();
    let mut plan = Plan::default();
    let mut skipped = Vec::new();

    let lot_of = |id: &str| lots.iter().find(|l| l.lot_id == id);
    // Open vials: past their time (or their lot's expiry) are swept; blocked lots' vials
    // are left alone for the manager to deal with.
    let mut usable_open: Vec<&OpenVial> = Vec::new();
    let mut left: std::collections::HashMap<&str, Decimal> = lots
        .iter()
        .map(|l| (l.lot_id.as_str(), l.on_hand))
        .collect();
    for v in open.iter().filter(|v| v.remaining > Decimal::ZERO) {
        let Some(lot) = lot_of(&v.lot_id) else {
            continue;
        };
        if now >= v.beyond_use_at {
            plan.sweeps.push(Sweep {
                container_id: v.container_id.clone(),
                lot_id: v.lot_id.clone(),
                wasted: vial_waste(
                    v.remaining,
                    left.entry(v.lot_id.as_str()).or_insert(lot.on_hand),
                ),
                reason: format!(
                    "open vial of lot {} past its beyond-use time {}",
                    lot.lot_number,
                    v.beyond_use_at.format("%Y-%m-%d %H:%M")
                ),
            });
        } else if unusable_reason(lot.status, lot.expires_on, today).is_none() {
            usable_open.push(v);
        }
    }
    usable_open.sort_by_key(|v| v.beyond_use_at);

    let mut candidates: Vec<&LotStock> = Vec::new();
    for lot in lots {
        if named_lot.is_some_and(|n| n != lot.lot_id) {
            continue;
        }
        // A session entered after the fact cannot have used a box that arrived later.
        let arrived_later = (lot.received_at > opened_at).then(|| {
            format!(
                "was received {} UTC, after the session ({} UTC)",
                lot.received_at.format("%Y-%m-%d %H:%M"),
                opened_at.format("%Y-%m-%d %H:%M")
            )
        });
        match unusable_reason(lot.status, lot.expires_on, today).or(arrived_later) {
            Some(reason) => {
                if named_lot.is_some() {
                    return Err(PlanError::Blocked {
                        lot_number: lot.lot_number.clone(),
                        reason,
                    });
                }
                if lot.on_hand > Decimal::ZERO {
                    skipped.push((lot.lot_number.clone(), reason));
                }
            }
            None => candidates.push(lot),
        }
    }
    candidates.sort_by(|a, b| {
        (a.expires_on, a.received_at, &a.lot_number).cmp(&(
            b.expires_on,
            b.received_at,
            &b.lot_number,
        ))
    });

    let mut left = need;
    if product.multi_dose() {
        for v in usable_open {
            if left <= Decimal::ZERO {
                break;
            }
            if !candidates.iter().any(|l| l.lot_id == v.lot_id) {
                continue;
            }
            let take = left.min(v.remaining);
            plan.draws.push(Draw {
                lot_id: v.lot_id.clone(),
                consumed: take,
                wasted: Decimal::ZERO,
                source: Source::OpenVial {
                    container_id: v.container_id.clone(),
                },
            });
            left -= take;
        }
    }
    let mut usable = need - left;
    for lot in &candidates {
        // What is still sealed: the lot minus what sits in its open vials.
        let in_open: Decimal = open
            .iter()
            .filter(|v| v.lot_id == lot.lot_id)
            .map(|v| v.remaining)
            .sum();
        let mut sealed = lot.on_hand - in_open;
        usable += sealed.max(Decimal::ZERO);
        while left > Decimal::ZERO && sealed > Decimal::ZERO {
            let (take_out, consumed) = match product.stock_unit {
                StockUnit::Piece => {
                    let t = left.min(sealed);
                    (t, t)
                }
                // A container is opened whole; a partial one (after a correction) counts
                // as a container with what it holds.
                StockUnit::Ml => {
                    let container = product.content.min(sealed);
                    (container, left.min(container))
                }
            };
            let (take_out, consumed) = (take_out.normalize(), consumed.normalize());
            let rest = (take_out - consumed).normalize();
            let (wasted, source) = if product.multi_dose() && rest > Decimal::ZERO {
                (
                    Decimal::ZERO,
                    Source::NewVial {
                        left: rest,
                        beyond_use_at: beyond_use_at(product, lot.expires_on, opened_at),
                    },
                )
            } else {
                (rest, Source::Sealed)
            };
            plan.draws.push(Draw {
                lot_id: lot.lot_id.clone(),
                consumed,
                wasted,
                source,
            });
            sealed -= take_out;
            left -= consumed;
        }
    }
    if left > Decimal::ZERO {
        return Err(PlanError::NotEnough {
            sku: product.sku.clone(),
            needed: need,
            usable,
            skipped,
        });
    }
    Ok(plan)
}

/// What one session takes from one lot: the movements it writes (one consume, at most
/// one waste) sum every draw from that lot, in the order the lots were first drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotTake {
    pub lot_id: LotId,
    pub consumed: Decimal,
    pub wasted: Decimal,
}

pub fn per_lot(draws: &[Draw]) -> Vec<LotTake> {
    let mut out: Vec<LotTake> = Vec::new();
    for d in draws {
        match out.iter_mut().find(|t| t.lot_id == d.lot_id) {
            Some(t) => {
                t.consumed += d.consumed;
                t.wasted += d.wasted;
            }
            None => out.push(LotTake {
                lot_id: d.lot_id.clone(),
                consumed: d.consumed,
                wasted: d.wasted,
            }),
        }
    }
    out
}

/// Planned (the cocktail's amount) against actual (what was used) for one product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variance {
    pub product_id: ProductId,
    /// None when the session followed no cocktail.
    pub planned: Option<Decimal>,
    pub actual: Decimal,
}

/// One line per product of the cocktail (in its order), then per product used beyond
/// it. Without a cocktail nothing is planned; a product the cocktail lacks is planned 0.
pub fn variance(
    planned: Option<&[(ProductId, Decimal)]>,
    used: &[(&ProductId, Decimal)],
) -> Vec<Variance> {
    let mut lines: Vec<Variance> = planned
        .unwrap_or(&[])
        .iter()
        .map(|(p, amount)| Variance {
            product_id: p.clone(),
            planned: Some(*amount),
            actual: Decimal::ZERO,
        })
        .collect();
    for (product_id, q) in used {
        match lines.iter_mut().find(|l| l.product_id == **product_id) {
            Some(l) => l.actual = (l.actual + *q).normalize(),
            None => lines.push(Variance {
                product_id: (*product_id).clone(),
                planned: planned.map(|_| Decimal::ZERO),
                actual: *q,
            }),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    fn product(content: &str, single_use: bool) -> ProductUse {
        ProductUse {
            sku: "HA".into(),
            stock_unit: StockUnit::Ml,
            content: d(content),
            single_use,
            beyond_use_days: if single_use { None } else { Some(28) },
        }
    }

    fn lot(id: &str, days: i64, status: LotStatus, on_hand: &str) -> LotStock {
        LotStock {
            lot_id: id.into(),
            lot_number: format!("N-{id}"),
            expires_on: now().date() + Duration::days(days),
            status,
            on_hand: d(on_hand),
            received_at: now() - Duration::days(30),
        }
    }

    #[test]
    fn single_use_leftover_is_waste() {
        let p = plan(
            &product("3", true),
            d("2"),
            &[lot("a", 100, LotStatus::Available, "9")],
            &[],
            None,
            now(),
            now(),
        )
        .unwrap();
        assert_eq!(
            p.draws,
            vec![Draw {
                lot_id: "a".into(),
                consumed: d("2"),
                wasted: d("1"),
                source: Source::Sealed
            }]
        );
    }

    #[test]
    fn fefo_skips_expired_and_quarantined_lots() {
        let lots = [
            lot("late", 200, LotStatus::Available, "6"),
            lot("expired", -1, LotStatus::Available, "6"),
            lot("held", 10, LotStatus::Quarantined, "6"),
            lot("soon", 20, LotStatus::Available, "6"),
        ];
        let p = plan(&product("2", true), d("3"), &lots, &[], None, now(), now()).unwrap();
        let used: Vec<_> = p.draws.iter().map(|d| d.lot_id.as_str()).collect();
        assert_eq!(used, vec!["soon", "soon"]);
        assert_eq!(p.draws[1].wasted, d("1"));
        let err = plan(&product("2", true), d("13"), &lots, &[], None, now(), now()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("N-expired") && text.contains("N-held") && text.contains("quarantined"),
            "{text}"
        );
    }

    #[test]
    fn named_blocked_lot_is_refused_with_its_reason() {
        let lots = [lot("r", 100, LotStatus::Recalled, "6")];
        let err = plan(
            &product("2", true),
            d("1"),
            &lots,
            &[],
            Some("r"),
            now(),
            now(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            PlanError::Blocked {
                lot_number: "N-r".into(),
                reason: "recalled".into()
            }
        );
    }

    #[test]
    fn multi_dose_vial_stays_open_and_is_drawn_first() {
        let p10 = product("10", false);
        let lots = [lot("a", 100, LotStatus::Available, "20")];
        let first = plan(&p10, d("0.1"), &lots, &[], None, now(), now()).unwrap();
        assert_eq!(first.draws.len(), 1);
        let Source::NewVial {
            left,
            beyond_use_at: bud,
        } = &first.draws[0].source
        else {
            panic!("opens a vial")
        };
        assert_eq!(*left, d("9.9"));
        assert_eq!(*bud, now() + Duration::days(28));
        let open = [OpenVial {
            container_id: "v".into(),
            lot_id: "a".into(),
            remaining: d("9.9"),
            beyond_use_at: *bud,
        }];
        let second = plan(&p10, d("0.2"), &lots, &open, None, now(), now()).unwrap();
        assert_eq!(
            second.draws,
            vec![Draw {
                lot_id: "a".into(),
                consumed: d("0.2"),
                wasted: Decimal::ZERO,
                source: Source::OpenVial {
                    container_id: "v".into()
                }
            }]
        );
        assert_eq!(d("9.9") - d("0.2"), d("9.7"));
    }

    #[test]
    fn beyond_use_vial_is_swept_and_never_drawn() {
        let p10 = product("10", false);
        let lots = [lot("a", 100, LotStatus::Available, "15")];
        let open = [OpenVial {
            container_id: "v".into(),
            lot_id: "a".into(),
            remaining: d("5"),
            beyond_use_at: now() - Duration::hours(1),
        }];
        let p = plan(&p10, d("1"), &lots, &open, None, now(), now()).unwrap();
        assert_eq!(p.sweeps.len(), 1);
        assert_eq!(p.sweeps[0].wasted, d("5"));
        assert!(matches!(p.draws[0].source, Source::NewVial { .. }));
        // Sealed stock is only the 10 ml outside the open vial.
        let err = plan(&p10, d("11"), &lots, &open, None, now(), now()).unwrap_err();
        assert!(matches!(err, PlanError::NotEnough { .. }));
    }

    #[test]
    fn a_stale_vial_never_wastes_more_than_its_lot_holds() {
        let mut left = Decimal::from(10);
        assert_eq!(vial_waste(Decimal::from(7), &mut left), Decimal::from(7));
        assert_eq!(vial_waste(Decimal::from(7), &mut left), Decimal::from(3));
        assert_eq!(vial_waste(Decimal::from(7), &mut left), Decimal::ZERO);
        assert_eq!(left, Decimal::ZERO);
    }

    #[test]
    fn beyond_use_never_passes_the_lot_expiry() {
        let p10 = product("10", false);
        let e = now().date() + Duration::days(3);
        assert_eq!(
            beyond_use_at(&p10, e, now()),
            (e + Duration::days(1)).and_time(NaiveTime::MIN)
        );
    }

    #[test]
    fn one_item_may_span_containers_and_lots() {
        let lots = [
            lot("a", 10, LotStatus::Available, "3"),
            lot("b", 20, LotStatus::Available, "6"),
        ];
        let p = plan(&product("3", true), d("7"), &lots, &[], None, now(), now()).unwrap();
        let used: Vec<_> = p
            .draws
            .iter()
            .map(|d| (d.lot_id.as_str(), d.consumed, d.wasted))
            .collect();
        assert_eq!(
            used,
            vec![
                ("a", d("3"), d("0")),
                ("b", d("3"), d("0")),
                ("b", d("1"), d("2"))
            ]
        );
    }

    #[test]
    fn pieces_are_taken_without_waste() {
        let needles = ProductUse {
            sku: "N".into(),
            stock_unit: StockUnit::Piece,
            content: d("100"),
            single_use: true,
            beyond_use_days: None,
        };
        let p = plan(
            &needles,
            d("2"),
            &[lot("a", 300, LotStatus::Available, "100")],
            &[],
            None,
            now(),
            now(),
        )
        .unwrap();
        assert_eq!(
            p.draws,
            vec![Draw {
                lot_id: "a".into(),
                consumed: d("2"),
                wasted: d("0"),
                source: Source::Sealed
            }]
        );
    }

    #[test]
    fn per_lot_sums_draws_of_the_same_lot() {
        let draw = |lot: &str, c: &str, w: &str| Draw {
            lot_id: lot.into(),
            consumed: d(c),
            wasted: d(w),
            source: Source::Sealed,
        };
        let takes = per_lot(&[
            draw("a", "1", "0"),
            draw("b", "2", "0.5"),
            draw("a", "0.5", "1"),
        ]);
        assert_eq!(
            takes,
            vec![
                LotTake {
                    lot_id: "a".into(),
                    consumed: d("1.5"),
                    wasted: d("1")
                },
                LotTake {
                    lot_id: "b".into(),
                    consumed: d("2"),
                    wasted: d("0.5")
                },
            ]
        );
    }

    #[test]
    fn variance_against_the_cocktail() {
        let (ha, vit, needle) = (
            ProductId::from("ha"),
            ProductId::from("vit"),
            ProductId::from("needle"),
        );
        let planned = vec![(ha.clone(), d("2")), (vit, d("1"))];
        let lines = variance(
            Some(&planned),
            &[(&ha, d("1.5")), (&ha, d("0.5")), (&needle, d("1"))],
        );
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[0].planned, lines[0].actual), (Some(d("2")), d("2")));
        assert_eq!((lines[1].planned, lines[1].actual), (Some(d("1")), d("0")));
        assert_eq!((lines[2].planned, lines[2].actual), (Some(d("0")), d("1")));
        let free = variance(None, &[(&ha, d("1"))]);
        assert_eq!(free[0].planned, None);
    }

    #[test]
    fn a_back_dated_session_uses_only_lots_received_before_it() {
        let p = product("2", true);
        let mut late = lot("late", 60, LotStatus::Available, "10");
        late.received_at = now() - Duration::hours(1);
        let early = lot("early", 90, LotStatus::Available, "10");
        let yesterday = now() - Duration::days(1);
        // First-expiry-first-out passes over the later delivery.
        let plan = plan(
            &p,
            d("2"),
            &[late.clone(), early],
            &[],
            None,
            now(),
            yesterday,
        )
        .unwrap();
        assert_eq!(plan.draws[0].lot_id, "early");
        // Named, it is refused with the lot named.
        let err = super::plan(
            &p,
            d("2"),
            &[late.clone()],
            &[],
            Some("late"),
            now(),
            yesterday,
        )
        .unwrap_err();
        assert!(err.to_string().contains("N-late"), "{err}");
        assert!(err.to_string().contains("after the session"), "{err}");
        // The same lot serves a session logged now.
        assert!(super::plan(&p, d("2"), &[late], &[], None, now(), now()).is_ok());
    }
}
