//! What the forecast reads besides the balances (`db::balances`): planned course
//! sessions, stock on open purchase orders and usable lots, each in one query for the
//! whole clinic.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use rust_decimal::Decimal;

use super::types::Scaled;
use super::{portable_sql, Conn};
use crate::domain::course::CourseStatus;
use crate::domain::ids::{ClinicId, ProductId};
use crate::domain::lot::LotStatus;
use crate::domain::order::PurchaseOrderStatus;

#[derive(QueryableByName)]
struct PlannedRow {
    #[diesel(sql_type = Date)]
    planned_on: NaiveDate,
    #[diesel(sql_type = Text)]
    product_id: ProductId,
    #[diesel(sql_type = BigInt, deserialize_as = Scaled)]
    amount: Decimal,
}

/// Not-yet-done sessions of active courses planned before `until`, with the current
/// cocktail's amount per product: (date, product, amount per session).
pub fn planned_use(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    until: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, ProductId, Decimal)>> {
    let active = CourseStatus::Active;
    let sql = portable_sql(
        conn,
        &format!("SELECT cs.planned_on, fc.product_id, fc.amount \
         FROM course_sessions cs \
         JOIN courses c ON c.id = cs.course_id \
         JOIN formulations f ON f.id = c.formulation_id \
         JOIN formulation_versions fv ON fv.formulation_id = f.id AND fv.version = f.current_version \
         JOIN formulation_components fc ON fc.version_id = fv.id \
         WHERE cs.clinic_id = $1 AND c.status = '{active}' AND cs.session_id IS NULL AND cs.planned_on < $2"),
    );
    let rows: Vec<PlannedRow> = diesel::sql_query(sql)
        .bind::<Text, _>(clinic_id)
        .bind::<Date, _>(until)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.planned_on, r.product_id, r.amount))
        .collect())
}

#[derive(QueryableByName)]
struct MaintenanceRow {
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    maintenance_every_days: Option<i64>,
    #[diesel(sql_type = Date)]
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
pub fn maintained_courses(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<Maintained>> {
    let maintained = super::names_sql(CourseStatus::ALL.iter().filter(|s| s.maintained()));
    let sql = portable_sql(
        conn,
        &format!("SELECT c.area, c.maintenance_every_days,            (SELECT MAX(cs.planned_on) FROM course_sessions cs WHERE cs.course_id = c.id) AS last_on,            fc.product_id, fc.amount          FROM courses c          JOIN formulations f ON f.id = c.formulation_id          JOIN formulation_versions fv ON fv.formulation_id = f.id AND fv.version = f.current_version          JOIN formulation_components fc ON fc.version_id = fv.id          WHERE c.clinic_id = $1 AND c.status IN ({maintained})            AND (c.maintenance_every_days IS NULL OR c.maintenance_every_days > 0)"),
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

/// Stock ordered and not yet received, in the stock unit, per product.
pub fn incoming(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<Vec<(ProductId, Decimal)>> {
    let open = super::names_sql(PurchaseOrderStatus::ALL.iter().filter(|s| s.is_open()));
    let sql = portable_sql(
        conn,
        &format!("SELECT l.product_id, CAST(SUM((l.containers - l.received_containers) * p.content) AS BIGINT) AS total \
         FROM purchase_order_lines l \
         JOIN purchase_orders o ON o.id = l.order_id \
         JOIN products p ON p.id = l.product_id \
         WHERE l.clinic_id = $1 AND o.status IN ({open}) \
           AND l.containers > l.received_containers \
         GROUP BY l.product_id"),
    );
    Ok(sums(
        diesel::sql_query(sql)
            .bind::<Text, _>(clinic_id)
            .load(conn)?,
    ))
}

#[derive(QueryableByName)]
struct LotRow {
    #[diesel(sql_type = Text)]
    product_id: ProductId,
    #[diesel(sql_type = Date)]
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
