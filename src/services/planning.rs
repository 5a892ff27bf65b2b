//! Forecast, reorder suggestions and alerts: what the manager must order or use up.
//! The data is read once per request for the whole clinic (`Outlook::load`); the rules
//! are in `domain::forecast`.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use super::{today, Actor};
use crate::db::balances::{self, Balance};
use crate::db::catalogue::{self, Catalogue};
use crate::db::products::Product;
use crate::db::{kept, planning, suppliers, Conn};
use crate::domain::course::{maintenance_dates, maintenance_days};
use crate::domain::forecast::{
    containers_to_order, daily_use, expiring_unused, in_unit, per_session_use, project,
    rate as rate_of, stock_by_day, Projection, RATE_WINDOW_DAYS, SAFETY_DAYS,
};
use crate::domain::ids::{ClinicId, ProductId, SupplierId};
use crate::domain::product::StockUnit;
use crate::domain::role::Action;
use crate::error::{AppError, AppResult};

/// Lead time assumed for a product without a preferred supplier.
pub const DEFAULT_LEAD_TIME_DAYS: i64 = 7;

/// Everything the forecast needs, for every product of one clinic.
pub struct Outlook {
    pub today: NaiveDate,
    /// The clinic's catalogue, archived products included (shared: see `db::catalogue`).
    pub catalogue: Arc<Catalogue>,
    /// The clinic's suppliers that are not archived: (id, name, lead time in days).
    suppliers: Vec<(SupplierId, String, i64)>,
    /// Per product, in the catalogue's order: the views ask every product, so its data
    /// sits beside it instead of in a map per kind of figure.
    ahead: Vec<Ahead>,
}

/// What the forecast knows of one product.
#[derive(Default)]
struct Ahead {
    /// Its preferred supplier, in `Outlook::suppliers`.
    supplier: Option<usize>,
    /// Planned course and maintenance sessions: (date, use), one entry per session.
    planned: Vec<(NaiveDate, Decimal)>,
    /// Unplanned use per day over the rate window (zero: none).
    rate: Decimal,
    incoming: Decimal,
    /// On hand, usable, expired and next expiry (products with stock only).
    level: Option<Balance>,
    /// Usable lots expiring within the horizon: (expiry, quantity).
    lots: Vec<(NaiveDate, Decimal)>,
}

/// One product's forecast.
#[derive(Debug, Clone)]
pub struct ProductForecast {
    pub available: Decimal,
    pub incoming: Decimal,
    /// Planned course and maintenance sessions over the horizon (whole single-use
    /// containers).
    pub planned_use: Decimal,
    /// Unplanned use per day over the last 30 days.
    pub recent_daily_use: Decimal,
    pub projection: Projection,
    /// Usable stock the forecast will not use before it expires: (expiry, quantity).
    pub expiring_unused: Vec<(NaiveDate, Decimal)>,
    /// Planned course sessions within the horizon: (date, use).
    pub planned: Vec<(NaiveDate, Decimal)>,
    /// Expected use on each day of the horizon, exact.
    use_by_day: Vec<Decimal>,
    unit: StockUnit,
}

