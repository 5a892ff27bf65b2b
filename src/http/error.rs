//! Every error leaves as `application/problem+json` (RFC 9457). Internal causes are
//! logged, never sent.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::FieldError;
use crate::error::{AppError, TooLarge};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem document. Extra members (such as `errors`) say what to fix.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub extra: Option<serde_json::Value>,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            AppError::BadRequest(d) => (StatusCode::BAD_REQUEST, "malformed-request", d.clone()),
            AppError::Invalid(errs) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-fields",
                errs.iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::Unauthenticated(d) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", d.clone())
            }
            AppError::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", d.clone()),
            AppError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not-found",
                format!("{what} not found"),
            ),
            AppError::Conflict { kind, detail, .. } => {
                (StatusCode::CONFLICT, kind.as_str(), detail.clone())
            }
            AppError::TooLarge { what, detail } => match what {
                TooLarge::Body => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", detail.clone()),
                TooLarge::Url => (StatusCode::URI_TOO_LONG, "too-large", detail.clone()),
            },
            AppError::MethodNotAllowed { .. } => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                self.to_string(),
            ),
            AppError::TooManyRequests { detail, .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                detail.clone(),
            ),
            AppError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database is not reachable right now; try again shortly".into(),
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal-error",
                "something went wrong on our side; it has been logged".into(),
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, kind, detail) = self.parts();
        Problem {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            errors: match self {
                AppError::Invalid(errs) => Some(errs.clone()),
                _ => None,
            },
            extra: match self {
                AppError::Conflict { extra, .. } => extra.clone(),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(PROBLEM_JSON);
        match self {
            AppError::Unauthenticated(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::MethodNotAllowed { allow, .. } => {
                res.insert_header((header::ALLOW, allow.join(", ")));
            }
            AppError::TooManyRequests { retry_after, .. } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        res.json(self.problem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ConflictKind;

    #[test]
    fn maps_each_error_to_its_status() {
        let cases = [
            (AppError::BadRequest("x".into()), 400),
            (AppError::invalid("sku", "must not be empty"), 422),
            (AppError::Unauthenticated("x".into()), 401),
            (AppError::Forbidden("x".into()), 403),
            (AppError::not_found("lot 1"), 404),
            (AppError::conflict(ConflictKind::NotEnoughStock, "x"), 409),
            (AppError::Internal("secret".into()), 500),
            (AppError::from(diesel::result::Error::NotFound), 404),
        ];
        for (e, status) in cases {
            assert_eq!(e.status_code().as_u16(), status, "{e:?}");
        }
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let p = AppError::Internal("password=hunter2".into()).problem();
        assert!(!p.detail.contains("hunter2"));
    }
}
