//! Issue 15, point 9: what the README and docs/API.md promise about requests and answers.
//! Unknown query parameters are refused by name, a time sent without its clock or offset
//! is told the accepted form, and every time in every JSON answer is UTC ending in `Z`.

use serde_json::{json, Value};

use crate::helpers::{day, s, spawn_app};

#[actix_web::test]
async fn unknown_query_parameters_are_a_400_naming_them() {
    let app = spawn_app().await;
    let c = app.clinic("Query Clinic").await;
    let p = app.product(&c.manager, json!({})).await;
    app.receive(&c.manager, s(&p["id"]), "Q-1", &day(200), 2)
        .await;

    // A misspelt or invented filter used to answer everything.
    let a = app.get("/api/v1/stock?sku=NOPE", &c.manager).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(a.content_type, "application/problem+json");
    let detail = s(&a.body["detail"]);
    assert!(detail.contains("sku"), "{detail}");
    assert!(detail.contains("takes no query parameters"), "{detail}");

    let a = app
        .get("/api/v1/lots?lot_numbr=Q-1&status=usable", &c.manager)
        .await;
    assert_eq!(a.status, 400, "{a:?}");
    let detail = s(&a.body["detail"]);
    assert!(
        detail.starts_with("unknown query parameter(s): lot_numbr;"),
        "only the unknown one: {detail}"
    );
    assert!(
        detail.contains("lot_number"),
        "says what it takes: {detail}"
    );

    // CSV exports refuse before the stream starts.
    let a = app
        .get("/api/v1/exports/movements.csv?form=2026-01-01", &c.auditor)
        .await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(s(&a.body["detail"]).contains("form"), "{a:?}");

    // The parameters the OpenAPI document lists still work.
    for path in [
        "/api/v1/lots?lot_number=Q-1&status=usable&expiring_within_days=365".to_string(),
        format!("/api/v1/lots?product_id={}", s(&p["id"])),
        "/api/v1/sessions?patient_ref=P-1&from=2026-01-01&limit=5".into(),
        "/api/v1/movements?from=2026-01-01&limit=10".into(),
        "/api/v1/audit-log?entity=product&limit=10".into(),
        "/api/v1/forecast?days=30".into(),
        "/api/v1/trace?lot_number=Q-1".into(),
        "/api/v1/exports/traceability.csv?bom=true&lot_number=Q-1".into(),
    ] {
        let a = app.get(&path, &c.auditor).await;
        assert!(
            a.status == 200 || a.status == 403,
            "{path}: {} {}",
            a.status,
            a.text
        );
        assert_ne!(a.status, 400, "{path}: {a:?}");
    }
    let a = app
        .post(
            "/api/v1/sessions?dry_run=true",
            &c.practitioner,
            json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": p["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    let a = app
        .post(
            "/api/v1/sessions?dryrun=true",
            &c.practitioner,
            json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": p["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(a.status, 400, "a typo never logs a session: {a:?}");
    assert!(s(&a.body["detail"]).contains("dryrun"), "{a:?}");
    let sessions = app.get("/api/v1/sessions", &c.auditor).await;
    assert_eq!(
        sessions.body.as_array().map(Vec::len),
        Some(0),
        "{sessions:?}"
    );

    // Pages keep accepting what their forms send.
    let page = app
        .request("GET", "/sign-in?next=%2F&extra=1", None, None)
        .await;
    assert_eq!(page.status, 200, "{page:?}");
}

#[actix_web::test]
async fn a_date_without_time_says_the_accepted_form() {
    let app = spawn_app().await;
    let c = app.clinic("Time Clinic").await;
    let p = app.product(&c.manager, json!({})).await;
    // Received before the back-dated session below.
    app.receive_days_ago(&c.manager, s(&p["id"]), "T-1", &day(200), 2, 2)
        .await;
    for bad in ["2026-11-20", "2026-11-20T10:30:00", "yesterday"] {
        let a = app
            .log_session(
                &c.practitioner,
                json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                       "performed_at": bad,
                       "items": [{"product_id": p["id"], "quantity": "1"}]}),
            )
            .await;
        assert_eq!(a.status, 422, "{bad}: {a:?}");
        let e = &a.body["errors"][0];
        assert_eq!(s(&e["field"]), "performed_at", "{a:?}");
        let message = s(&e["message"]);
        assert!(message.contains("RFC 3339"), "{message}");
        assert!(message.contains("2026-11-20T10:30:00Z"), "{message}");
        assert!(!message.contains("premature"), "{message}");
    }
    // A full time with an offset is still taken, and answered in UTC.
    let when = (chrono::Utc::now() - chrono::Duration::days(1))
        .with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap())
        .to_rfc3339();
    let a = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                   "performed_at": when,
                   "items": [{"product_id": p["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(a.status, 201, "{a:?}");
    assert!(s(&a.body["performed_at"]).ends_with('Z'), "{a:?}");
}

/// Every text that looks like a time (`YYYY-MM-DDTHH:…`) in `v`, with where it was.
fn times(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(t) => {
            let b = t.as_bytes();
            if b.len() >= 16 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' {
                out.push((at.to_string(), t.clone()));
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                times(x, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, x) in map {
                times(x, &format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

#[actix_web::test]
async fn every_time_in_every_answer_ends_in_z() {
    let app = spawn_app().await;
    let c = app.clinic("Zulu Clinic").await;
    let mut answers: Vec<(String, Value)> = Vec::new();
    fn keep_in(answers: &mut Vec<(String, Value)>, what: &str, a: &crate::helpers::Answer) {
        assert!(a.status < 300, "{what}: {a:?}");
        answers.push((what.to_string(), a.body.clone()));
    }
    macro_rules! keep {
        ($what:expr, $a:expr) => {
            keep_in(&mut answers, $what, $a)
        };
    }

    let sup = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": "Zulu Supplies", "lead_time_days": 3}),
        )
        .await;
    keep!("supplier", &sup);
    let p = app
        .product(&c.manager, json!({"supplier_id": sup.body["id"]}))
        .await;
    answers.push(("product".into(), p.clone()));
    let lot = app
        .receive(&c.manager, s(&p["id"]), "Z-1", &day(200), 5)
        .await;
    answers.push(("lot".into(), lot.clone()));
    let session = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-Z", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": p["id"], "quantity": "1"}]}),
        )
        .await;
    keep!("session", &session);
    let second = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-Y", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": p["id"], "quantity": "1"}]}),
        )
        .await;
    keep!("second session", &second);
    let void = app
        .post(
            &format!("/api/v1/sessions/{}/void", s(&session.body["id"])),
            &c.manager,
            json!({"reason": "wrong patient"}),
        )
        .await;
    keep!("void", &void);
    let recall = app
        .post(
            &format!("/api/v1/lots/{}/recall", s(&lot["id"])),
            &c.manager,
            json!({"reason": "supplier notice"}),
        )
        .await;
    keep!("recall", &recall);
    let case = s(&recall.body["recall_case_id"]).to_string();
    let order = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": sup.body["id"], "lines": [{"product_id": p["id"], "containers": 2}]}),
        )
        .await;
    keep!("purchase order", &order);
    let token = app
        .post("/api/v1/me/tokens", &c.manager, json!({"name": "printer"}))
        .await;
    keep!("token", &token);
    // An invitation's audit entry carries its expiry.
    let invited = app
        .post(
            &format!("/api/v1/clinics/{}/staff", c.id),
            &c.manager,
            json!({"name": "Zoé Invited", "role": "auditor", "email": "zoe@zulu.example"}),
        )
        .await;
    keep!("invited", &invited);
    let invitation = app
        .post(
            &format!("/api/v1/staff/{}/invitation", s(&invited.body["id"])),
            &c.manager,
            json!({}),
        )
        .await;
    keep!("invitation", &invitation);

    for path in [
        "/api/v1/me".to_string(),
        "/api/v1/me/tokens".into(),
        format!("/api/v1/clinics/{}/staff", c.id),
        "/api/v1/suppliers".into(),
        "/api/v1/products".into(),
        "/api/v1/lots".into(),
        format!("/api/v1/lots/{}", s(&lot["id"])),
        format!("/api/v1/lots/{}/trace", s(&lot["id"])),
        "/api/v1/trace?lot_number=Z-1".into(),
        "/api/v1/stock".into(),
        "/api/v1/alerts".into(),
        "/api/v1/sessions".into(),
        format!("/api/v1/sessions/{}", s(&session.body["id"])),
        "/api/v1/movements".into(),
        "/api/v1/recalls".into(),
        format!("/api/v1/recalls/{case}"),
        "/api/v1/purchase-orders".into(),
        format!("/api/v1/purchase-orders/{}", s(&order.body["id"])),
        "/api/v1/audit-log".into(),
        "/api/v1/forecast".into(),
        "/api/v1/reorder-suggestions".into(),
    ] {
        let a = app.get(&path, &c.manager).await;
        keep!(&path, &a);
    }

    let mut found = Vec::new();
    for (what, body) in &answers {
        times(body, what, &mut found);
    }
    assert!(found.len() > 20, "the answers hold times: {found:?}");
    let not_utc: Vec<_> = found.iter().filter(|(_, t)| !t.ends_with('Z')).collect();
    assert!(not_utc.is_empty(), "times not ending in Z: {not_utc:?}");
}
