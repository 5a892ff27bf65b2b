//! What the OpenAPI document promises beyond the handlers' annotations, so that tools
//! (validators, client generators, schemathesis) accept it and can hold the service to
//! it: unique operation ids, a description on every response, every error status an
//! operation can answer declared as `application/problem+json`, and the vocabularies
//! that arrive as text stated as enums. Rules shared by every operation live here once,
//! instead of in each handler's annotation.

use serde_json::{json, Value};
use utoipa::Modify;

use super::error::PROBLEM_JSON;
use crate::domain::ledger::{self, MovementKind};
use crate::domain::lot::{self, LotStatus};
use crate::domain::product::{ProductKind, StockUnit, Storage};
use crate::domain::recall::ContactStatus;
use crate::domain::role::{self, Role};
use crate::domain::treatment::{Area, Method};

/// Edits the document in its JSON form, then reads it back: the typed model has many
/// shapes for one thing (a nullable string, a reference), its JSON form has one.
pub fn edit_json(openapi: &mut utoipa::openapi::OpenApi, edit: impl FnOnce(&mut Value)) {
    let Ok(mut doc) = serde_json::to_value(&*openapi) else {
        return;
    };
    edit(&mut doc);
    match serde_json::from_value(doc) {
        Ok(edited) => *openapi = edited,
        Err(e) => tracing::error!(%e, "the OpenAPI document could not be edited"),
    }
}

/// Names every operation of `doc` (one handler's) `id`.
pub fn name_operations(doc: &mut utoipa::openapi::OpenApi, id: &str) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            op.operation_id = Some(id.to_string());
        }
    }
}

/// An error status of the API: its name under `components/responses`, when it is
/// answered, and the header it always carries.
pub struct ErrorStatus {
    pub status: u16,
    pub name: &'static str,
    pub when: &'static str,
    pub header: Option<(&'static str, &'static str, &'static str)>,
}

/// Every error status the API answers (docs/API.md, "Errors"). 405 is not here: it is
/// the answer for a method an operation does not have, so no operation can declare it.
pub const ERRORS: &[ErrorStatus] = &[
    ErrorStatus {
        status: 400,
        name: "MalformedRequest",
        when: "The request cannot be read: a body that is not a JSON object, a query \
               parameter the operation does not take, a control character in the path, \
               or an Idempotency-Key that is not 1 to 200 visible ASCII characters.",
        header: None,
    },
    ErrorStatus {
        status: 401,
        name: "Unauthenticated",
        when: "No bearer token, or one that is unknown, revoked or of a deactivated person.",
        header: Some(("WWW-Authenticate", "string", "`Bearer`")),
    },
    ErrorStatus {
        status: 403,
        name: "Forbidden",
        when: "The caller's role may not do this.",
        header: None,
    },
    ErrorStatus {
        status: 404,
        name: "NotFound",
        when: "Not found, including another clinic's data.",
        header: None,
    },
    ErrorStatus {
        status: 409,
        name: "Conflict",
        when: "The request conflicts with what is stored: `type` says how (duplicate, \
               not-enough-stock, lot-blocked, contraindicated, invalid-state, \
               idempotency-key-reused).",
        header: None,
    },
    ErrorStatus {
        status: 413,
        name: "BodyTooLarge",
        when: "The body is over 16 MiB.",
        header: None,
    },
    ErrorStatus {
        status: 414,
        name: "UrlTooLong",
        when: "The URL (path and query) is over 8 KiB.",
        header: None,
    },
    ErrorStatus {
        status: 422,
        name: "InvalidFields",
        when: "Invalid fields, unknown fields or bad query parameter values; `errors` lists \
               each one.",
        header: None,
    },
    ErrorStatus {
        status: 429,
        name: "TooManyRequests",
        when: "Too many unknown or revoked tokens from this address.",
        header: Some(("Retry-After", "integer", "Seconds to wait.")),
    },
    ErrorStatus {
        status: 500,
        name: "InternalError",
        when: "A fault of the service; the cause is only in its log.",
        header: None,
    },
    ErrorStatus {
        status: 503,
        name: "Unavailable",
        when: "The database is not reachable.",
        header: None,
    },
];

/// Paths every signed-in person may call whatever their role, so they never answer 403.
const EVERY_ROLE: &[&str] = &["/me", "/me/tokens", "/me/tokens/{id}"];

/// What a request can get wrong, so which errors an operation declares besides the ones
/// its annotation names (such as 409): every request can be
/// malformed, too long, or meet a fault or an unreachable database; a signed one can be
/// unauthenticated, throttled or (unless every role may call it) forbidden; a body can
/// be too large or invalid; a query value invalid; an id in the path unknown.
fn errors_of(path: &str, op: &Value) -> Vec<u16> {
    let mut statuses = vec![400, 414, 500, 503];
    let signed = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });
    if signed {
        statuses.extend([401, 429]);
        if !EVERY_ROLE.contains(&path) {
            statuses.push(403);
        }
    }
    if op.get("requestBody").is_some() {
        statuses.extend([413, 422]);
    }
    let params = op.get("parameters").and_then(Value::as_array);
    let has = |place: &str| {
        params.is_some_and(|ps| {
            ps.iter()
                .any(|p| p.get("in").and_then(Value::as_str) == Some(place))
        })
    };
    if has("query") {
        statuses.push(422);
    }
    if has("path") {
        statuses.push(404);
    }
    statuses
}

