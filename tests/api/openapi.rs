//! Issue 15, point 8: the OpenAPI document is one that tools accept and that the service
//! keeps. Unique operation ids, a description on every response, every error an
//! operation can answer declared as `application/problem+json`, vocabularies as enums;
//! and what the service really answers to wrong requests is what the document declares.
//! (CI also validates the document and runs schemathesis: scripts/api-contract.sh.)

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::{s, spawn_app, TestApp};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(app: &TestApp) -> Value {
    let doc = app.request("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, 200, "{doc:?}");
    doc.body
}

/// Every (path, method, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.clone(), method.to_string(), op.clone()));
            }
        }
    }
    assert!(out.len() > 60, "{} operations", out.len());
    out
}

/// A response, through its `$ref` when it has one.
fn resolve<'a>(doc: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str() {
        Some(r) => {
            let pointer = r.strip_prefix('#').unwrap();
            doc.pointer(pointer)
                .unwrap_or_else(|| panic!("{r} is not in the document"))
        }
        None => response,
    }
}

#[actix_web::test]
async fn openapi_operation_ids_are_unique_and_every_response_is_described() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"].as_str().unwrap().get(..4), Some("3.1."));
    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        assert!(ids.insert(id.clone()), "operationId {id} is used twice");
        let responses = op["responses"].as_object().unwrap();
        assert!(!responses.is_empty(), "{method} {path} has no responses");
        for (status, response) in responses {
            let description = resolve(&doc, response)["description"]
                .as_str()
                .unwrap_or_default();
            assert!(
                !description.trim().is_empty(),
                "{method} {path} {status} has no description"
            );
        }
    }
}

#[actix_web::test]
async fn openapi_every_operation_declares_its_errors_as_problem_json() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (path, method, op) in operations(&doc) {
        let responses = op["responses"].as_object().unwrap();
        let mut expected = vec!["400", "414", "500", "503"];
        let signed = op["security"].as_array().is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });
        if signed {
            expected.extend(["401", "429"]);
        }
        if op.get("requestBody").is_some() {
            expected.extend(["413", "422"]);
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if params.iter().any(|p| p["in"] == "path") {
            expected.push("404");
        }
        if params.iter().any(|p| p["in"] == "query") {
            expected.push("422");
        }
        for status in expected {
            assert!(
                responses.contains_key(status),
                "{method} {path} does not declare {status}"
            );
        }
        for (status, response) in responses {
            if !status.starts_with('4') && !status.starts_with('5') {
                continue;
            }
            let content = resolve(&doc, response)["content"].as_object().unwrap();
            let types: Vec<&String> = content.keys().collect();
            assert_eq!(
                types,
                ["application/problem+json"],
                "{method} {path} {status}"
            );
            assert_eq!(
                content["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} {status}"
            );
        }
    }
    let retry = &doc["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"];
    assert!(retry.is_object(), "429 names its Retry-After header");
}

#[actix_web::test]
async fn openapi_states_vocabularies_as_enums() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let prop = |schema: &str, field: &str| -> Value {
        doc["components"]["schemas"][schema]["properties"][field].clone()
    };
    let words = |v: &Value| -> Vec<Value> { v["enum"].as_array().cloned().unwrap_or_default() };
    assert_eq!(
        words(&prop("ProductInput", "kind")),
        serde_json::json!([
            "vial",
            "ampoule",
            "needle",
            "roller",
            "pen_cartridge",
            "prp_kit",
            "other"
        ])
        .as_array()
        .cloned()
        .unwrap()
    );
    // A PATCH may leave it out or send null.
    assert!(words(&prop("ProductPatch", "storage")).contains(&Value::Null));
    assert_eq!(words(&prop("FormulationInput", "areas")["items"]).len(), 8);
    assert_eq!(
        words(&prop("MovementInput", "kind")),
        vec![Value::from("waste"), Value::from("adjust")]
    );
    let roles = words(&prop("StaffInput", "role"));
    assert!(!roles.contains(&Value::from("admin")), "{roles:?}");
    let status = doc["paths"]["/lots"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap()["schema"]
        .clone();
    assert!(words(&status).contains(&Value::from("usable")), "{status}");
}

/// Every operation, called wrongly (an unknown id, an empty body, another role, no
/// token), answers a status that its operation declares, as problem+json.
#[actix_web::test]
async fn openapi_declares_what_wrong_requests_get() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let c = app.clinic("Contract Clinic").await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for (path, method, op) in operations(&doc) {
        let mut url = format!("/api/v1{path}");
        for p in op["parameters"].as_array().cloned().unwrap_or_default() {
            if p["in"] == "path" {
                url = url.replace(&format!("{{{}}}", s(&p["name"])), &unknown);
            }
        }
        let body = op.get("requestBody").map(|_| "{}".to_string());
        for token in [
            None,
            Some(c.practitioner.as_str()),
            Some(c.manager.as_str()),
        ] {
            let a = app
                .request(&method.to_uppercase(), &url, token, body.clone())
                .await;
            let status = a.status.to_string();
            assert!(
                op["responses"].get(&status).is_some(),
                "{method} {path} answered {a:?}, which it does not declare"
            );
            if a.status >= 400 {
                assert_eq!(
                    a.content_type, "application/problem+json",
                    "{method} {path}: {a:?}"
                );
            }
        }
    }
}
