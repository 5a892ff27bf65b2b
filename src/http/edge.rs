//! Rules every request meets before any handler: the size of the URL, no control
//! characters in the path or the query, the security headers of every answer, framework
//! errors as problem+json, and 405 for a known path with another method.

use std::sync::LazyLock;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers, Next};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::error::{Problem, PROBLEM_JSON};
use super::API_DOC;
use crate::domain::no_control;
use crate::error::{AppError, TooLarge};

/// The largest body read: JSON, a posted form or a CSV import (16 MiB).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// The longest URL (path and query) served; no page or filter needs more. Beyond about
/// 128 KiB of request head, actix closes the connection with 431 before any of this runs.
pub const MAX_URL_BYTES: usize = 8 * 1024;

/// The strict policy of every page: scripts, styles and everything else only from this
/// site, never inline; no framing; forms post only here. Images may also be `data:` URLs
/// (the layout's empty favicon, which spares a request; an image cannot run code).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Headers added to every answer that does not set its own (the content-hashed assets
/// keep their long `Cache-Control`). Answers carry patient data, so nothing is stored.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
}

/// Refuses a too-long URL (414), a control character in the path (400) or in a query
/// parameter (422 naming it), for the API, the pages and the CSV exports alike, so a bad
/// filter fails before a stream starts.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if let Err(e) = check_url(req.request()) {
        let (req, _) = req.into_parts();
        return Ok(ServiceResponse::new(req, e.error_response()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn check_url(req: &HttpRequest) -> Result<(), AppError> {
    let uri = req.uri();
    let len = uri.path().len() + uri.query().map_or(0, |q| q.len() + 1);
    if len > MAX_URL_BYTES {
        return Err(AppError::TooLarge {
            what: TooLarge::Url,
            detail: format!(
                "the URL is {len} bytes long; at most {MAX_URL_BYTES} are served, so shorten the filter"
            ),
        });
    }
    let path = percent_decode(uri.path());
    if let Err(e) = no_control(&path) {
        return Err(AppError::BadRequest(format!("the path {e}")));
    }
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if let Err(e) = no_control(&name) {
            return Err(AppError::invalid("query", format!("a parameter name {e}")));
        }
        no_control(&value).map_err(|e| AppError::invalid(&name, e))?;
    }
    unknown_query_parameters(req)
}

/// An API call whose query names a parameter the OpenAPI document does not list for that
/// path and method is a 400 naming it, so a misspelt filter (`/products?sku=`) never
/// silently answers everything. Pages are not checked: their forms may send more fields.
fn unknown_query_parameters(req: &HttpRequest) -> Result<(), AppError> {
    let Some(path) = req.path().strip_prefix("/api/v1") else {
        return Ok(());
    };
    let Some(query) = req.uri().query() else {
        return Ok(());
    };
    let mut known: Option<Vec<&str>> = None;
    for (def, method, names) in API_OPERATIONS.iter() {
        if method == req.method() && def.is_match(path) {
            known
                .get_or_insert_with(Vec::new)
                .extend(names.iter().map(String::as_str));
        }
    }
    // A path or method the document does not have is answered elsewhere (404, 405).
    let Some(known) = known else {
        return Ok(());
    };
    let mut unknown: Vec<String> = Vec::new();
    for (name, _) in form_urlencoded::parse(query.as_bytes()) {
        if !known.contains(&name.as_ref()) && !unknown.iter().any(|u| *u == name) {
            unknown.push(name.into_owned());
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    let takes = if known.is_empty() {
        "this endpoint takes no query parameters".to_string()
    } else {
        format!("this endpoint takes: {}", known.join(", "))
    };
    Err(AppError::BadRequest(format!(
        "unknown query parameter(s): {}; {takes}",
        unknown.join(", ")
    )))
}

/// Every API operation of the OpenAPI document: its path (relative to `/api/v1`), its
/// method and the query parameters it takes. Built once; both the unknown-parameter check
/// and the 405 read it.
static API_OPERATIONS: LazyLock<Vec<(ResourceDef, Method, Vec<String>)>> = LazyLock::new(|| {
    use utoipa::openapi::path::{Operation, Parameter, ParameterIn};
    use utoipa::openapi::RefOr;
    let query_names = |params: Option<&Vec<RefOr<Parameter>>>| -> Vec<String> {
        params
            .into_iter()
            .flatten()
            .filter_map(|p| match p {
                RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query) => Some(p.name.clone()),
                _ => None,
            })
            .collect()
    };
    let mut out = Vec::new();
    for (path, item) in API_DOC.paths.paths.iter() {
        let shared = query_names(item.parameters.as_ref());
        let operations: [(Method, &Option<Operation>); 5] = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ];
        for (method, op) in operations {
            if let Some(op) = op {
                let mut names = shared.clone();
                names.extend(query_names(op.parameters.as_ref()));
                out.push((ResourceDef::new(path.as_str()), method, names));
            }
        }
    }
    out
});

/// The path as the router sees it (`%00` is a NUL there).
fn percent_decode(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

/// Turns the plain-text errors that actix answers itself (a body over the limit, a path
/// that does not parse) into problem+json like every other error. Pages (HTML) and
/// problems pass unchanged.
pub fn framework_errors<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content_type.starts_with(PROBLEM_JSON) || content_type.starts_with("text/html") {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let (kind, detail) = match status {
            StatusCode::PAYLOAD_TOO_LARGE => ("too-large", body_too_large_detail()),
            StatusCode::NOT_FOUND => ("not-found", format!("{} not found", res.request().path())),
            s if s.is_server_error() => (
                "internal-error",
                "something went wrong on our side; it has been logged".to_string(),
            ),
            _ => (
                "malformed-request",
                "the request could not be read; check the URL, its headers and its body"
                    .to_string(),
            ),
        };
        let problem = Problem {
            kind: format!("/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            errors: None,
            extra: None,
        };
        let mut answer = HttpResponse::build(status);
        answer.content_type(PROBLEM_JSON);
        for name in [header::ALLOW, header::RETRY_AFTER] {
            if let Some(v) = res.headers().get(&name) {
                answer.insert_header((name, v.clone()));
            }
        }
        let (req, _) = res.into_parts();
        let res = ServiceResponse::new(req, answer.json(problem)).map_into_right_body();
        Ok(ErrorHandlerResponse::Response(res))
    })
}

pub fn body_too_large_detail() -> String {
    format!(
        "the body is larger than {} MiB; send less (split a large CSV import into several files)",
        MAX_BODY_BYTES / (1024 * 1024)
    )
}

/// For an API path that exists with other methods: the 405 that lists them.
pub fn method_not_allowed(req: &HttpRequest) -> Option<AppError> {
    let path = req.path().strip_prefix("/api/v1")?;
    let mut allow: Vec<Method> = Vec::new();
    for (def, method, _) in API_OPERATIONS.iter() {
        if def.is_match(path) && !allow.contains(method) {
            allow.push(method.clone());
        }
    }
    if allow.is_empty() || allow.contains(req.method()) {
        return None;
    }
    Some(AppError::MethodNotAllowed {
        method: req.method().to_string(),
        allow: allow.iter().map(ToString::to_string).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes_like_the_router() {
        assert_eq!(percent_decode("/lots/a%00b"), "/lots/a\u{0}b");
        assert_eq!(percent_decode("/x%2"), "/x%2");
        assert_eq!(percent_decode("/%C3%A9"), "/é");
    }
}
