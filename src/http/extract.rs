//! Request plumbing: the JSON body extractor that tells malformed JSON (400) from invalid
//! fields (422), the bearer-token caller, and running diesel work off the async threads.

use actix_web::dev::Payload;
use actix_web::http::header::Header;
use actix_web::{web, FromRequest, HttpRequest};
use actix_web_httpauth::headers::authorization::{Authorization, Bearer};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::db::{Conn, Pool};
use crate::domain::FieldError;
use crate::error::{AppError, AppResult};
use crate::services::{auth, Actor};

/// Shared state of every worker.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub tokens: std::sync::Arc<TokenCache>,
}

impl AppState {
    pub fn new(pool: Pool) -> Self {
        AppState {
            pool,
            tokens: std::sync::Arc::new(TokenCache::default()),
        }
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
    pub fn forget_staff(&self, staff_id: &str) {
        if let Ok(mut map) = self.0.write() {
            map.retain(|_, (actor, _)| actor.staff_id != staff_id);
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
        body.await
            .map_err(|e| AppError::BadRequest(format!("could not read the body: {e}")))
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
            let value: serde_json::Value = parse_json(&body.await?)?;
            let body = serde_path_to_error::deserialize(&value).map_err(|e| {
                let path = e.path().to_string();
                json_error(&path, &e.into_inner())
            })?;
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
            return Err(AppError::invalid(
                "Idempotency-Key",
                "use 1 to 200 visible ASCII characters, e.g. a UUID",
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
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_error(&path, &inner)
    })?;
    de.end().map_err(|e| json_error(".", &e))?;
    Ok(value)
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
            let message = if message.contains("Decimal") {
                format!("{message}; send decimals as strings, e.g. \"2.5\"")
            } else {
                message
            };
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
        Box::pin(async move {
            let token = token.map_err(|_| {
                AppError::Unauthenticated("send the header Authorization: Bearer <token>".into())
            })?;
            let state = state.ok_or_else(|| AppError::Internal("app state missing".into()))?;
            let hash = auth::hash_token(&token);
            if let Some(actor) = state.tokens.get(&hash) {
                return Ok(actor);
            }
            let actor = run(&state, move |conn| auth::authenticate(conn, &token)).await?;
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
