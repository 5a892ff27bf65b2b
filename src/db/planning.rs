//! What the forecast reads besides the balances (`db::balances`): planned course
//! sessions, stock on open purchase orders and usable lots, each in one query for the
//! whole clinic.

use std::sync::Arc;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use rust_decimal::Decimal;

use super::kept::Kept;
use super::types::{Day, Scaled};
use super::{portable_sql, Conn};
use crate::domain::course::CourseStatus;
use crate::domain::ids::{ClinicId, ProductId};
use crate::domain::lot::LotStatus;
use crate::domain::order::PurchaseOrderStatus;

#[derive(QueryableByName)]
struct PlannedRow {
    #[diesel(sql_type = Date, deserialize_as = Day)]
    planned_on: NaiveDate,
    #[diesel(sql_type = Text)]
    product_id: ProductId,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    amount: Decimal,
    #[diesel(sql_type = BigInt)]
    sessions: i64,
}

/// Planned use on one day: that many sessions each using `amount` of the product.
pub struct PlannedUse {
    pub on: NaiveDate,
    pub product_id: ProductId,
    pub amount: Decimal,
    pub sessions: i64,
}

/// What the stock views plan with: every not-yet-done session of active courses (see
/// `planned_use`) and the courses that go on into maintenance.
#[derive(Default)]
pub struct Plan {
    pub planned: Vec<PlannedUse>,
    pub maintained: Vec<Maintained>,
}

static KEPT_PLANS: Kept<Plan> = Kept::new();

/// The clinic's plan as of `today` and `version` (its `plan_version`, read just before),
/// kept in memory while the version (renewed by triggers on courses, their sessions and
/// cocktails) and the day are unchanged: the views read it on every request, and it
/// changes with course writes, not with stock.
pub fn plan_at(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    version: String,
    today: NaiveDate,
) -> QueryResult<Arc<Plan>> {
    // Overdue sessions count on today, so what is kept holds for one day.
    KEPT_PLANS.get_or_load(clinic_id, format!("{version} {today}"), || {
        Ok(Plan {
            planned: planned_use(conn, clinic_id, today)?,
            maintained: maintained_courses(conn, clinic_id)?,
        })
    })
}

/// Not-yet-done sessions of active courses, with the current cocktail's amount per
/// product, counted per (day, product, amount). An overdue session is still expected: it
/// counts on `today`. Counted in SQL because a busy clinic has thousands of planned
/// sessions.
fn planned_use(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    today: NaiveDate,
) -> QueryResult<Vec<PlannedUse>> {
    let active = CourseStatus::Active;
    let sql = portable_sql(
        conn,
        // Sessions are counted per (cocktail, day) before the cocktail's components are
        // joined: thousands of planned sessions share a handful of cocktails.
        &format!("SELECT d.planned_on, fc.product_id, fc.amount, CAST(SUM(d.n) AS BIGINT) AS sessions \
         FROM (SELECT c.formulation_id, \
                 CASE WHEN cs.planned_on < $2 THEN $2 ELSE cs.planned_on END AS planned_on, \
                 COUNT(*) AS n \
               FROM course_sessions cs JOIN courses c ON c.id = cs.course_id \
               WHERE cs.clinic_id = $1 AND c.status = '{active}' AND cs.session_id IS NULL \
               GROUP BY c.formulation_id, 2) d \
         JOIN formulations f ON f.id = d.formulation_id \
         JOIN formulation_versions fv ON fv.formulation_id = f.id AND fv.version = f.current_version \
         JOIN formulation_components fc ON fc.version_id = fv.id \
         GROUP BY d.planned_on, fc.product_id, fc.amount"),
    );
    let rows: Vec<PlannedRow> = super::raw(sql, 1)
        .bind::<Text, _>(clinic_id)
        .bind::<Date, _>(today)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| PlannedUse {
            on: r.planned_on,
            product_id: r.product_id,
            amount: r.amount,
            sessions: r.sessions,
        })
        .collect())
}

#[derive(QueryableByName)]
struct MaintenanceRow {
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    maintenance_every_days: Option<i64>,
    #[diesel(sql_type = Date, deserialize_as = Day)]
    last_on: NaiveDate,
    #[diesel(sql_type = Text)]
    product_id: ProductId,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    amount: Decimal,
}