impl ProductForecast {
    /// Projected stock at the end of each day of the horizon (negative: the shortfall), as
    /// reported. Computed when asked: the API does not list it, the forecast page plots it.
    pub fn stock_by_day(&self) -> Vec<Decimal> {
        stock_by_day(self.available, &self.use_by_day)
            .into_iter()
            .map(|q| in_unit(q, self.unit))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Suggestion {
    pub product: Product,
    pub containers: i64,
    pub reason: String,
}

impl Outlook {
    /// Reads the clinic's data for a horizon of `days` days (and at least every
    /// supplier's lead time).
    pub fn load(conn: &mut Conn, clinic: &ClinicId, days: i64) -> AppResult<Outlook> {
        let today = today();
        // Both kept parts under one read of the clinic's tokens.
        let (catalogue, plan) = match kept::versions(conn, clinic)? {
            Some((catalog_version, plan_version)) => (
                catalogue::at(conn, clinic, catalog_version)?,
                planning::plan_at(conn, clinic, plan_version, today)?,
            ),
            None => (Arc::new(Catalogue::empty()), Arc::default()),
        };
        let mut ahead: Vec<Ahead> = std::iter::repeat_with(Ahead::default)
            .take(catalogue.products.len())
            .collect();
        // An archived supplier is no one to order from: its products count as having none.
        let suppliers: Vec<(SupplierId, String, i64)> = suppliers::list(conn, clinic, Some(false))?
            .into_iter()
            .map(|s| (s.id, s.name, s.lead_time_days))
            .collect();
        let supplier_at: std::collections::HashMap<&SupplierId, usize> = suppliers
            .iter()
            .enumerate()
            .map(|(i, s)| (&s.0, i))
            .collect();
        let mut longest = days;
        for (p, a) in catalogue.products.iter().zip(ahead.iter_mut()) {
            a.supplier = p
                .supplier_id
                .as_ref()
                .and_then(|id| supplier_at.get(id).copied());
            if let Some(s) = a.supplier.and_then(|i| suppliers.get(i)) {
                longest = longest.max(s.2 + SAFETY_DAYS);
            }
        }
        let until = today + Duration::days(longest);
        // A product's row of `ahead`, with the product, by the catalogue's index.
        fn row<'a>(
            catalogue: &'a Catalogue,
            ahead: &'a mut [Ahead],
            id: &ProductId,
        ) -> Option<(&'a Product, &'a mut Ahead)> {
            let i = catalogue.position(id)?;
            Some((catalogue.products.get(i)?, ahead.get_mut(i)?))
        }
        for u in plan.planned.iter().filter(|u| u.on < until) {
            let Some((p, a)) = row(&catalogue, &mut ahead, &u.product_id) else {
                continue;
            };
            let use_per_session = per_session_use(u.amount, p.stock_unit, p.content, p.single_use);
            // One entry per session: the forecast page counts and lists them.
            let sessions = usize::try_from(u.sessions).unwrap_or(0);
            a.planned
                .extend(std::iter::repeat_n((u.on, use_per_session), sessions));
        }
        // Courses go on into maintenance: those sessions use the cocktail too.
        for m in &plan.maintained {
            let Some((p, a)) = row(&catalogue, &mut ahead, &m.product_id) else {
                continue;
            };
            let every = maintenance_days(m.every, &m.area);
            let use_per_session = per_session_use(m.amount, p.stock_unit, p.content, p.single_use);
            let dates = maintenance_dates(m.last_on, every, today, until);
            a.planned
                .extend(dates.into_iter().map(|on| (on, use_per_session)));
        }
        // In the stock unit: what each container holds.
        for (product_id, containers) in planning::incoming(conn, clinic)? {
            if let Some((p, a)) = row(&catalogue, &mut ahead, &product_id) {
                a.incoming = Decimal::from(containers) * p.content;
            }
        }
        // One row per product serves both the stock view and the forecast.
        let window = Decimal::from(RATE_WINDOW_DAYS);
        for b in balances::read(conn, clinic, today)? {
            if let Some((_, a)) = row(&catalogue, &mut ahead, &b.product_id) {
                if !b.recent_use.is_zero() {
                    a.rate = (b.recent_use / window).round_dp(6);
                }
                a.level = Some(b);
            }
        }
        for (product_id, expires_on, q) in planning::usable_lots(conn, clinic, today, until)? {
            if let Some((_, a)) = row(&catalogue, &mut ahead, &product_id) {
                a.lots.push((expires_on, q));
            }
        }
        Ok(Outlook {
            today,
            catalogue,
            suppliers,
            ahead,
        })
    }

    /// Every product of the catalogue (archived too) with what the forecast knows of it.
    pub fn products(&self) -> impl Iterator<Item = ProductOutlook<'_>> {
        self.catalogue
            .products
            .iter()
            .zip(&self.ahead)
            .map(move |(product, ahead)| ProductOutlook {
                outlook: self,
                product,
                ahead,
            })
    }

