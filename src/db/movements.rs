//! The append-only stock ledger. There is no update or delete here on purpose: a
//! correction is a new movement.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::scaled::{from_db, to_db};
use super::schema::{movements, staff};
use super::Conn;

#[derive(Debug, Clone)]
pub struct Movement {
    pub id: String,
    pub clinic_id: String,
    pub lot_id: String,
    pub product_id: String,
    pub kind: String,
    /// Signed, in the product's stock unit.
    pub quantity: Decimal,
    pub actor_id: String,
    pub reason: Option<String>,
    pub session_id: Option<String>,
    pub reverses_id: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = movements)]
struct Row {
    id: String,
    clinic_id: String,
    lot_id: String,
    product_id: String,
    kind: String,
    quantity: i64,
    actor_id: String,
    reason: Option<String>,
    session_id: Option<String>,
    reverses_id: Option<String>,
    created_at: NaiveDateTime,
}

impl From<Row> for Movement {
    fn from(r: Row) -> Self {
        Movement {
            quantity: from_db(r.quantity),
            id: r.id,
            clinic_id: r.clinic_id,
            lot_id: r.lot_id,
            product_id: r.product_id,
            kind: r.kind,
            actor_id: r.actor_id,
            reason: r.reason,
            session_id: r.session_id,
            reverses_id: r.reverses_id,
            created_at: r.created_at,
        }
    }
}

pub fn insert(conn: &mut Conn, m: &Movement) -> QueryResult<()> {
    let r = Row {
        id: m.id.clone(),
        clinic_id: m.clinic_id.clone(),
        lot_id: m.lot_id.clone(),
        product_id: m.product_id.clone(),
        kind: m.kind.clone(),
        quantity: to_db(m.quantity)?,
        actor_id: m.actor_id.clone(),
        reason: m.reason.clone(),
        session_id: m.session_id.clone(),
        reverses_id: m.reverses_id.clone(),
        created_at: m.created_at,
    };
    diesel::insert_into(movements::table)
        .values(&r)
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Default, Clone)]
pub struct MovementFilter {
    pub lot_id: Option<String>,
    pub session_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub limit: Option<i64>,
}

/// Ledger rows with the actor's name, oldest first.
pub fn list(
    conn: &mut Conn,
    clinic_id: &str,
    f: &MovementFilter,
) -> QueryResult<Vec<(Movement, String)>> {
    let mut q = movements::table
        .inner_join(staff::table)
        .filter(movements::clinic_id.eq(clinic_id))
        .select((Row::as_select(), staff::name))
        .order((movements::created_at, movements::id))
        .into_boxed();
    if let Some(l) = &f.lot_id {
        q = q.filter(movements::lot_id.eq(l.clone()));
    }
    if let Some(s) = &f.session_id {
        q = q.filter(movements::session_id.eq(s.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(movements::created_at.ge(t));
    }
    if let Some(t) = f.to {
        q = q.filter(movements::created_at.lt(t));
    }
    if let Some(n) = f.limit {
        q = q.limit(n);
    }
    let rows: Vec<(Row, String)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(r, name)| (Movement::from(r), name))
        .collect())
}
