//! The append-only stock ledger. There is no update or delete here on purpose: a
//! correction is a new movement.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;

use super::schema::{movements, staff};
use super::types::Scaled;
use super::Conn;
use crate::domain::ids::{ClinicId, LotId, ProductId, SessionId, StaffId};
use crate::domain::ledger::MovementKind;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = movements)]
pub struct Movement {
    pub id: String,
    pub clinic_id: ClinicId,
    pub lot_id: LotId,
    pub product_id: ProductId,
    pub kind: MovementKind,
    #[diesel(serialize_as = Scaled, deserialize_as = Scaled)]
    pub quantity: Decimal,
    pub actor_id: StaffId,
    pub reason: Option<String>,
    pub session_id: Option<SessionId>,
    pub reverses_id: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut Conn, m: &Movement) -> QueryResult<()> {
    diesel::insert_into(movements::table)
        .values(m.clone())
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Default, Clone)]
pub struct MovementFilter {
    pub lot_id: Option<LotId>,
    pub session_id: Option<SessionId>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub limit: Option<i64>,
}

/// Ledger rows with the actor's name, oldest first.
pub fn list(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    f: &MovementFilter,
) -> QueryResult<Vec<(Movement, String)>> {
    let mut q = movements::table
        .inner_join(staff::table)
        .filter(movements::clinic_id.eq(clinic_id))
        .select((Movement::as_select(), staff::name))
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
    q.load(conn)
}
