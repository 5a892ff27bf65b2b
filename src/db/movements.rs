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
    /// AI (21) of the scanned code the movement came from.
    pub gs1_serial: Option<String>,
    /// The scanned code itself, as received.
    pub gs1_raw: Option<String>,
}

/// Inserts movements with one multi-row statement per 1,000 (13 binds a row).
pub fn insert_all(conn: &mut Conn, moves: &[Movement]) -> QueryResult<()> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    for chunk in moves.chunks(1000) {
        let sql = super::portable_sql(
            conn,
            &format!(
                "INSERT INTO movements (id, clinic_id, lot_id, product_id, kind, quantity, actor_id, \
                 reason, session_id, reverses_id, created_at, gs1_serial, gs1_raw) VALUES {}",
                super::values_list(chunk.len(), 13)
            ),
        );
        let mut q = super::raw(sql, chunk.len());
        for m in chunk {
            q = q
                .bind::<Text, _>(&m.id)
                .bind::<Text, _>(&m.clinic_id)
                .bind::<Text, _>(&m.lot_id)
                .bind::<Text, _>(&m.product_id)
                .bind::<Text, _>(m.kind)
                .bind::<BigInt, _>(Scaled(m.quantity))
                .bind::<Text, _>(&m.actor_id)
                .bind::<Nullable<Text>, _>(&m.reason)
                .bind::<Nullable<Text>, _>(&m.session_id)
                .bind::<Nullable<Text>, _>(&m.reverses_id)
                .bind::<Timestamp, _>(m.created_at)
                .bind::<Nullable<Text>, _>(&m.gs1_serial)
                .bind::<Nullable<Text>, _>(&m.gs1_raw);
        }
        q.execute(conn)?;
    }
    Ok(())
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
