//! Tokens, roles and clinic isolation (invariant 5).

use serde_json::json;

use crate::helpers::{spawn_app, ADMIN_TOKEN};

#[actix_web::test]
async fn requests_without_a_valid_token_are_401_problems() {
    let app = spawn_app().await;
    let none = app.request("GET", "/api/v1/me", None, None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.content_type, "application/problem+json");
    assert!(none.body["detail"].as_str().unwrap().contains("Bearer"));
    let bad = app.get("/api/v1/me", "not-a-token").await;
    assert_eq!(bad.status, 401);
}

#[actix_web::test]
async fn admin_creates_clinic_and_staff_whose_token_works_once_shown() {
    let app = spawn_app().await;
    let me = app.get("/api/v1/me", ADMIN_TOKEN).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["role"], "admin");
    assert!(me.body["clinic_id"].is_null());

    let c = app.clinic("Clinique du Lac").await;
    let me = app.get("/api/v1/me", &c.practitioner).await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.body["role"], "practitioner");
    assert_eq!(me.body["clinic_id"], c.id.as_str());
    assert!(c.manager.len() >= 64, "tokens are long random strings");
    assert_ne!(c.manager, c.practitioner);

    // A manager adds staff to their own clinic, never to another one.
    let own = app
        .post(
            &format!("/api/v1/clinics/{}/staff", c.id),
            &c.manager,
            json!({"name": "Nurse", "role": "practitioner"}),
        )
        .await;
    assert_eq!(own.status, 201, "{own:?}");
    let other = app.clinic("Other").await;
    let foreign = app
        .post(
            &format!("/api/v1/clinics/{}/staff", other.id),
            &c.manager,
            json!({"name": "Spy", "role": "manager"}),
        )
        .await;
    assert_eq!(foreign.status, 404, "{foreign:?}");
    let by_practitioner = app
        .post(
            &format!("/api/v1/clinics/{}/staff", c.id),
            &c.practitioner,
            json!({"name": "X", "role": "auditor"}),
        )
        .await;
    assert_eq!(by_practitioner.status, 403);
    let admin_role = app
        .post(
            &format!("/api/v1/clinics/{}/staff", c.id),
            ADMIN_TOKEN,
            json!({"name": "X", "role": "admin"}),
        )
        .await;
    assert_eq!(admin_role.status, 422, "{admin_role:?}");
    assert_eq!(admin_role.body["errors"][0]["field"], "role");
    let missing = app
        .post(
            "/api/v1/clinics/00000000-0000-0000-0000-000000000000/staff",
            ADMIN_TOKEN,
            json!({"name": "X", "role": "auditor"}),
        )
        .await;
    assert_eq!(missing.status, 404);
    let not_admin = app
        .post("/api/v1/clinics", &c.manager, json!({"name": "Mine"}))
        .await;
    assert_eq!(not_admin.status, 403);
}

