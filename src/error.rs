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

/// What was too large: the body (413) or the URL (414).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooLarge {
    Body,
    Url,
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
    /// The body or the URL is larger than the service reads (413, 414).
    #[error("{detail}")]
    TooLarge { what: TooLarge, detail: String },
    /// The path exists with other methods (405); `allow` lists them.
    #[error("{method} is not allowed here; use {}", .allow.join(", "))]
    MethodNotAllowed { method: String, allow: Vec<String> },
    /// Too many failed attempts from one address (429); try again after `retry_after`
    /// seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: i64 },
    /// Never shown to the client; logged.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// Scopes field errors under a list element, e.g. `lot_number` → `lines[2].lot_number`,
    /// when a use case checks one element of a larger request. Other errors pass through.
    pub fn within(self, prefix: &str) -> AppError {
        match self {
            AppError::Invalid(errs) => AppError::Invalid(
                errs.into_iter()
                    .map(|mut f| {
                        f.field = format!("{prefix}.{}", f.field);
                        f
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// Names the line of an imported file in the error of a row that was being written.
    pub fn at_line(self, line: u64) -> AppError {
        match self {
            AppError::Invalid(errs) => {
                AppError::Invalid(errs.into_iter().map(|e| e.at_line(line)).collect())
            }
            AppError::Conflict {
                kind,
                detail,
                extra,
            } => AppError::Conflict {
                kind,
                detail: format!("line {line}: {detail}"),
                extra,
            },
            other => other,
        }
    }

    pub fn conflict(kind: ConflictKind, detail: impl std::fmt::Display) -> Self {
        AppError::Conflict {
            kind,
            detail: detail.to_string(),
            extra: None,
        }
    }

    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_scoped_and_lined_once() {
        let e = AppError::invalid("lot_number", "bad").within("lines[2]");
        let AppError::Invalid(errs) = e.at_line(7) else {
            panic!("still a field error");
        };
        assert_eq!(errs[0].field, "lines[2].lot_number");
        assert_eq!(errs[0].line, Some(7));
        let c = AppError::conflict(ConflictKind::Duplicate, "taken").at_line(3);
        assert_eq!(c.to_string(), "line 3: taken");
        assert!(matches!(
            AppError::NotFound("x".into()).within("a"),
            AppError::NotFound(_)
        ));
    }
}