/// Where a vocabulary is taken as text (so that a wrong word is a 422 listing the right
/// ones): a property of a component schema, or a query parameter of a path.
pub enum Place {
    Property(&'static str, &'static str),
    Query(&'static str, &'static str),
}

/// Every vocabulary taken as text, with its words (from the domain's own lists).
pub fn enums() -> Vec<(Place, Vec<&'static str>)> {
    use Place::{Property as P, Query as Q};
    let lot_states = [LotStatus::NAMES, lot::DERIVED_FILTERS].concat();
    let manual: Vec<&str> = ledger::MANUAL
        .iter()
        .map(|k| MovementKind::as_str(*k))
        .collect();
    let roles: Vec<&str> = role::ASSIGNABLE.iter().map(|r| Role::as_str(*r)).collect();
    vec![
        (P("ProductInput", "kind"), ProductKind::NAMES.to_vec()),
        (P("ProductInput", "stock_unit"), StockUnit::NAMES.to_vec()),
        (P("ProductInput", "storage"), Storage::NAMES.to_vec()),
        (P("ProductPatch", "kind"), ProductKind::NAMES.to_vec()),
        (P("ProductPatch", "stock_unit"), StockUnit::NAMES.to_vec()),
        (P("ProductPatch", "storage"), Storage::NAMES.to_vec()),
        (P("FormulationInput", "method"), Method::NAMES.to_vec()),
        (P("FormulationInput", "areas"), Area::NAMES.to_vec()),
        (P("SessionInput", "method"), Method::NAMES.to_vec()),
        (P("SessionInput", "area"), Area::NAMES.to_vec()),
        (P("CourseInput", "area"), Area::NAMES.to_vec()),
        (P("MovementInput", "kind"), manual),
        (P("StaffInput", "role"), roles.clone()),
        (P("InvitationInput", "role"), roles.clone()),
        (P("StaffPatch", "role"), roles.clone()),
        (P("ContactPatch", "status"), ContactStatus::NAMES.to_vec()),
        (Q("/lots", "status"), lot_states),
    ]
}

/// The document's promises (see the module's comment).
pub struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        edit_json(openapi, |doc| {
            declare_errors(doc);
            state_enums(doc);
        });
    }
}

fn declare_errors(doc: &mut Value) {
    let problem = |description: &str, header: Option<(&str, &str, &str)>| {
        let mut r = json!({
            "description": description,
            "content": { PROBLEM_JSON: { "schema": { "$ref": "#/components/schemas/Problem" } } },
        });
        if let Some((name, kind, what)) = header {
            r["headers"] = json!({ name: { "description": what, "schema": { "type": kind } } });
        }
        r
    };
    let mut shared = serde_json::Map::new();
    for e in ERRORS {
        shared.insert(e.name.to_string(), problem(e.when, e.header));
    }
    doc["components"]["responses"] = Value::Object(shared);

    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for op in ops.values_mut() {
            let mut statuses = errors_of(path, op);
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for (code, response) in responses.iter_mut() {
                match code.parse::<u16>() {
                    Ok(status) if status >= 400 => statuses.push(status),
                    _ => {
                        if response.get("description").is_none() {
                            response["description"] = json!(success(code));
                        }
                    }
                }
            }
            statuses.sort_unstable();
            statuses.dedup();
            for status in statuses {
                let Some(e) = ERRORS.iter().find(|e| e.status == status) else {
                    continue;
                };
                let code = status.to_string();
                // An annotation may say what this status means here; keep its words.
                let own = responses
                    .get(&code)
                    .and_then(|r| r.get("description"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let answer = match own {
                    Some(d) => problem(&d, e.header),
                    None => json!({ "$ref": format!("#/components/responses/{}", e.name) }),
                };
                responses.insert(code, answer);
            }
        }
    }
}

fn success(code: &str) -> &'static str {
    match code {
        "201" => "Created; the answer shows what was stored.",
        "204" => "Done; no body.",
        _ => "The answer.",
    }
}

fn state_enums(doc: &mut Value) {
    for (place, words) in enums() {
        let target = match place {
            Place::Property(schema, field) => {
                doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{field}"))
            }
            Place::Query(path, name) => doc
                .get_mut("paths")
                .and_then(|p| p.get_mut(path))
                .and_then(|item| item.get_mut("get"))
                .and_then(|op| op.get_mut("parameters"))
                .and_then(Value::as_array_mut)
                .and_then(|ps| ps.iter_mut().find(|p| p["name"] == name))
                .and_then(|p| p.get_mut("schema")),
        };
        if let Some(schema) = target {
            restrict(schema, &words);
        }
    }
}

/// Puts `words` on a text schema, on the items of a list of texts, and allows `null`
/// where the schema does (an optional field).
fn restrict(schema: &mut Value, words: &[&str]) {
    if has_type(schema, "array") {
        if let Some(items) = schema.get_mut("items") {
            restrict(items, words);
        }
        return;
    }
    let mut values: Vec<Value> = words.iter().map(|w| json!(w)).collect();
    if has_type(schema, "null") {
        values.push(Value::Null);
    }
    schema["enum"] = Value::Array(values);
}

/// Whether a schema's `type` (one name, or a list such as `["string", "null"]`) has `t`.
fn has_type(schema: &Value, t: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(one)) => one == t,
        Some(Value::Array(many)) => many.iter().any(|x| x == t),
        _ => false,
    }
}
