//! Issue 15: hostile or sloppy input at the edge (control characters, lenient decimals,
//! sizes, methods, headers, throttled guessing) gets a clear 4xx problem on both
//! backends, never a 500 or a driver message.

use std::time::Duration;

use awc::http::header::HeaderMap;
use futures_util::future::join_all;
use mesoledger::startup::{Application, Settings};
use serde_json::{json, Value};

use crate::helpers::{day, s, spawn_app, Clinic, TestApp, TestDb, ADMIN_TOKEN};

/// An answer with its headers.
struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?} {}", self.status, self.headers, self.text)
    }
}

impl Raw {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn is_problem(&self) -> bool {
        self.header("content-type") == "application/problem+json"
            && !self.body["detail"].as_str().unwrap_or("").is_empty()
    }
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Raw {
    let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app.client.request(method, format!("{}{path}", app.address));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut res = match body {
        Some(b) => req.send_body(b).await,
        None => req.send().await,
    }
    .expect("request sent");
    let bytes = res.body().limit(64 * 1024 * 1024).await.expect("body");
    Raw {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn post_json(app: &TestApp, token: &str, path: &str, body: &str) -> Raw {
    let auth = bearer(token);
    send(
        app,
        "POST",
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(body.as_bytes().to_vec()),
    )
    .await
}

async fn import(app: &TestApp, c: &Clinic, what: &str, body: &str) -> Raw {
    let auth = bearer(&c.manager);
    send(
        app,
        "POST",
        &format!("/api/v1/imports/{what}"),
        &[("Authorization", &auth), ("Content-Type", "text/csv")],
        Some(body.as_bytes().to_vec()),
    )
    .await
}

fn first_field(a: &Raw) -> &str {
    a.body["errors"][0]["field"].as_str().unwrap_or("")
}

#[actix_web::test]
async fn control_characters_are_refused_in_bodies_paths_queries_and_files() {
    let app = spawn_app().await;
    let c = app.clinic("Controls").await;
    let p = app.product(&c.manager, json!({})).await;
    let pid = s(&p["id"]);
    app.receive(&c.manager, pid, "C-1", &day(60), 3).await;

    // (body, path, field the problem names)
    let bodies = [
        (
            r#"{"name": "Meso\u0000Pharma", "lead_time_days": 2}"#.to_string(),
            "/api/v1/suppliers",
            "name",
        ),
        (
            r#"{"name": "Bell\u0007", "lead_time_days": 2}"#.to_string(),
            "/api/v1/suppliers",
            "name",
        ),
        (
            format!(
                r#"{{"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [], "items": [{{"product_id": "{pid}\u0000", "quantity": "1"}}]}}"#
            ),
            "/api/v1/sessions",
            "items[0].product_id",
        ),
        (r#"{"code": "\u0000"}"#.to_string(), "/api/v1/scan", "code"),
    ];
    for (body, path, field) in bodies {
        let a = post_json(&app, &c.manager, path, &body).await;
        assert_eq!(a.status, 422, "{path} {body}: {a:?}");
        assert!(a.is_problem(), "{a:?}");
        assert_eq!(first_field(&a), field, "{a:?}");
    }
    // Line breaks and tabs are text: a reason may have several lines.
    let lot = app.receive(&c.manager, pid, "C-2", &day(60), 1).await;
    let waste = post_json(
        &app,
        &c.manager,
        "/api/v1/movements",
        &format!(
            r#"{{"lot_id": "{}", "kind": "waste", "quantity": "1", "reason": "dropped\nvial\tcracked"}}"#,
            s(&lot["id"])
        ),
    )
    .await;
    assert_eq!(waste.status, 201, "{waste:?}");

    let auth = bearer(&c.manager);
    let h = [("Authorization", auth.as_str())];
    let path = send(&app, "GET", "/api/v1/lots/abc%00def", &h, None).await;
    assert_eq!(path.status, 400, "{path:?}");
    assert!(path.is_problem(), "{path:?}");
    let query = send(&app, "GET", "/api/v1/sessions?patient_ref=P%001", &h, None).await;
    assert_eq!(query.status, 422, "{query:?}");
    assert_eq!(first_field(&query), "patient_ref");
    // A bad export filter fails before the 200 and the header row.
    let export = send(
        &app,
        "GET",
        "/api/v1/exports/traceability.csv?lot_number=%00",
        &h,
        None,
    )
    .await;
    assert_eq!(export.status, 422, "{export:?}");
    assert!(export.is_problem(), "{export:?}");
    assert_eq!(first_field(&export), "lot_number");

    let csv = import(
        &app,
        &c,
        "products",
        "sku,name,kind,stock_unit,single_use,storage\nNUL-1,Bad\u{0}name,vial,ml,true,room\n",
    )
    .await;
    assert_eq!(csv.status, 422, "{csv:?}");
    assert_eq!(csv.body["errors"][0]["line"], 2, "{csv:?}");
    assert_eq!(first_field(&csv), "name");

    // A page form too (sign-in is the one form without a session).
    let origin = app.address.clone();
    let form = send(
        &app,
        "POST",
        "/sign-in",
        &[
            ("Origin", &origin),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(b"email=a%00%40b.example&password=whatever".to_vec()),
    )
    .await;
    assert_eq!(form.status, 422, "{form:?}");
    assert_eq!(first_field(&form), "email");

    let suppliers = app.get("/api/v1/suppliers", &c.manager).await;
    assert_eq!(suppliers.body, json!([]), "nothing was stored");
}

#[actix_web::test]
async fn decimals_are_read_exactly_or_refused() {
    let app = spawn_app().await;
    let c = app.clinic("Decimals").await;
    let p = app.product(&c.manager, json!({})).await;
    let lot = app
        .receive(&c.manager, s(&p["id"]), "D-1", &day(60), 5)
        .await;
    let lid = s(&lot["id"]);
    for bad in [
        "1_000",
        "1e2",
        "+1",
        "0.000000000000000000000000000001",
        "1.0000001",
        " 1",
        "1,5",
        ".5",
        "1.",
    ] {
        let a = app
            .post(
                "/api/v1/movements",
                &c.manager,
                json!({"lot_id": lid, "kind": "adjust", "quantity": bad, "reason": "count"}),
            )
            .await;
        assert_eq!(a.status, 422, "{bad:?}: {a:?}");
        assert_eq!(a.body["errors"][0]["field"], "quantity", "{a:?}");
        let message = a.body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("digits") || message.contains("decimal"),
            "{message}"
        );
    }
    for (field, bad) in [
        ("unit_cost", "1e2"),
        ("reorder_point", "+4"),
        ("content", "2.0000000"),
    ] {
        let mut body = json!({"sku": format!("X-{field}"), "name": "X", "kind": "vial", "stock_unit": "ml",
            "content": "2", "single_use": true, "storage": "room", "unit_cost": "1"});
        body[field] = json!(bad);
        let a = app.post("/api/v1/products", &c.manager, body).await;
        assert_eq!(a.status, 422, "{field}={bad}: {a:?}");
        assert_eq!(a.body["errors"][0]["field"], field, "{a:?}");
    }
    let patch = app
        .patch(
            &format!("/api/v1/products/{}", s(&p["id"])),
            &c.manager,
            json!({"unit_cost": "1_0"}),
        )
        .await;
    assert_eq!(patch.status, 422, "{patch:?}");
    let csv = import(
        &app,
        &c,
        "products",
        "sku,name,kind,stock_unit,content,single_use,storage,unit_cost\nE-1,E,vial,ml,1e1,true,room,2\nE-2,E,vial,ml,2,true,room,+3\n",
    )
    .await;
    assert_eq!(csv.status, 422, "{csv:?}");
    let errors: Vec<(u64, String)> = csv.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), s(&e["field"]).to_string()))
        .collect();
    assert!(
        errors.contains(&(2, "content".into())) && errors.contains(&(3, "unit_cost".into())),
        "{csv:?}"
    );
    assert!(
        errors.iter().all(|(line, _)| [2, 3].contains(line)),
        "{csv:?}"
    );
    // The plain forms still work, and exactly.
    let ok = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": lid, "kind": "adjust", "quantity": "-0.000001", "reason": "count"}),
        )
        .await;
    assert_eq!(ok.status, 201, "{ok:?}");
    assert_eq!(ok.body["quantity"], "-0.000001", "{ok:?}");
}