/// A course that may go on into maintenance, per product of its current cocktail.
pub struct Maintained {
    pub area: String,
    /// As stored: `None` is the area's default, 0 none.
    pub every: Option<i64>,
    /// The course's last planned session.
    pub last_on: NaiveDate,
    pub product_id: ProductId,
    pub amount: Decimal,
}

/// Active and completed courses whose maintenance is not turned off, with their last
/// planned date and the current cocktail's amount per product.
fn maintained_courses(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<Maintained>> {
    let maintained = super::names_sql(CourseStatus::ALL.iter().filter(|s| s.maintained()));
    let sql = portable_sql(
        conn,
        // Each course's last date from one grouped pass, not a sub-query per course.
        &format!("SELECT c.area, c.maintenance_every_days, m.last_on, fc.product_id, fc.amount \
         FROM (SELECT course_id, MAX(planned_on) AS last_on FROM course_sessions \
               WHERE clinic_id = $1 GROUP BY course_id) m \
         JOIN courses c ON c.id = m.course_id \
         JOIN formulations f ON f.id = c.formulation_id \
         JOIN formulation_versions fv ON fv.formulation_id = f.id AND fv.version = f.current_version \
         JOIN formulation_components fc ON fc.version_id = fv.id \
         WHERE c.status IN ({maintained}) \
           AND (c.maintenance_every_days IS NULL OR c.maintenance_every_days > 0)"),
    );
    let rows: Vec<MaintenanceRow> = diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Maintained {
            area: r.area,
            every: r.maintenance_every_days,
            last_on: r.last_on,
            product_id: r.product_id,
            amount: r.amount,
        })
        .collect())
}

/// A per-product total, as the clinic-wide sums answer it.
#[derive(QueryableByName)]
pub(super) struct ProductSum {
    #[diesel(sql_type = Text)]
    product_id: ProductId,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    total: Decimal,
}

pub(super) fn sums(rows: Vec<ProductSum>) -> Vec<(ProductId, Decimal)> {
    rows.into_iter().map(|r| (r.product_id, r.total)).collect()
}

/// Containers ordered and not yet received, per product (the caller knows each product's
/// content from the catalogue it keeps, so no join with every product row).
pub fn incoming(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<(ProductId, i64)>> {
    let open = super::names_sql(PurchaseOrderStatus::ALL.iter().filter(|s| s.is_open()));
    let sql = portable_sql(
        conn,
        &format!("SELECT l.product_id, CAST(SUM(l.containers - l.received_containers) AS BIGINT) AS containers \
         FROM purchase_order_lines l \
         JOIN purchase_orders o ON o.id = l.order_id \
         WHERE l.clinic_id = $1 AND o.status IN ({open}) \
           AND l.containers > l.received_containers \
         GROUP BY l.product_id"),
    );
    let rows: Vec<Outstanding> = diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.product_id, r.containers))
        .collect())
}

#[derive(QueryableByName)]
struct Outstanding {
    #[diesel(sql_type = Text)]
    product_id: ProductId,
    #[diesel(sql_type = BigInt)]
    containers: i64,
}

#[derive(QueryableByName)]
struct LotRow {
    #[diesel(sql_type = Text)]
    product_id: ProductId,
    #[diesel(sql_type = Date, deserialize_as = Day)]
    expires_on: NaiveDate,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    on_hand: Decimal,
}

/// Reads only usable lots with stock, by expiry (`lots_usable`).
pub fn usable_lots_sql() -> String {
    format!(
        "SELECT product_id, expires_on, on_hand FROM lots \
         WHERE clinic_id = $1 AND status = '{}' AND expires_on >= $2 AND expires_on < $3 \
           AND on_hand > 0",
        LotStatus::Available
    )
}

/// Usable lots with stock that expire before `until`: (product, expiry, quantity).
/// Later lots cannot be at risk within the horizon: first-expiry-first-out uses them last.
pub fn usable_lots(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    today: NaiveDate,
    until: NaiveDate,
) -> QueryResult<Vec<(ProductId, NaiveDate, Decimal)>> {
    let sql = portable_sql(conn, &usable_lots_sql());
    let rows: Vec<LotRow> = diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Date, _>(today)
        .bind::<Date, _>(until)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.product_id, r.expires_on, r.on_hand))
        .collect())
}
