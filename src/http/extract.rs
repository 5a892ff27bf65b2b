//! Request plumbing: the JSON body extractor that tells malformed JSON (400) from invalid
//! fields (422), the bearer-token caller, and running diesel work off the async threads.

use crate::domain::ids::StaffId;
use std::collections::HashMap;

use actix_web::dev::Payload;
use actix_web::http::header::Header;
use actix_web::{web, FromRequest, HttpRequest};
use actix_web_httpauth::headers::authorization::{Authorization, Bearer};
use chrono::NaiveDateTime;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::db::{Conn, Pool, Writer};
use crate::domain::accounts::RateLimit;
use crate::domain::{limits, no_control, ControlCharError, FieldError};
use crate::error::{AppError, AppResult, TooLarge};
use crate::services::{auth, Actor};

/// Shared state of every worker.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    /// Takes the session path's write transactions (grouped on SQLite).
    pub writer: std::sync::Arc<Writer>,
    pub tokens: std::sync::Arc<TokenCache>,
    pub auth_failures: std::sync::Arc<AuthThrottle>,
}

impl AppState {
    pub fn new(pool: Pool, writer: Writer, auth_limit: RateLimit) -> Self {
        AppState {
            pool,
            writer: std::sync::Arc::new(writer),
            tokens: std::sync::Arc::new(TokenCache::default()),
            auth_failures: std::sync::Arc::new(AuthThrottle::new(auth_limit)),
        }
    }
}

/// Failed bearer-token authentications per client address, kept in this instance's
/// memory (each instance counts its own). Over the limit, an address gets 429 with
/// `Retry-After` without a database look-up; tokens this instance has recently accepted
/// are answered from the token cache first and are never throttled.
pub struct AuthThrottle {
    limit: RateLimit,
    failures: std::sync::Mutex<HashMap<String, Vec<NaiveDateTime>>>,
}

/// Addresses remembered at most; beyond, the quiet ones are forgotten first.
const THROTTLE_MAX_ADDRESSES: usize = 10_000;

impl AuthThrottle {
    pub fn new(limit: RateLimit) -> Self {
        AuthThrottle {
            limit,
            failures: Default::default(),
        }
    }

    /// Seconds `addr` must wait, when it is over the limit.
    fn retry_after(&self, addr: &str) -> Option<i64> {
        let now = chrono::Utc::now().naive_utc();
        let mut map = self.failures.lock().ok()?;
        let failures = map.get_mut(addr)?;
        let since = self.limit.since(now);
        failures.retain(|t| *t > since);
        self.limit.retry_after(failures, now)
    }

    fn failed(&self, addr: String) {
        let now = chrono::Utc::now().naive_utc();
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= THROTTLE_MAX_ADDRESSES && !map.contains_key(&addr) {
            let since = self.limit.since(now);
            map.retain(|_, f| f.last().is_some_and(|t| *t > since));
            if map.len() >= THROTTLE_MAX_ADDRESSES {
                map.clear();
            }
        }
        map.entry(addr).or_default().push(now);
    }
}

/// Recently seen bearer tokens (by hash), so most requests skip the staff lookup.
/// Entries live 4 seconds: a token revoked or a person deactivated through another
/// instance stops working here within that time. A revocation through this instance
/// drops the entry at once (`forget`, `forget_staff`).
#[derive(Default)]
pub struct TokenCache(
    std::sync::RwLock<std::collections::HashMap<String, (Actor, std::time::Instant)>>,
);

const TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(4);
const TOKEN_CACHE_MAX: usize = 10_000;

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Actor> {
        let map = self.0.read().ok()?;
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_TTL)
            .map(|(actor, _)| actor.clone())
    }

    fn put(&self, hash: String, actor: Actor) {
        if let Ok(mut map) = self.0.write() {
            if map.len() >= TOKEN_CACHE_MAX {
                map.clear();
            }
            map.insert(hash, (actor, std::time::Instant::now()));
        }
    }

    /// Drops one token (revoked here).
    pub fn forget(&self, hash: &str) {
        if let Ok(mut map) = self.0.write() {
            map.remove(hash);
        }
    }

    /// Drops every token of a person (deactivated, or their role changed).
    pub fn forget_staff(&self, staff_id: &StaffId) {
        if let Ok(mut map) = self.0.write() {
            map.retain(|_, (actor, _)| actor.staff_id != *staff_id);
        }
    }
}