#[actix_web::test]
async fn sizes_methods_and_idempotency_keys_are_framed_as_problems() {
    let app = spawn_app().await;
    let c = app.clinic("Sizes").await;
    let auth = bearer(&c.manager);
    let big = vec![b' '; 16 * 1024 * 1024 + 1];
    for (path, content_type) in [
        ("/api/v1/products", "application/json"),
        ("/api/v1/imports/products", "text/csv"),
    ] {
        let a = send(
            &app,
            "POST",
            path,
            &[("Authorization", &auth), ("Content-Type", content_type)],
            Some(big.clone()),
        )
        .await;
        assert_eq!(a.status, 413, "{path}: {}", a.text);
        assert!(a.is_problem(), "{path}: {a:?}");
    }
    let long = format!("/api/v1/lots?product_id={}", "x".repeat(9000));
    let a = send(&app, "GET", &long, &[("Authorization", &auth)], None).await;
    assert_eq!(a.status, 414, "{a:?}");
    assert!(a.is_problem(), "{a:?}");

    for (method, path, allowed) in [
        ("DELETE", "/api/v1/lots", vec!["GET", "POST"]),
        ("PUT", "/api/v1/suppliers/some-id", vec!["GET", "PATCH"]),
        ("GET", "/api/v1/sessions/some-id/void", vec!["POST"]),
    ] {
        let a = send(&app, method, path, &[("Authorization", &auth)], None).await;
        assert_eq!(a.status, 405, "{method} {path}: {a:?}");
        assert!(a.is_problem(), "{a:?}");
        let allow: Vec<&str> = a.header("allow").split(", ").collect();
        for m in allowed {
            assert!(allow.contains(&m), "{method} {path}: {allow:?}");
        }
    }
    let unknown = send(
        &app,
        "DELETE",
        "/api/v1/nothing",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(unknown.status, 404, "{unknown:?}");

    let p = app.product(&c.manager, json!({})).await;
    let body =
        json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
        "items": [{"product_id": p["id"], "quantity": "1"}]})
        .to_string();
    let practitioner = bearer(&c.practitioner);
    for key in ["caf\u{e9}", "two words", ""] {
        let mut req = app
            .client
            .post(format!("{}/api/v1/sessions", app.address))
            .insert_header(("Authorization", practitioner.as_str()))
            .insert_header(("Content-Type", "application/json"));
        req.headers_mut().insert(
            awc::http::header::HeaderName::from_static("idempotency-key"),
            awc::http::header::HeaderValue::from_bytes(key.as_bytes()).unwrap(),
        );
        let res = req.send_body(body.clone()).await.unwrap();
        assert_eq!(res.status().as_u16(), 400, "{key:?}");
    }
}

