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
    /// A scanned code's expiry is not the expiry of the lot on file.
    ExpiryMismatch,
    /// A cocktail used on an area it is not for, without an override reason.
    AreaNotPlanned,
    /// More containers received on an order line than it ordered, unconfirmed.
    OverReceipt,
    /// New stock of an archived product.
    Archived,
    /// A lot number that matches, ignoring case, several lots spelt differently.
    AmbiguousLot,
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
            ConflictKind::ExpiryMismatch => "expiry-mismatch",
            ConflictKind::AreaNotPlanned => "area-not-planned",
            ConflictKind::OverReceipt => "over-receipt",
            ConflictKind::Archived => "archived",
            ConflictKind::AmbiguousLot => "ambiguous-lot",
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

/// Database errors as the client sees them. The driver's text names constraints, tables
/// and columns: it goes to the log (with the kind), never into the answer. A use case that
/// can meet a constraint in normal use checks for it first and answers in its own words;
/// what reaches this mapping is a generic, fixed message.
impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => AppError::NotFound("the requested record".into()),
            E::DatabaseError(kind, info) => {
                tracing::warn!(?kind, cause = %info.message(), "database refused a write");
                match kind {
                    K::UniqueViolation => AppError::conflict(
                        ConflictKind::Duplicate,
                        "a record with the same unique value already exists; reload and try again",
                    ),
                    K::ForeignKeyViolation => AppError::invalid(
                        "body",
                        "a referenced record does not exist in this clinic",
                    ),
                    K::CheckViolation => AppError::conflict(
                        ConflictKind::InvalidState,
                        "the change breaks a rule of the ledger; reload and try again",
                    ),
                    K::NotNullViolation => AppError::invalid("body", "a required value is missing"),
                    K::SerializationFailure => AppError::conflict(
                        ConflictKind::InvalidState,
                        "another change got there first; try again",
                    ),
                    _ => {
                        AppError::Internal(format!("database error ({kind:?}): {}", info.message()))
                    }
                }
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// One invalid field (such as a list over its limit, `domain::limits::list_len`).
impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(vec![e])
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

    /// A database error as the driver words it (constraint and table names included).
    struct DriverText(&'static str);

    impl diesel::result::DatabaseErrorInformation for DriverText {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            Some(self.0)
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            Some("lots")
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            Some("lots_clinic_id_product_id_lot_number_key")
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    #[test]
    fn driver_text_never_reaches_the_client() {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        let leaky = "duplicate key value violates unique constraint \"lots_clinic_id_product_id_lot_number_key\" UNIQUE constraint failed: lots.lot_number";
        for kind in [
            K::UniqueViolation,
            K::ForeignKeyViolation,
            K::CheckViolation,
            K::NotNullViolation,
            K::SerializationFailure,
            K::ClosedConnection,
            K::ReadOnlyTransaction,
        ] {
            let e = AppError::from(E::DatabaseError(kind, Box::new(DriverText(leaky))));
            let shown = serde_json::to_string(&e.problem()).unwrap_or_default();
            for word in ["constraint", "_key", "duplicate key", "UNIQUE", "lots."] {
                assert!(!shown.contains(word), "{kind:?} shows {word:?}: {shown}");
            }
        }
    }

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
