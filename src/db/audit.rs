//! The audit log: who changed what and when, for everything that is not a stock
//! movement. Append-only, like the ledger.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_log as log;
use super::Conn;
use crate::domain::ids::{ClinicId, StaffId};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = log)]
pub struct AuditEntry {
    pub id: String,
    pub clinic_id: Option<ClinicId>,
    pub actor_id: Option<StaffId>,
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
    /// Only the changes of this person (a staff id).
    pub actor_id: Option<StaffId>,
    /// Only this action (`open`, `contact`, `close`, …).
    pub action: Option<String>,
    /// Newest first instead of oldest first (the web page).
    pub newest_first: bool,
}

/// Entries with the actor's name, oldest first (or newest first).
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
        .limit(f.limit)
        .into_boxed();
    q = if f.newest_first {
        q.order((log::at.desc(), log::id.desc()))
    } else {
        q.order((log::at, log::id))
    };
    if let Some(a) = &f.actor_id {
        q = q.filter(log::actor_id.eq(a.clone()));
    }
    if let Some(a) = &f.action {
        q = q.filter(log::action.eq(a.clone()));
    }
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

/// What a clinic's log can be filtered by: the people (staff id, name) who changed
/// something, and the actions that occur.
#[derive(Debug, Default)]
pub struct AuditChoices {
    pub people: Vec<(String, String)>,
    pub actions: Vec<String>,
}

/// The people and the actions that occur in a clinic's log, for filters.
pub fn choices(conn: &mut Conn, clinic_id: &ClinicId) -> QueryResult<AuditChoices> {
    use super::schema::staff;
    let people = log::table
        .inner_join(staff::table.on(staff::id.nullable().eq(log::actor_id)))
        .filter(log::clinic_id.eq(clinic_id))
        .select((staff::id, staff::name))
        .distinct()
        .order(staff::name)
        .load(conn)?;
    let actions = log::table
        .filter(log::clinic_id.eq(clinic_id))
        .select(log::action)
        .distinct()
        .order(log::action)
        .load(conn)?;
    Ok(AuditChoices { people, actions })
}