/// One instance with its own settings, over a fresh database.
fn instance(settings: impl FnOnce(&mut Settings)) -> (TestApp, anyhow::Result<()>) {
    let db = TestDb::new();
    let mut s = Settings::new(db.url(), "127.0.0.1:0");
    s.admin_token = Some(ADMIN_TOKEN.into());
    s.workers = Some(2);
    s.pool_size = 4;
    settings(&mut s);
    let (address, started) = match Application::build(&s) {
        Ok(app) => {
            let address = format!("http://127.0.0.1:{}", app.port);
            actix_web::rt::spawn(app.run());
            (address, Ok(()))
        }
        Err(e) => (String::new(), Err(e)),
    };
    let app = TestApp {
        address,
        client: awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .finish(),
        db,
    };
    (app, started)
}

#[actix_web::test]
async fn short_admin_tokens_are_refused_at_start() {
    let (_, started) = instance(|s| s.admin_token = Some("a".into()));
    let message = started
        .expect_err("a one-character admin token")
        .to_string();
    assert!(message.contains("at least 32"), "{message}");
    let (_, started) = instance(|s| s.admin_token = Some("x".repeat(32)));
    started.expect("32 characters are enough");
}

#[actix_web::test]
async fn failed_tokens_are_throttled_per_address_but_valid_ones_pass() {
    let (app, started) = instance(|s| s.auth_failures_per_minute = 5);
    started.unwrap();
    assert_eq!(app.get("/api/v1/me", ADMIN_TOKEN).await.status, 200);
    for i in 0..5 {
        let a = app.get("/api/v1/me", &format!("guess-{i}")).await;
        assert_eq!(a.status, 401, "{a:?}");
    }
    let auth = bearer("guess-5");
    let throttled = send(&app, "GET", "/api/v1/me", &[("Authorization", &auth)], None).await;
    assert_eq!(throttled.status, 429, "{throttled:?}");
    assert!(throttled.is_problem(), "{throttled:?}");
    let wait: i64 = throttled.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // A token this instance knows is not slowed.
    assert_eq!(app.get("/api/v1/me", ADMIN_TOKEN).await.status, 200);
}

