//! Use cases: one function per thing a user does, each the whole story of it (checks,
//! transaction, ledger). They sit between the pure `domain` and the `db` repositories and
//! know nothing of HTTP.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod courses;
pub mod demo;
pub mod desk;
pub mod exports;
pub mod formulations;
pub mod imports;
pub mod orders;
pub mod planning;
pub mod recalls;
pub mod sessions;
pub mod stock;

use crate::domain::role::{allows, Action, Role};
use crate::error::{AppError, AppResult};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff_id: String,
    pub name: String,
    pub role: Role,
    pub clinic_id: Option<String>,
}

impl Actor {
    /// Checks the role table and answers the caller's clinic, which scopes every query.
    pub fn clinic_for(&self, action: Action) -> AppResult<&str> {
        self.require(action)?;
        self.clinic_id
            .as_deref()
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
