//! Recording and reading the audit log.

use serde::Serialize;
use serde_json::Value;

use super::Actor;
use crate::db::audit::{self as repo, AuditEntry, AuditFilter};
use crate::db::{self, Conn};
use crate::domain::audit::diff;
use crate::domain::ids::ClinicId;
use crate::domain::role::Action;
use crate::error::AppResult;

/// What an audit entry is about.
pub struct Subject<'a> {
    pub clinic_id: Option<&'a ClinicId>,
    /// `clinic`, `staff`, `supplier`, `product`, `lot`, `formulation`, `rule`, `recall`…
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub action: &'a str,
}

impl<'a> Subject<'a> {
    pub fn of(
        clinic_id: &'a ClinicId,
        entity: &'a str,
        entity_id: &'a str,
        action: &'a str,
    ) -> Self {
        Subject {
            clinic_id: Some(clinic_id),
            entity,
            entity_id,
            action,
        }
    }
}

/// Records a change. `before`/`after` are any serialisable views of the entity; only
/// the fields that differ are kept. Call in the same transaction as the change.
pub fn record<B: Serialize, A: Serialize>(
    conn: &mut Conn,
    actor: &Actor,
    subject: Subject<'_>,
    before: Option<&B>,
    after: Option<&A>,
) -> AppResult<()> {
    let before = before.map(serde_json::to_value).transpose()?;
    let after = after.map(serde_json::to_value).transpose()?;
    let changes = diff(before.as_ref(), after.as_ref());
    repo::insert(
        conn,
        &AuditEntry {
            id: db::new_id(),
            clinic_id: subject.clinic_id.cloned(),
            // The demo loader acts as nobody in particular.
            actor_id: Some(actor.staff_id.clone()).filter(|s| !s.is_empty()),
            at: db::now(),
            entity: subject.entity.into(),
            entity_id: subject.entity_id.into(),
            action: subject.action.into(),
            changes: changes.to_string(),
        },
    )?;
    Ok(())
}

pub fn list(
    conn: &mut Conn,
    actor: &Actor,
    filter: AuditFilter,
) -> AppResult<Vec<(AuditEntry, Option<String>, Value)>> {
    let clinic = actor.clinic_for(Action::Audit)?;
    Ok(repo::list(conn, clinic, &filter)?
        .into_iter()
        .map(|(e, name)| {
            let changes = serde_json::from_str(&e.changes).unwrap_or(Value::Null);
            (e, name, changes)
        })
        .collect())
}

/// The people (id, name) and the actions found in the clinic's log, for the page's filters.
pub fn choices(conn: &mut Conn, actor: &Actor) -> AppResult<repo::AuditChoices> {
    let clinic = actor.clinic_for(Action::Audit)?;
    Ok(repo::choices(conn, clinic)?)
}