#[actix_web::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let c = app.clinic("Headers").await;
    let auth = bearer(&c.manager);
    let api = send(&app, "GET", "/api/v1/me", &[("Authorization", &auth)], None).await;
    let problem = send(&app, "GET", "/api/v1/me", &[], None).await;
    let page = send(&app, "GET", "/sign-in", &[("Accept", "text/html")], None).await;
    let docs = send(&app, "GET", "/api/v1/docs", &[], None).await;
    for a in [&api, &problem, &page, &docs] {
        assert_eq!(a.header("x-content-type-options"), "nosniff", "{a:?}");
        assert_eq!(a.header("cache-control"), "no-store", "{a:?}");
    }
    for a in [&page, &docs] {
        let csp = a.header("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(a.header("referrer-policy"), "same-origin");
        assert!(
            !a.text.contains("<style") && !a.text.contains("<script>"),
            "no inline code"
        );
    }
    // Each stylesheet a page links is served, so the policy leaves the pages styled.
    for a in [&page, &docs] {
        let href = a
            .text
            .split("rel=\"stylesheet\" href=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap();
        let css = send(&app, "GET", href, &[], None).await;
        assert_eq!(css.status, 200, "{href}");
        assert_eq!(css.header("x-content-type-options"), "nosniff");
    }
}

#[actix_web::test]
async fn text_that_hides_or_runs_is_refused_or_neutralised() {
    let app = spawn_app().await;
    let c = app.clinic("Text").await;
    // A clinic whose own pattern lets any printable code through: the service's own
    // floor (no direction controls) still holds, and exports still neutralise formulas.
    let open = app
        .patch(
            &format!("/api/v1/clinics/{}", c.id),
            &c.manager,
            json!({"patient_code_pattern": ".+"}),
        )
        .await;
    assert_eq!(open.status, 200, "{open:?}");
    let p = app.product(&c.manager, json!({})).await;
    app.receive(&c.manager, s(&p["id"]), "T-1", &day(60), 5)
        .await;
    let session = |patient: &str| {
        json!({"patient_ref": patient, "area": "face", "method": "injectable", "conditions": [],
            "items": [{"product_id": p["id"], "quantity": "1"}]})
    };
    for bad in ["PAT\u{202E}1-TAP", "\u{2067}P-2", "\u{FEFF}P-3"] {
        let a = app.log_session(&c.practitioner, session(bad)).await;
        assert_eq!(a.status, 422, "{bad:?}: {a:?}");
        assert_eq!(a.body["errors"][0]["field"], "patient_ref");
    }
    for code in ["\u{FF1D}1+1", "\u{FF20}SUM(A1)"] {
        let a = app.log_session(&c.practitioner, session(code)).await;
        assert_eq!(a.status, 201, "{a:?}");
    }
    let export = app
        .get("/api/v1/exports/traceability.csv", &c.auditor)
        .await;
    assert_eq!(export.status, 200);
    for code in ["\u{FF1D}1+1", "\u{FF20}SUM(A1)"] {
        assert!(
            export.text.contains(&format!(",'{code},")),
            "{}",
            export.text
        );
    }

    // Bare CR line ends (old Mac files) keep their line numbers.
    let cr = import(
        &app,
        &c,
        "products",
        "sku,name,kind,stock_unit,content,single_use,storage\rOK-1,Fine,vial,ml,2,true,room\rBAD-1,Bad,vial,ml,2,maybe,room\r",
    )
    .await;
    assert_eq!(cr.status, 422, "{cr:?}");
    assert_eq!(cr.body["errors"][0]["line"], 3, "{cr:?}");
    assert_eq!(first_field(&cr), "single_use");
    // A quote inside an unquoted field is an error, not text.
    let quote = import(
        &app,
        &c,
        "products",
        "sku,name,kind,stock_unit,content,single_use,storage\nQ-1,Fine,vial,ml,2,true,room\nQ-2,Half \"quoted,vial,ml,2,true,room\n",
    )
    .await;
    assert_eq!(quote.status, 422, "{quote:?}");
    assert_eq!(quote.body["errors"][0]["line"], 3, "{quote:?}");
    assert!(quote.text.contains("quote"), "{quote:?}");
    assert_eq!(
        app.get("/api/v1/products", &c.manager)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[actix_web::test]
async fn a_lost_void_race_answers_already_voided() {
    let app = spawn_app().await;
    let c = app.clinic("Voids").await;
    let p = app.product(&c.manager, json!({})).await;
    app.receive(&c.manager, s(&p["id"]), "V-1", &day(60), 5)
        .await;
    for _ in 0..3 {
        let logged = app
            .log_session(
                &c.practitioner,
                json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                    "items": [{"product_id": p["id"], "quantity": "1"}]}),
            )
            .await;
        assert_eq!(logged.status, 201, "{logged:?}");
        let path = format!("/api/v1/sessions/{}/void", s(&logged.body["id"]));
        let answers = join_all(
            (0..6).map(|_| app.post(&path, &c.manager, json!({"reason": "entered twice"}))),
        )
        .await;
        let ok = answers.iter().filter(|a| a.status == 200).count();
        assert_eq!(ok, 1, "{answers:?}");
        for a in answers.iter().filter(|a| a.status != 200) {
            assert_eq!(a.status, 409, "{a:?}");
            assert!(
                a.body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("already voided"),
                "{a:?}"
            );
        }
    }
}
