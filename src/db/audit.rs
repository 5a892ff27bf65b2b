//! The audit log: who changed what and when, for everything that is not a stock
//! movement. Append-only, like the ledger.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log as log;
use super::Conn;
use crate::domain::ids::ClinicId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = log)]
pub struct AuditEntry {
    pub id: String,
    pub clinic_id: Option<ClinicId>,
    pub actor_id: Option<String>,
    pub at: NaiveDateTime,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    /// JSON: the fields that changed, each as `[before, after]`.
    pub changes: String,
}

pub fn insert(conn: &mut Conn, e: &AuditEntry) -> QueryResult<()> {
    diesel::insert_into(log::table)
        .values(e)
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub limit: i64,
}

/// Entries with the actor's name, oldest first.
pub fn list(
    conn: &mut Conn,
    clinic_id: &ClinicId,
    f: &AuditFilter,
) -> QueryResult<Vec<(AuditEntry, Option<String>)>> {
    use super::schema::staff;
    let mut q = log::table
        .left_join(staff::table.on(staff::id.nullable().eq(log::actor_id)))
        .filter(log::clinic_id.eq(clinic_id))
        .select((AuditEntry::as_select(), staff::name.nullable()))
        .order((log::at, log::id))
        .limit(f.limit)
        .into_boxed();
    if let Some(e) = &f.entity {
        q = q.filter(log::entity.eq(e.clone()));
    }
    if let Some(e) = &f.entity_id {
        q = q.filter(log::entity_id.eq(e.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(log::at.ge(t));
    }
    if let Some(t) = f.to {
        q = q.filter(log::at.lt(t));
    }
    q.load(conn)
}
