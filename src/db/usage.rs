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

pub fn insert_usage(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    session_id: &SessionId,
    position: i64,
    u: &Usage,
) -> QueryResult<()> {
    diesel::insert_into(usage::table)
        .values((
            usage::id.eq(super::new_id()),
            usage::clinic_id.eq(clinic_id),
            usage::session_id.eq(session_id),
            usage::product_id.eq(&u.product_id),
            usage::lot_id.eq(&u.lot_id),
            usage::quantity.eq(Scaled(u.quantity)),
            usage::wasted.eq(Scaled(u.wasted)),
            usage::position.eq(position),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn insert_line(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    session_id: &SessionId,
    position: i64,
    l: &Line,
) -> QueryResult<()> {
    diesel::insert_into(lines::table)
        .values((
            lines::id.eq(super::new_id()),
            lines::clinic_id.eq(clinic_id),
            lines::session_id.eq(session_id),
            lines::product_id.eq(&l.product_id),
            lines::planned.eq(l.planned.map(Scaled)),
            lines::actual.eq(Scaled(l.actual)),
            lines::position.eq(position),
        ))
        .execute(conn)
        .map(|_| ())
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