/// Runs blocking diesel work on actix's blocking pool with a pooled connection.
pub async fn run<T, F>(state: &AppState, f: F) -> AppResult<T>
where
    F: FnOnce(&mut Conn) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
}

/// A JSON body. Not JSON at all → 400; JSON of the wrong shape → 422 naming the field.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload);
        Box::pin(async move { parse_json(&body.await?).map(Json) })
    }
}

/// The whole body, within the configured size limit.
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl std::future::Future<Output = AppResult<web::Bytes>> {
    let body = web::Bytes::from_request(req, payload);
    async move {
        body.await.map_err(|e| {
            use actix_web::error::PayloadError;
            match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => AppError::TooLarge {
                    what: TooLarge::Body,
                    detail: super::edge::body_too_large_detail(),
                },
                _ => AppError::BadRequest(format!("could not read the body: {e}")),
            }
        })
    }
}

/// A JSON body read once, kept as the typed request and as the JSON value (an idempotent
/// request is remembered by the value's canonical text).
pub struct JsonValue<T> {
    pub body: T,
    pub value: serde_json::Value,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonValue<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_body(req, payload);
        Box::pin(async move {
            let (body, value) = parse_json_value(&body.await?)?;
            Ok(JsonValue { body, value })
        })
    }
}

/// The `Idempotency-Key` header, when sent: 1 to 200 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl IdempotencyKey {
    pub fn parse(header: Option<&[u8]>) -> AppResult<IdempotencyKey> {
        let Some(raw) = header else {
            return Ok(IdempotencyKey(None));
        };
        let key = std::str::from_utf8(raw).unwrap_or_default().trim();
        if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AppError::BadRequest(
                "the Idempotency-Key header must be 1 to 200 visible ASCII characters, e.g. a UUID"
                    .into(),
            ));
        }
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req.headers().get("Idempotency-Key").map(|v| v.as_bytes());
        std::future::ready(IdempotencyKey::parse(header))
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> AppResult<T> {
    parse_json_value(bytes).map(|(typed, _)| typed)
}

/// The body as the typed request and as its JSON value. Checked in this order: JSON at
/// all (400), every list and text within `domain::limits` (422), the request's shape
/// (422), no control characters (422).
pub fn parse_json_value<T: DeserializeOwned>(bytes: &[u8]) -> AppResult<(T, serde_json::Value)> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest(
            "the body is empty; send a JSON object".into(),
        ));
    }
    // Every body of this API is an object; serde would read an array as a struct's fields.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(AppError::BadRequest(
            "the body must be a JSON object, {…}".into(),
        ));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| json_error(".", &e))?;
    limits::check(&value).map_err(|e| AppError::Invalid(vec![e]))?;
    let typed = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        json_error(&path, &e.into_inner())
    })?;
    // JSON can only carry a C0 control inside a string as a `\u00XX` escape, so bodies
    // without one skip the walk.
    if bytes.windows(4).any(|w| w == b"\\u00") {
        let mut path = String::new();
        if let Some((field, e)) = control_in(&value, &mut path) {
            return Err(AppError::invalid(&field, e));
        }
    }
    Ok((typed, value))
}