    /// The products the forecast and the suggestions plan for: archived ones are no longer
    /// bought (the stock view still shows their stock).
    pub fn planned_products(&self) -> impl Iterator<Item = ProductOutlook<'_>> {
        self.products().filter(|p| !p.product.archived)
    }
}

/// One product of an `Outlook`.
#[derive(Clone, Copy)]
pub struct ProductOutlook<'a> {
    outlook: &'a Outlook,
    pub product: &'a Product,
    ahead: &'a Ahead,
}

impl<'a> ProductOutlook<'a> {
    /// On hand, usable, expired and next expiry; none for a product without stock.
    pub fn level(&self) -> Option<&'a Balance> {
        self.ahead.level.as_ref()
    }

    fn available(&self) -> Decimal {
        self.level().map_or(Decimal::ZERO, |l| l.available)
    }

    /// (supplier id, supplier name, lead time days) of the product's preferred supplier.
    pub fn supplier(&self) -> Option<&'a (SupplierId, String, i64)> {
        self.ahead
            .supplier
            .and_then(|i| self.outlook.suppliers.get(i))
    }

    /// Expected use on each of the next `days` days.
    fn use_by_day(&self, days: i64) -> Vec<Decimal> {
        daily_use(
            &self.ahead.planned,
            self.ahead.rate,
            self.outlook.today,
            days,
        )
    }

    pub fn forecast(&self, days: i64) -> ProductForecast {
        let today = self.outlook.today;
        let available = self.available();
        let by_day = self.use_by_day(days);
        let horizon_end = today + Duration::days(days);
        let mut within: Vec<(NaiveDate, Decimal)> = self
            .ahead
            .planned
            .iter()
            .filter(|(d, _)| *d < horizon_end)
            .copied()
            .collect();
        within.sort_by_key(|(d, _)| *d);
        let unit = self.product.stock_unit;
        ProductForecast {
            available,
            incoming: self.ahead.incoming,
            planned_use: in_unit(within.iter().map(|(_, q)| *q).sum::<Decimal>(), unit),
            recent_daily_use: rate_of(self.ahead.rate),
            projection: project(available, &by_day, today).rounded(unit),
            expiring_unused: at_risk(&self.ahead.lots, &by_day, today, unit),
            planned: within,
            use_by_day: by_day,
            unit,
        }
    }

    /// What the stock view flags: the usable stock that will expire unused within `days`,
    /// and whether the product needs ordering now. One per-day projection serves both.
    pub fn attention(&self, days: i64) -> (Vec<(NaiveDate, Decimal)>, bool) {
        let lead = self.lead_time();
        let by_day = self.use_by_day(days.max(lead + SAFETY_DAYS));
        let at_risk = if self.ahead.lots.is_empty() {
            Vec::new()
        } else {
            let within = by_day
                .get(..usize::try_from(days).unwrap_or(0))
                .unwrap_or(&by_day);
            at_risk(
                &self.ahead.lots,
                within,
                self.outlook.today,
                self.product.stock_unit,
            )
        };
        (at_risk, self.need(&by_day).is_some())
    }

    fn lead_time(&self) -> i64 {
        self.supplier().map_or(DEFAULT_LEAD_TIME_DAYS, |s| s.2)
    }

    /// Why the product must be ordered now, from its use per day (at least the lead time
    /// and the margin): none when it need not be.
    fn need(&self, by_day: &[Decimal]) -> Option<Need> {
        let product = self.product;
        if product.archived {
            return None;
        }
        let lead = self.lead_time();
        let available = self.available();
        let incoming = self.ahead.incoming;
        let coming = available + incoming;
        let low = coming <= product.reorder_point;
        // Nothing planned and no recent use: stock above the reorder point cannot run out,
        // and most of a big catalogue is such (no projection to make for it).
        if !low && self.ahead.planned.is_empty() && self.ahead.rate.is_zero() {
            return None;
        }
        let horizon = usize::try_from(lead + SAFETY_DAYS).unwrap_or(0);
        let by_day = by_day.get(..horizon).unwrap_or(by_day);
        let projection = project(coming, by_day, self.outlook.today).rounded(product.stock_unit);
        if !low && projection.stock_out_on.is_none() {
            return None;
        }
        Some(Need {
            lead,
            available,
            incoming,
            projection,
        })
    }

    /// What to order of the product now, and why; none when nothing is needed.
    pub fn suggestion(&self) -> Option<Suggestion> {
        let product = self.product;
        let Need {
            lead,
            available,
            incoming,
            projection,
        } = self.need(&self.use_by_day(self.lead_time() + SAFETY_DAYS))?;
        let use_ahead = projection.use_ahead;
        // "ml" reads well after a number; "piece" does not.
        let unit = if product.stock_unit == StockUnit::Piece {
            "pcs"
        } else {
            product.stock_unit.as_str()
        };
        let reason = match projection.stock_out_on {
            Some(day) => format!(
                "runs out on {day}: {use_ahead} {unit} needed within the {lead}-day lead time and {SAFETY_DAYS} days' margin, {available} {unit} available{}",
                incoming_note(incoming, unit)
            ),
            None => format!(
                "{available} {unit} available{} is at or below the reorder point of {} {unit}",
                incoming_note(incoming, unit),
                product.reorder_point
            ),
        };
        let containers = containers_to_order(
            available,
            incoming,
            use_ahead,
            product.reorder_point,
            product.content,
            product.reorder_quantity,
        );
        Some(Suggestion {
            product: product.clone(),
            containers,
            reason,
        })
    }
}

