//! Forecast, reorder suggestions and alerts: what the manager must order or use up.
//! The data is read once per request for the whole clinic (`Outlook::load`); the rules
//! are in `domain::forecast`.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use super::{today, Actor};
use crate::db::balances::{self, Balance};
use crate::db::catalogue::{self, Catalogue};
use crate::db::products::Product;
use crate::db::{planning, suppliers, Conn};
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
    lead_times: HashMap<ProductId, (SupplierId, String, i64)>,
    planned: HashMap<ProductId, Vec<(NaiveDate, Decimal)>>,
    rate: HashMap<ProductId, Decimal>,
    incoming: HashMap<ProductId, Decimal>,
    /// On hand, usable, expired and next expiry per product (products with stock only).
    pub levels: HashMap<ProductId, Balance>,
    /// Usable lots expiring within the horizon, per product.
    lots: HashMap<ProductId, Vec<(NaiveDate, Decimal)>>,
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
    /// Projected stock at the end of each day of the horizon (negative: the shortfall).
    pub stock_by_day: Vec<Decimal>,
    /// Planned course sessions within the horizon: (date, use).
    pub planned: Vec<(NaiveDate, Decimal)>,
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
        let catalogue = catalogue::of(conn, clinic)?;
        let mut lead_times = HashMap::new();
        // An archived supplier is no one to order from: its products count as having none.
        let suppliers = suppliers::list(conn, clinic, Some(false))?;
        let mut longest = days;
        for p in catalogue.products.iter() {
            if let Some(s) = p
                .supplier_id
                .as_ref()
                .and_then(|id| suppliers.iter().find(|s| &s.id == id))
            {
                lead_times.insert(
                    p.id.clone(),
                    (s.id.clone(), s.name.clone(), s.lead_time_days),
                );
                longest = longest.max(s.lead_time_days + SAFETY_DAYS);
            }
        }
        let mut planned: HashMap<ProductId, Vec<(NaiveDate, Decimal)>> = HashMap::new();
        for u in planning::planned_use(conn, clinic, today, today + Duration::days(longest))? {
            let Some(p) = catalogue.get(&u.product_id) else {
                continue;
            };
            let use_per_session = per_session_use(u.amount, p.stock_unit, p.content, p.single_use);
            // One entry per session: the forecast page counts and lists them.
            let sessions = usize::try_from(u.sessions).unwrap_or(0);
            planned
                .entry(u.product_id)
                .or_default()
                .extend(std::iter::repeat_n((u.on, use_per_session), sessions));
        }
        // Courses go on into maintenance: those sessions use the cocktail too.
        let until = today + Duration::days(longest);
        for m in planning::maintained_courses(conn, clinic)? {
            let Some(p) = catalogue.get(&m.product_id) else {
                continue;
            };
            let every = maintenance_days(m.every, &m.area);
            let use_per_session = per_session_use(m.amount, p.stock_unit, p.content, p.single_use);
            let dates = maintenance_dates(m.last_on, every, today, until);
            planned
                .entry(m.product_id)
                .or_default()
                .extend(dates.into_iter().map(|on| (on, use_per_session)));
        }
        let incoming = planning::incoming(conn, clinic)?.into_iter().collect();
        let mut lots: HashMap<ProductId, Vec<(NaiveDate, Decimal)>> = HashMap::new();
        // One row per product serves both the stock view and the forecast.
        let levels: HashMap<ProductId, Balance> = balances::read(conn, clinic, today)?
            .into_iter()
            .map(|r| (r.product_id.clone(), r))
            .collect();
        let window = Decimal::from(RATE_WINDOW_DAYS);
        let rate = levels
            .iter()
            .filter(|(_, b)| !b.recent_use.is_zero())
            .map(|(p, b)| (p.clone(), (b.recent_use / window).round_dp(6)))
            .collect();
        for (product_id, expires_on, q) in planning::usable_lots(conn, clinic, today, until)? {
            lots.entry(product_id).or_default().push((expires_on, q));
        }
        Ok(Outlook {
            today,
            catalogue,
            lead_times,
            planned,
            rate,
            incoming,
            levels,
            lots,
        })
    }

    fn planned_of(&self, product: &Product) -> &[(NaiveDate, Decimal)] {
        self.planned
            .get(&product.id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn available(&self, product: &Product) -> Decimal {
        self.levels
            .get(&product.id)
            .map_or(Decimal::ZERO, |l| l.available)
    }

    /// Expected use on each of the next `days` days.
    fn use_by_day(&self, product: &Product, days: i64) -> Vec<Decimal> {
        let rate = self.rate.get(&product.id).copied().unwrap_or_default();
        daily_use(self.planned_of(product), rate, self.today, days)
    }

    /// Usable stock the forecast will not use before it expires, within `days`: the
    /// stock view's `at_risk` without the rest of the forecast.
    pub fn expiring_unused(&self, product: &Product, days: i64) -> Vec<(NaiveDate, Decimal)> {
        let lots = self.lots.get(&product.id).map(Vec::as_slice).unwrap_or(&[]);
        if lots.is_empty() {
            return Vec::new();
        }
        at_risk(
            lots,
            &self.use_by_day(product, days),
            self.today,
            product.stock_unit,
        )
    }

    pub fn forecast(&self, product: &Product, days: i64) -> ProductForecast {
        let planned = self.planned_of(product);
        let rate = self.rate.get(&product.id).copied().unwrap_or_default();
        let lots = self.lots.get(&product.id).map(Vec::as_slice).unwrap_or(&[]);
        let available = self.available(product);
        let by_day = self.use_by_day(product, days);
        let horizon_end = self.today + Duration::days(days);
        let mut within: Vec<(NaiveDate, Decimal)> = planned
            .iter()
            .filter(|(d, _)| *d < horizon_end)
            .copied()
            .collect();
        within.sort_by_key(|(d, _)| *d);
        let unit = product.stock_unit;
        ProductForecast {
            available,
            incoming: self.incoming.get(&product.id).copied().unwrap_or_default(),
            planned_use: in_unit(within.iter().map(|(_, q)| *q).sum::<Decimal>(), unit),
            recent_daily_use: rate_of(rate),
            projection: project(available, &by_day, self.today).rounded(unit),
            expiring_unused: at_risk(lots, &by_day, self.today, unit),
            stock_by_day: stock_by_day(available, &by_day)
                .into_iter()
                .map(|q| in_unit(q, unit))
                .collect(),
            planned: within,
        }
    }

    /// The products the forecast and the suggestions plan for: archived ones are no longer
    /// bought (the stock view still shows their stock).
    pub fn planned_products(&self) -> impl Iterator<Item = &Product> {
        self.catalogue.products.iter().filter(|p| !p.archived)
    }

    /// (supplier id, supplier name, lead time days) of the product's preferred supplier.
    pub fn supplier_of(&self, product: &Product) -> Option<&(SupplierId, String, i64)> {
        self.lead_times.get(&product.id)
    }

    /// What to order of a product now, and why; none when nothing is needed.
    pub fn suggestion(&self, product: &Product) -> Option<Suggestion> {
        if product.archived {
            return None;
        }
        let lead = self
            .supplier_of(product)
            .map_or(DEFAULT_LEAD_TIME_DAYS, |s| s.2);
        let horizon = lead + SAFETY_DAYS;
        // Only what the rule needs: no per-day stock or expiry projection here, since the
        // views ask this of every product.
        let available = self.available(product);
        let incoming = self.incoming.get(&product.id).copied().unwrap_or_default();
        let coming = available + incoming;
        let low = coming <= product.reorder_point;
        // Nothing planned and no recent use: stock above the reorder point cannot run out,
        // and most of a big catalogue is such (no per-day projection to build for it).
        if !low && self.planned_of(product).is_empty() && !self.rate.contains_key(&product.id) {
            return None;
        }
        let by_day = self.use_by_day(product, horizon);
        let projection = project(coming, &by_day, self.today).rounded(product.stock_unit);
        let runs_out = projection.stock_out_on;
        if !low && runs_out.is_none() {
            return None;
        }
        let use_ahead = projection.use_ahead;
        // "ml" reads well after a number; "piece" does not.
        let unit = if product.stock_unit == StockUnit::Piece {
            "pcs"
        } else {
            product.stock_unit.as_str()
        };
        let reason = match runs_out {
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
        .map(|p| outlook.forecast(p, days))
        .collect();
    Ok((outlook, lines))
}

/// (supplier id and name, or none) and what to order from it.
pub type SupplierGroup = (Option<(SupplierId, String)>, Vec<Suggestion>);

/// Suggestions grouped by supplier (products without one come last, under `None`).
pub fn suggestions(conn: &mut Conn, actor: &Actor) -> AppResult<Vec<SupplierGroup>> {
    let clinic = actor.clinic_for(Action::ManageStock)?;
    let outlook = Outlook::load(conn, clinic, 1)?;
    let mut groups: Vec<SupplierGroup> = Vec::new();
    for p in outlook.planned_products() {
        let Some(s) = outlook.suggestion(p) else {
            continue;
        };
        let key = outlook
            .supplier_of(p)
            .map(|(id, name, _)| (id.clone(), name.clone()));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(s),
            None => groups.push((key, vec![s])),
        }
    }
    groups.sort_by_key(|(k, _)| {
        k.as_ref()
            .map_or((1, String::new()), |(_, name)| (0, name.clone()))
    });
    Ok(groups)
}