/// The first text (value or key) of `value` with a forbidden control character, named
/// like `serde_path_to_error` names fields (`items[0].quantity`).
fn control_in(value: &serde_json::Value, path: &mut String) -> Option<(String, ControlCharError)> {
    use serde_json::Value;
    let here = |path: &str| {
        if path.is_empty() {
            "body".to_string()
        } else {
            path.to_string()
        }
    };
    match value {
        Value::String(s) => no_control(s).err().map(|e| (here(path), e)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = control_in(v, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            let found = match no_control(k) {
                Err(e) => Some((here(&path[..len]), e)),
                Ok(()) => control_in(v, path),
            };
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

fn json_error(path: &str, e: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    // serde_json appends " at line L column C"; the position helps for syntax only.
    let full = e.to_string();
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            AppError::BadRequest(format!("the body is not valid JSON: {full}"))
        }
        Category::Data => {
            let message = full.split(" at line ").next().unwrap_or(&full).to_string();
            let mut field = if path == "." {
                String::new()
            } else {
                path.to_string()
            };
            if let Some(name) = message
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                field = if field.is_empty() {
                    name.to_string()
                } else {
                    format!("{field}.{name}")
                };
            }
            if field.is_empty() {
                if path == "." && message.starts_with("invalid type") {
                    return AppError::BadRequest(format!(
                        "the body must be a JSON object: {message}"
                    ));
                }
                field = "body".into();
            }
            AppError::Invalid(vec![FieldError::new(&field, message)])
        }
    }
}

/// Query parameters. A value of the wrong type is a 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> AppResult<T> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = if field == "." {
            "query".to_string()
        } else {
            field
        };
        AppError::Invalid(vec![FieldError::new(&field, message)])
    })
}

impl FromRequest for Actor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token =
            Authorization::<Bearer>::parse(req).map(|a| a.into_scheme().token().to_string());
        let addr = super::accounts::client_addr(req);
        Box::pin(async move {
            let token = token.map_err(|_| {
                AppError::Unauthenticated("send the header Authorization: Bearer <token>".into())
            })?;
            let state = state.ok_or_else(|| AppError::Internal("app state missing".into()))?;
            let hash = auth::hash_token(&token);
            if let Some(actor) = state.tokens.get(&hash) {
                return Ok(actor);
            }
            if let Some(retry_after) = state.auth_failures.retry_after(&addr) {
                return Err(AppError::TooManyRequests {
                    detail: format!(
                        "too many failed authentications from this address; try again in {retry_after} s"
                    ),
                    retry_after,
                });
            }
            let actor = run(&state, move |conn| auth::authenticate(conn, &token))
                .await
                .inspect_err(|e| {
                    if matches!(e, AppError::Unauthenticated(_)) {
                        state.auth_failures.failed(addr);
                    }
                })?;
            state.tokens.put(hash, actor.clone());
            Ok(actor)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: i64,
    }

    fn status(r: AppResult<Body>) -> (u16, String) {
        use actix_web::ResponseError;
        match r {
            Ok(_) => (200, String::new()),
            Err(e) => {
                let field = match &e {
                    AppError::Invalid(errs) => errs[0].field.clone(),
                    _ => String::new(),
                };
                (e.status_code().as_u16(), field)
            }
        }
    }

    #[test]
    fn idempotency_keys_are_visible_ascii() {
        assert_eq!(IdempotencyKey::parse(None).unwrap().0, None);
        assert_eq!(
            IdempotencyKey::parse(Some(b" abc-123 "))
                .unwrap()
                .0
                .as_deref(),
            Some("abc-123")
        );
        for bad in [&b""[..], b"a b", b"\xc3\xa9t\xc3\xa9", &[b'k'; 201]] {
            assert!(IdempotencyKey::parse(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tells_malformed_from_invalid() {
        assert_eq!(status(parse_json(b"{\"name\": ")), (400, "".into()));
        assert_eq!(status(parse_json(b"")), (400, "".into()));
        assert_eq!(status(parse_json(b"[1]")), (400, "".into()));
        assert_eq!(status(parse_json(b"{}")), (422, "name".into()));
        assert_eq!(status(parse_json(b"{\"name\": 3}")), (422, "name".into()));
        assert_eq!(
            status(parse_json(
                b"{\"name\": \"a\", \"inner\": {\"count\": \"x\"}}"
            )),
            (422, "inner.count".into())
        );
        assert_eq!(
            status(parse_json(b"{\"name\": \"a\", \"nmae\": 1}")),
            (422, "nmae".into())
        );
        assert_eq!(status(parse_json(b"{\"name\": \"a\"}")), (200, "".into()));
    }
}