/// The spec's role table, endpoint by endpoint: auditors never write, practitioners do
/// not manage stock or read the ledger, the admin does not touch clinic data.
#[actix_web::test]
async fn role_matrix() {
    let app = spawn_app().await;
    let c = app.clinic("Roles").await;
    let product = app.product(&c.manager, json!({})).await;
    let pid = product["id"].as_str().unwrap().to_string();
    let lot = app
        .receive(&c.manager, &pid, "R-1", &crate::helpers::day(100), 5)
        .await;
    let lid = lot["id"].as_str().unwrap().to_string();

    type Case = (&'static str, String, Option<serde_json::Value>, [u16; 4]);
    // Expected status for [admin, manager, practitioner, auditor].
    let cases: Vec<Case> = vec![
        ("GET", "/api/v1/me".into(), None, [200, 200, 200, 200]),
        ("GET", "/api/v1/stock".into(), None, [403, 200, 200, 200]),
        ("GET", "/api/v1/products".into(), None, [403, 200, 200, 200]),
        (
            "GET",
            format!("/api/v1/products/{pid}"),
            None,
            [403, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/suppliers".into(),
            None,
            [403, 200, 200, 200],
        ),
        ("GET", "/api/v1/lots".into(), None, [403, 200, 200, 200]),
        (
            "GET",
            format!("/api/v1/lots/{lid}"),
            None,
            [403, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/movements".into(),
            None,
            [403, 200, 403, 200],
        ),
        (
            "POST",
            "/api/v1/suppliers".into(),
            Some(json!({"name": "S-{role}", "lead_time_days": 3})),
            [403, 201, 403, 403],
        ),
        (
            "POST",
            "/api/v1/products".into(),
            Some(
                json!({"sku": "SKU-{role}", "name": "N", "kind": "needle", "stock_unit": "piece", "single_use": true, "storage": "room"}),
            ),
            [403, 201, 403, 403],
        ),
        (
            "PATCH",
            format!("/api/v1/products/{pid}"),
            Some(json!({"name": "Renamed"})),
            [403, 200, 403, 403],
        ),
        (
            "POST",
            "/api/v1/lots".into(),
            Some(
                json!({"product_id": pid, "lot_number": "L-{role}", "expires_on": crate::helpers::day(50), "containers": 1}),
            ),
            [403, 201, 403, 403],
        ),
        (
            "POST",
            "/api/v1/movements".into(),
            Some(json!({"lot_id": lid, "kind": "waste", "quantity": "0.5", "reason": "dropped"})),
            [403, 201, 403, 403],
        ),
        (
            "POST",
            "/api/v1/formulations".into(),
            Some(
                json!({"name": "F-{role}", "method": "injectable", "areas": ["face"], "components": [{"product_id": pid, "amount": "1"}]}),
            ),
            [403, 201, 403, 403],
        ),
        (
            "GET",
            "/api/v1/formulations".into(),
            None,
            [403, 200, 200, 200],
        ),
        (
            "GET",
            "/api/v1/contraindication-rules".into(),
            None,
            [403, 200, 200, 200],
        ),
        (
            "POST",
            "/api/v1/contraindication-rules".into(),
            Some(json!({"condition": "c_{role}", "message": "m"})),
            [403, 201, 403, 403],
        ),
        (
            "POST",
            "/api/v1/sessions".into(),
            Some(
                json!({"patient_ref": "P-{role}", "area": "face", "method": "injectable", "conditions": [], "items": [{"product_id": pid, "quantity": "1"}]}),
            ),
            [403, 201, 201, 403],
        ),
        ("GET", "/api/v1/sessions".into(), None, [403, 200, 200, 200]),
        (
            "GET",
            format!("/api/v1/lots/{lid}/trace"),
            None,
            [403, 200, 403, 200],
        ),
        (
            "POST",
            format!("/api/v1/lots/{lid}/quarantine"),
            Some(json!({"reason": "check"})),
            [403, 200, 403, 403],
        ),
        (
            "POST",
            "/api/v1/clinics".into(),
            Some(json!({"name": "C-{role}"})),
            [201, 403, 403, 403],
        ),
    ];
    let tokens = [
        ADMIN_TOKEN,
        c.manager.as_str(),
        c.practitioner.as_str(),
        c.auditor.as_str(),
    ];
    let roles = ["admin", "manager", "practitioner", "auditor"];
    for (method, path, body, expected) in cases {
        for i in 0..4 {
            let body = body
                .as_ref()
                .map(|b| b.to_string().replace("{role}", roles[i]));
            let a = app.request(method, &path, Some(tokens[i]), body).await;
            assert_eq!(a.status, expected[i], "{} {method} {path}: {a:?}", roles[i]);
            if a.status >= 400 {
                assert_eq!(a.content_type, "application/problem+json");
            }
        }
    }
}

/// Another clinic's rows are invisible (404) and untouchable.
#[actix_web::test]
async fn clinics_are_isolated() {
    let app = spawn_app().await;
    let a = app.clinic("A").await;
    let b = app.clinic("B").await;
    let product = app.product(&a.manager, json!({"sku": "SHARED"})).await;
    let pid = product["id"].as_str().unwrap();
    let lot = app
        .receive(&a.manager, pid, "A-LOT", &crate::helpers::day(90), 3)
        .await;
    let lid = lot["id"].as_str().unwrap();
    let supplier = app
        .post(
            "/api/v1/suppliers",
            &a.manager,
            json!({"name": "Only A", "lead_time_days": 2}),
        )
        .await;
    let sid = supplier.body["id"].as_str().unwrap();

    for path in [
        format!("/api/v1/products/{pid}"),
        format!("/api/v1/lots/{lid}"),
        format!("/api/v1/suppliers/{sid}"),
    ] {
        assert_eq!(app.get(&path, &b.manager).await.status, 404, "{path}");
        assert_eq!(app.get(&path, &b.auditor).await.status, 404, "{path}");
    }
    assert_eq!(
        app.patch(
            &format!("/api/v1/products/{pid}"),
            &b.manager,
            json!({"name": "x"})
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/suppliers/{sid}"),
            &b.manager,
            json!({"name": "x"})
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/lots/{lid}/recall"),
            &b.manager,
            json!({"reason": "x"})
        )
        .await
        .status,
        404
    );
    let waste = app
        .post(
            "/api/v1/movements",
            &b.manager,
            json!({"lot_id": lid, "kind": "waste", "quantity": "1", "reason": "x"}),
        )
        .await;
    assert_eq!(waste.status, 422, "{waste:?}");
    let receive = app.post("/api/v1/lots", &b.manager, json!({"product_id": pid, "lot_number": "B", "expires_on": crate::helpers::day(9), "containers": 1})).await;
    assert_eq!(receive.status, 422);
    let with_supplier = app.post("/api/v1/products", &b.manager, json!({"sku": "X", "name": "X", "kind": "needle", "stock_unit": "piece", "single_use": true, "storage": "room", "supplier_id": sid})).await;
    assert_eq!(with_supplier.status, 422);

    // The same sku is fine in another clinic; lists and stock show only one's own rows.
    app.product(&b.manager, json!({"sku": "SHARED"})).await;
    for list in [
        "/api/v1/products",
        "/api/v1/lots",
        "/api/v1/suppliers",
        "/api/v1/stock",
        "/api/v1/movements",
    ] {
        let seen = app.get(list, &b.manager).await;
        assert_eq!(seen.status, 200);
        assert!(
            !seen.text.contains(pid) && !seen.text.contains(lid) && !seen.text.contains(sid),
            "{list} leaks: {}",
            seen.text
        );
    }
    // Unchanged for its owner.
    let still = app.get(&format!("/api/v1/lots/{lid}"), &a.manager).await;
    assert_eq!(still.body["on_hand"], "6");
    assert_eq!(still.body["status"], "available");
}
