//! Use cases: one function per thing a user does, each the whole story of it (checks,
//! transaction, ledger). They sit between the pure `domain` and the `db` repositories and
//! know nothing of HTTP.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod cold_chain;
pub mod courses;
pub mod demo;
pub mod desk;
pub mod exports;
pub mod formulations;
pub mod imports;
pub mod ledger;
pub mod lots;
pub mod open_vials;
pub mod orders;
pub mod planning;
pub mod recalls;
pub mod scan;
pub mod sessions;
pub mod stock;

use crate::domain::role::{allows, Action, Role};
use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::ids::{ClinicId, StaffId};
use crate::error::{AppError, AppResult};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff_id: StaffId,
    pub name: String,
    pub role: Role,
    pub clinic_id: Option<ClinicId>,
}

impl Actor {
    /// Checks the role table and answers the caller's clinic, which scopes every query.
    pub fn clinic_for(&self, action: Action) -> AppResult<&ClinicId> {
        self.require(action)?;
        self.clinic_id
            .as_ref()
            .ok_or_else(|| AppError::Forbidden("this account belongs to no clinic".into()))
    }

    pub fn require(&self, action: Action) -> AppResult<()> {
        if allows(self.role, action) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "the {} role may not {}",
                self.role,
                action.describe()
            )))
        }
    }
}

pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// `parse_time` for an optional query value.
pub fn optional_time(field: &str, value: Option<&str>) -> AppResult<Option<NaiveDateTime>> {
    value.map(|v| parse_time(field, v)).transpose()
}

/// Parses a `from`/`to` query value: an RFC 3339 time or a plain date (its midnight UTC).
pub fn parse_time(field: &str, value: &str) -> AppResult<NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(t.naive_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN));
    }
    Err(AppError::invalid(
        field,
        format!("{value:?} is neither an RFC 3339 time nor a YYYY-MM-DD date"),
    ))
}
