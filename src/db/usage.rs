//! What a session used: the lots and quantities (usage) and the planned-against-actual
//! lines per product.

use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::{lots, products, session_lines as lines, session_usage as usage};
use super::types::{Scaled, ScaledOpt};
use super::Conn;
use crate::domain::ids::{ClinicId, LotId, ProductId, SessionId};
use crate::domain::usage::Variance;

/// A lot used by a session, as shown and exported.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = usage)]
pub struct Usage {
    pub product_id: ProductId,
    #[diesel(select_expression = products::sku)]
    pub sku: String,
    pub lot_id: LotId,
    #[diesel(select_expression = lots::lot_number)]
    pub lot_number: String,
    #[diesel(select_expression = lots::expires_on)]
    pub expires_on: chrono::NaiveDate,
    #[diesel(deserialize_as = Scaled)]
    pub quantity: Decimal,
    #[diesel(deserialize_as = Scaled)]
    pub wasted: Decimal,
    /// AI (21) of the code scanned for this lot in the session (the first, when several).
    pub gs1_serial: Option<String>,
    /// That code as scanned.
    pub gs1_raw: Option<String>,
}

/// Planned (the cocktail) against actual (what was used), per product.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = lines)]
pub struct Line {
    pub product_id: ProductId,
    #[diesel(deserialize_as = ScaledOpt)]
    pub planned: Option<Decimal>,
    #[diesel(deserialize_as = Scaled)]
    pub actual: Decimal,
}

impl From<Variance> for Line {
    fn from(v: Variance) -> Self {
        Line {
            product_id: v.product_id,
            planned: v.planned,
            actual: v.actual,
        }
    }
}

/// A session's usage rows, in order, with one statement (items are capped well under
/// SQLite's bind limit).
pub fn insert_usage_all(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    session_id: &SessionId,
    used: &[Usage],
) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Nullable, Text};
    if used.is_empty() {
        return Ok(());
    }
    let sql = super::portable_sql(
        conn,
        &format!(
            "INSERT INTO session_usage (id, clinic_id, session_id, product_id, lot_id, quantity, \
             wasted, position, gs1_serial, gs1_raw) VALUES {}",
            super::values_list(used.len(), 10)
        ),
    );
    let mut q = super::raw(sql, used.len());
    for (position, u) in (0_i64..).zip(used) {
        q = q
            .bind::<Text, _>(super::new_id())
            .bind::<Text, _>(clinic_id)
            .bind::<Text, _>(session_id)
            .bind::<Text, _>(&u.product_id)
            .bind::<Text, _>(&u.lot_id)
            .bind::<BigInt, _>(Scaled(u.quantity))
            .bind::<BigInt, _>(Scaled(u.wasted))
            .bind::<BigInt, _>(position)
            .bind::<Nullable<Text>, _>(&u.gs1_serial)
            .bind::<Nullable<Text>, _>(&u.gs1_raw);
    }
    q.execute(conn).map(|_| ())
}

/// A session's planned-against-actual lines, in order, with one statement.
pub fn insert_lines_all(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    session_id: &SessionId,
    lines: &[Line],
) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Nullable, Text};
    if lines.is_empty() {
        return Ok(());
    }
    let sql = super::portable_sql(
        conn,
        &format!(
            "INSERT INTO session_lines (id, clinic_id, session_id, product_id, planned, actual, \
             position) VALUES {}",
            super::values_list(lines.len(), 7)
        ),
    );
    let mut q = super::raw(sql, lines.len());
    for (position, l) in (0_i64..).zip(lines) {
        q = q
            .bind::<Text, _>(super::new_id())
            .bind::<Text, _>(clinic_id)
            .bind::<Text, _>(session_id)
            .bind::<Text, _>(&l.product_id)
            .bind::<Nullable<BigInt>, _>(l.planned.map(Scaled))
            .bind::<BigInt, _>(Scaled(l.actual))
            .bind::<BigInt, _>(position);
    }
    q.execute(conn).map(|_| ())
}

pub fn usage_of(conn: &mut Conn, session_id: &SessionId) -> QueryResult<Vec<Usage>> {
    usage::table
        .inner_join(lots::table.on(lots::id.eq(usage::lot_id)))
        .inner_join(products::table.on(products::id.eq(usage::product_id)))
        .filter(usage::session_id.eq(session_id))
        .order(usage::position)
        .select(Usage::as_select())
        .load(conn)
}

pub fn lines_of(conn: &mut Conn, session_id: &SessionId) -> QueryResult<Vec<Line>> {
    lines::table
        .filter(lines::session_id.eq(session_id))
        .order(lines::position)
        .select(Line::as_select())
        .load(conn)
}