/// A product that must be ordered now: its lead time, stock, what is on order, and the
/// projection over the lead time and margin that says so.
struct Need {
    lead: i64,
    available: Decimal,
    incoming: Decimal,
    projection: Projection,
}

/// `domain::forecast::expiring_unused`, quantities as reported.
fn at_risk(
    lots: &[(NaiveDate, Decimal)],
    by_day: &[Decimal],
    today: NaiveDate,
    unit: StockUnit,
) -> Vec<(NaiveDate, Decimal)> {
    expiring_unused(lots, by_day, today)
        .into_iter()
        .map(|(on, q)| (on, in_unit(q, unit)))
        .collect()
}

fn incoming_note(incoming: Decimal, unit: &str) -> String {
    if incoming > Decimal::ZERO {
        format!(" (+{incoming} {unit} on order)")
    } else {
        String::new()
    }
}

pub fn forecast(
    conn: &mut Conn,
    actor: &Actor,
    days: i64,
) -> AppResult<(Outlook, Vec<ProductForecast>)> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    if !(1..=365).contains(&days) {
        return Err(AppError::invalid("days", "forecast 1 to 365 days ahead"));
    }
    let outlook = Outlook::load(conn, clinic, days)?;
    let lines = outlook
        .planned_products()
        .map(|p| p.forecast(days))
        .collect();
    Ok((outlook, lines))
}

/// (supplier id and name, or none) and what to order from it.
pub type SupplierGroup = (Option<(SupplierId, String)>, Vec<Suggestion>);

/// Suggestions grouped by supplier (products without one come last, under `None`).
pub fn suggestions(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<SupplierGroup>> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    let outlook = Outlook::load(conn, clinic, 1)?;
    // Grouped by the supplier's place in the outlook's list (none last), named after.
    let mut by_supplier: Vec<(Option<usize>, Vec<Suggestion>)> = Vec::new();
    for p in outlook.planned_products() {
        let Some(s) = p.suggestion() else {
            continue;
        };
        let key = p.ahead.supplier;
        match by_supplier.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(s),
            None => by_supplier.push((key, vec![s])),
        }
    }
    let mut groups: Vec<SupplierGroup> = by_supplier
        .into_iter()
        .map(|(key, list)| {
            let supplier = key
                .and_then(|i| outlook.suppliers.get(i))
                .map(|(id, name, _)| (id.clone(), name.clone()));
            (supplier, list)
        })
        .collect();
    groups.sort_by_key(|(k, _)| {
        k.as_ref()
            .map_or((1, String::new()), |(_, name)| (0, name.clone()))
    });
    Ok(groups)
}
