//! Bad input gets a 4xx problem that says what to fix; never a 500.

use serde_json::json;

use crate::helpers::{day, spawn_app};

#[actix_web::test]
async fn bad_bodies_and_queries_are_4xx_problems() {
    let app = spawn_app().await;
    let c = app.clinic("Errors").await;
    let p = app.product(&c.manager, json!({})).await;
    let pid = p["id"].as_str().unwrap();
    let lot = app.receive(&c.manager, pid, "E-1", &day(40), 2).await;
    let lid = lot["id"].as_str().unwrap();

    // (method, path, raw body, expected status, field named in errors if 422)
    let cases: Vec<(&str, String, String, u16, Option<&str>)> = vec![
        ("POST", "/api/v1/products".into(), "{\"sku\": ".to_string(), 400, None),
        ("POST", "/api/v1/products".into(), "".to_string(), 400, None),
        ("POST", "/api/v1/products".into(), "[1, 2]".to_string(), 400, None),
        ("POST", "/api/v1/products".into(), "{\"name\": \"x\"}".to_string(), 422, Some("sku")),
        ("POST", "/api/v1/suppliers".into(), "{\"name\": \"x\", \"lead_time_days\": \"soon\"}".to_string(), 422, Some("lead_time_days")),
        ("POST", "/api/v1/suppliers".into(), "{\"name\": \"x\", \"lead_time_days\": 2, \"fax\": 1}".to_string(), 422, Some("fax")),
        ("POST", "/api/v1/lots".into(), format!("{{\"product_id\": \"{pid}\", \"lot_number\": \"A B\", \"expires_on\": \"2027-01-01\", \"containers\": 1}}"), 422, Some("lot_number")),
        ("POST", "/api/v1/lots".into(), format!("{{\"product_id\": \"{pid}\", \"lot_number\": \"AB\", \"expires_on\": \"2027-02-30\", \"containers\": 1}}"), 422, Some("expires_on")),
        ("POST", "/api/v1/lots".into(), format!("{{\"product_id\": \"{pid}\", \"lot_number\": \"AB\", \"expires_on\": \"2027-01-01\", \"containers\": 0}}"), 422, Some("containers")),
        ("POST", "/api/v1/lots".into(), format!("{{\"product_id\": \"{pid}\", \"lot_number\": \"ABCDEFGHIJKLMNOPQRSTU\", \"expires_on\": \"2027-01-01\", \"containers\": 1}}"), 422, Some("lot_number")),
        ("POST", "/api/v1/lots".into(), "{\"product_id\": \"nope\", \"lot_number\": \"AB\", \"expires_on\": \"2027-01-01\", \"containers\": 1}".to_string(), 422, Some("product_id")),
        ("POST", "/api/v1/movements".into(), format!("{{\"lot_id\": \"{lid}\", \"kind\": \"waste\", \"quantity\": 1.5, \"reason\": \"x\"}}"), 422, Some("quantity")),
        ("POST", "/api/v1/movements".into(), format!("{{\"lot_id\": \"{lid}\", \"kind\": \"waste\", \"quantity\": \"-1\", \"reason\": \"x\"}}"), 422, Some("quantity")),
        ("POST", "/api/v1/movements".into(), format!("{{\"lot_id\": \"{lid}\", \"kind\": \"consume\", \"quantity\": \"1\", \"reason\": \"x\"}}"), 422, Some("kind")),
        ("POST", "/api/v1/movements".into(), format!("{{\"lot_id\": \"{lid}\", \"kind\": \"adjust\", \"quantity\": \"1\", \"reason\": \" \"}}"), 422, Some("reason")),
        ("POST", format!("/api/v1/lots/{lid}/quarantine"), "{\"reason\": \"\"}".to_string(), 422, Some("reason")),
        ("GET", "/api/v1/lots?expiring_within_days=soon".into(), "".to_string(), 422, Some("expiring_within_days")),
        ("GET", "/api/v1/lots?status=lost".into(), "".to_string(), 422, Some("status")),
        ("GET", "/api/v1/movements?from=yesterday".into(), "".to_string(), 422, Some("from")),
        ("GET", "/api/v1/nothing-here".into(), "".to_string(), 404, None),
        ("GET", "/api/v1/lots/does-not-exist".into(), "".to_string(), 404, None),
    ];
    for (method, path, body, status, field) in cases {
        let body = (method != "GET").then_some(body);
        let a = app.request(method, &path, Some(&c.manager), body).await;
        assert_eq!(a.status, status, "{method} {path}: {a:?}");
        assert_eq!(
            a.content_type, "application/problem+json",
            "{method} {path}"
        );
        assert!(
            !a.body["detail"].as_str().unwrap_or("").is_empty(),
            "a problem says what to fix"
        );
        if let Some(f) = field {
            assert_eq!(a.body["errors"][0]["field"], f, "{method} {path}: {a:?}");
            assert!(!a.body["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .is_empty());
        }
    }
    // Decimals sent as JSON numbers are refused with a hint, not rounded through a float.
    let num = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": lid, "kind": "waste", "quantity": 0.1, "reason": "x"}),
        )
        .await;
    assert!(
        num.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("as strings"),
        "{num:?}"
    );
    // Nothing of the above changed the lot.
    assert_eq!(
        app.get(&format!("/api/v1/lots/{lid}"), &c.manager)
            .await
            .body["on_hand"],
        "4"
    );
}
