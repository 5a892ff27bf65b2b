//! The error every use case returns. HTTP turns it into problem+json in `http::error`;
//! the command line prints it.

use crate::domain::FieldError;

/// A conflict's machine-readable kind, used as the problem `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    Duplicate,
    NotEnoughStock,
    LotBlocked,
    InvalidState,
    Contraindicated,
    IdempotencyKeyReused,
}

impl ConflictKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Duplicate => "duplicate",
            ConflictKind::NotEnoughStock => "not-enough-stock",
            ConflictKind::LotBlocked => "lot-blocked",
            ConflictKind::InvalidState => "invalid-state",
            ConflictKind::Contraindicated => "contraindicated",
            ConflictKind::IdempotencyKeyReused => "idempotency-key-reused",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The body is not JSON (or not the JSON shape at all).
    #[error("{0}")]
    BadRequest(String),
    /// One or more fields are invalid; each says what to fix.
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// What was not found, e.g. "lot 4f…". Another clinic's data is also "not found".
    #[error("{0} not found")]
    NotFound(String),
    #[error("{detail}")]
    Conflict {
        kind: ConflictKind,
        detail: String,
        extra: Option<serde_json::Value>,
    },
    #[error("{0}")]
    Unavailable(String),
    /// Never shown to the client; logged.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn conflict(kind: ConflictKind, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            kind,
            detail: detail.into(),
            extra: None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => AppError::NotFound("the requested record".into()),
            E::DatabaseError(K::UniqueViolation, info) => AppError::conflict(
                ConflictKind::Duplicate,
                format!(
                    "a record with the same unique value already exists ({})",
                    info.message()
                ),
            ),
            E::DatabaseError(K::ForeignKeyViolation, _) => {
                AppError::invalid("body", "a referenced record does not exist in this clinic")
            }
            E::DatabaseError(K::CheckViolation, info) => AppError::conflict(
                ConflictKind::InvalidState,
                format!(
                    "the change breaks a rule of the ledger ({})",
                    info.message()
                ),
            ),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(format!("the database is not reachable right now ({e})"))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(format!("json: {e}"))
    }
}
