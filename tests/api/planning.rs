//! Stock flags, courses, forecast, reorder suggestions, purchase orders and scanning.

use serde_json::{json, Value};

use crate::helpers::{day, s, spawn_app, Clinic, TestApp};

async fn flags_of(app: &TestApp, c: &Clinic, sku: &str) -> Vec<String> {
    let stock = app.get("/api/v1/stock", &c.manager).await;
    let line = stock
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == sku)
        .cloned()
        .unwrap();
    line["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

/// The forecast's line for `sku` over `days` days.
async fn forecast_line(app: &TestApp, c: &Clinic, days: i64, sku: &str) -> Value {
    let forecast = app
        .get(&format!("/api/v1/forecast?days={days}"), &c.manager)
        .await;
    assert_eq!(forecast.status, 200, "{forecast:?}");
    forecast
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == sku)
        .cloned()
        .unwrap()
}

async fn cocktail(app: &TestApp, c: &Clinic, product: &Value, amount: &str) -> String {
    let f = app
        .post("/api/v1/formulations", &c.manager, json!({"name": format!("F-{}", s(&product["sku"])), "method": "injectable", "areas": ["face", "belly", "scalp"],
            "components": [{"product_id": product["id"], "amount": amount}]}))
        .await;
    assert_eq!(f.status, 201, "{f:?}");
    s(&f.body["id"]).to_string()
}

#[actix_web::test]
async fn courses_default_from_the_area_and_follow_sessions() {
    let app = spawn_app().await;
    let c = app.clinic("Courses").await;
    let ha = app.product(&c.manager, json!({"sku": "HA"})).await;
    app.receive(&c.manager, s(&ha["id"]), "L1", &day(300), 50)
        .await;
    let f = cocktail(&app, &c, &ha, "2").await;
    for (area, n, every) in [("face", 4, 7), ("belly", 7, 15), ("scalp", 6, 35)] {
        let course = app.post("/api/v1/courses", &c.practitioner, json!({"patient_ref": "P-1", "formulation_id": f, "area": area, "start_on": day(0)})).await;
        assert_eq!(course.status, 201, "{course:?}");
        let planned = course.body["planned"].as_array().unwrap();
        assert_eq!(planned.len(), n, "{area}");
        assert_eq!(planned[1]["date"], day(every), "{area}");
    }
    let custom = app.post("/api/v1/courses", &c.practitioner, json!({"patient_ref": "P-2", "formulation_id": f, "area": "face", "start_on": day(1), "sessions": 3, "interval_days": 14})).await;
    assert_eq!(custom.body["planned"].as_array().unwrap().len(), 3);
    assert_eq!(custom.body["planned"][2]["date"], day(29));
    let bad = app.post("/api/v1/courses", &c.practitioner, json!({"patient_ref": "P-2", "formulation_id": "nope", "area": "knee", "start_on": day(1), "sessions": 0})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"].as_array().unwrap().len(), 2, "{bad:?}");

    // Logging the cocktail for P-2 marks the next planned date done.
    let logged = app.log_session(&c.practitioner, json!({"patient_ref": "P-2", "area": "face", "method": "injectable", "conditions": [], "formulation_id": f})).await;
    assert_eq!(logged.status, 201);
    let id = s(&custom.body["id"]);
    let after = app.get(&format!("/api/v1/courses/{id}"), &c.auditor).await;
    assert_eq!(after.body["planned"][0]["done"], true);
    assert_eq!(after.body["planned"][0]["session_id"], logged.body["id"]);
    assert_eq!(after.body["planned"][1]["done"], false);
    // A voided session gives its planned date back.
    let void = app
        .post(
            &format!("/api/v1/sessions/{}/void", s(&logged.body["id"])),
            &c.manager,
            json!({"reason": "entered twice"}),
        )
        .await;
    assert_eq!(void.status, 200);
    let after_void = app.get(&format!("/api/v1/courses/{id}"), &c.auditor).await;
    assert_eq!(after_void.body["planned"][0]["done"], false);
    let cancelled = app
        .post(
            &format!("/api/v1/courses/{id}/cancel"),
            &c.practitioner,
            json!({}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(
        app.post(
            &format!("/api/v1/courses/{id}/cancel"),
            &c.practitioner,
            json!({})
        )
        .await
        .status,
        409
    );
    assert_eq!(
        app.get("/api/v1/courses?patient_ref=P-2", &c.manager)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Courses go on into maintenance as protocols say (area defaults, overridable, 0 for
/// none), and the forecast counts those sessions.
#[actix_web::test]
async fn courses_go_on_into_maintenance_and_the_forecast_counts_it() {
    let app = spawn_app().await;
    let c = app.clinic("Maintenance").await;
    let ha = app.product(&c.manager, json!({"sku": "HA-M"})).await;
    app.receive(&c.manager, s(&ha["id"]), "L1", &day(300), 50)
        .await;
    let f = cocktail(&app, &c, &ha, "2").await;
    let course = |patient: &str, area: &str, maintenance: Value| {
        let mut body = json!({"patient_ref": patient, "formulation_id": f, "area": area, "start_on": day(0), "sessions": 1});
        if !maintenance.is_null() {
            body["maintenance_every_days"] = maintenance;
        }
        app.post("/api/v1/courses", &c.practitioner, body)
    };
    let face = course("P-1", "face", Value::Null).await;
    assert_eq!(face.status, 201, "{face:?}");
    assert_eq!(
        face.body["maintenance_every_days"], 91,
        "face: every 3 months"
    );
    assert_eq!(face.body["maintenance_from"], day(91));
    let scalp = course("P-2", "scalp", json!(30)).await;
    assert_eq!(scalp.body["maintenance_every_days"], 30);
    let none = course("P-3", "belly", json!(0)).await;
    assert_eq!(none.body["maintenance_every_days"], 0);
    assert!(none.body["maintenance_from"].is_null());
    let belly = app.post("/api/v1/courses", &c.practitioner, json!({"patient_ref": "P-4", "formulation_id": f, "area": "legs", "start_on": day(400)})).await;
    assert_eq!(
        belly.body["maintenance_every_days"], 122,
        "body: every 4 months"
    );
    let scalp_default = app.post("/api/v1/courses", &c.practitioner, json!({"patient_ref": "P-5", "formulation_id": f, "area": "scalp", "start_on": day(400)})).await;
    assert_eq!(
        scalp_default.body["maintenance_every_days"], 183,
        "scalp: a semester"
    );
    let bad = course("P-6", "face", json!(7)).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"][0]["field"], "maintenance_every_days");

    // Within 100 days: face on day 0 and 91; scalp on day 0, 30, 60 and 90; belly on
    // day 0 only. Seven sessions of 2 ml.
    let line = forecast_line(&app, &c, 100, "HA-M").await;
    assert_eq!(line["planned_use"], "14", "{line}");
    // A cancelled course has no maintenance.
    let cancelled = app
        .post(
            &format!("/api/v1/courses/{}/cancel", s(&scalp.body["id"])),
            &c.practitioner,
            json!({}),
        )
        .await;
    assert!(cancelled.body["maintenance_from"].is_null());
    let line = forecast_line(&app, &c, 100, "HA-M").await;
    assert_eq!(line["planned_use"], "6", "{line}");
}

/// A product well above its reorder point that planned courses will use up within the
/// supplier's lead time is suggested; a plentiful one is not. Ordering and receiving
/// the suggestion clears the flags.
#[actix_web::test]
async fn forecast_suggestions_order_and_receive() {
    let app = spawn_app().await;
    let c = app.clinic("Reorder").await;
    let sup = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": "MesoPharma", "lead_time_days": 10}),
        )
        .await;
    let sid = s(&sup.body["id"]).to_string();
    // 3 ml single-use vials; a 2 ml dose takes a whole vial.
    let busy = app.product(&c.manager, json!({"sku": "BUSY", "content": "3", "reorder_point": "3", "reorder_quantity": 5, "supplier_id": sid, "unit_cost": "10.50", "gtin": "09501101020917"})).await;
    let calm = app.product(&c.manager, json!({"sku": "CALM", "content": "3", "reorder_point": "3", "reorder_quantity": 5, "supplier_id": sid})).await;
    app.receive(&c.manager, s(&busy["id"]), "B-1", &day(200), 3)
        .await;
    app.receive(&c.manager, s(&calm["id"]), "C-1", &day(200), 40)
        .await;
    assert!(
        !flags_of(&app, &c, "BUSY").await.contains(&"low".into()),
        "9 ml is well above the reorder point of 3"
    );
    assert!(!flags_of(&app, &c, "BUSY").await.contains(&"reorder".into()));

    // Two face courses: 4 sessions a week apart each, 2 ml per session → 8 vials = 24 ml.
    let fb = cocktail(&app, &c, &busy, "2").await;
    let fc = cocktail(&app, &c, &calm, "2").await;
    for p in ["P-1", "P-2"] {
        app.post(
            "/api/v1/courses",
            &c.practitioner,
            json!({"patient_ref": p, "formulation_id": fb, "area": "face", "start_on": day(1)}),
        )
        .await;
    }
    app.post(
        "/api/v1/courses",
        &c.practitioner,
        json!({"patient_ref": "P-3", "formulation_id": fc, "area": "face", "start_on": day(1)}),
    )
    .await;

    let forecast = app.get("/api/v1/forecast?days=30", &c.manager).await;
    assert_eq!(forecast.status, 200, "{forecast:?}");
    let line = |sku: &str| {
        forecast
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["sku"] == sku)
            .cloned()
            .unwrap()
    };
    assert_eq!(line("BUSY")["planned_use"], "24", "whole single-use vials");
    assert_eq!(line("BUSY")["available"], "9");
    assert_eq!(
        line("BUSY")["stock_out_on"],
        day(8),
        "the second week's sessions cannot be met"
    );
    assert_eq!(line("BUSY")["projected_use"], "24");
    assert!(line("CALM")["stock_out_on"].is_null());
    assert_eq!(
        app.get("/api/v1/forecast?days=0", &c.manager).await.status,
        422
    );
    assert_eq!(
        app.get("/api/v1/forecast", &c.practitioner).await.status,
        403
    );
    assert!(flags_of(&app, &c, "BUSY").await.contains(&"reorder".into()));
    assert!(!flags_of(&app, &c, "CALM").await.contains(&"reorder".into()));

    let sugg = app.get("/api/v1/reorder-suggestions", &c.manager).await;
    assert_eq!(sugg.status, 200);
    let suppliers = sugg.body["suppliers"].as_array().unwrap();
    assert_eq!(suppliers.len(), 1, "{sugg:?}");
    assert_eq!(suppliers[0]["supplier_id"], sid.as_str());
    let lines = suppliers[0]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "only BUSY: {lines:?}");
    assert_eq!(lines[0]["sku"], "BUSY");
    // Lead time 10 + 3 days' margin covers the sessions of days 1 and 8 (12 ml):
    // 12 ml needed + 3 ml reorder point - 9 ml available = 6 ml → 2 vials, but at least 5.
    assert_eq!(lines[0]["containers"], 5);
    assert!(
        s(&lines[0]["reason"]).contains("runs out"),
        "{}",
        lines[0]["reason"]
    );

    let order = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": sid, "from_suggestions": true}),
        )
        .await;
    assert_eq!(order.status, 201, "{order:?}");
    assert_eq!(order.body["status"], "draft");
    assert_eq!(order.body["total"], "52.5", "5 x 10.50, exact");
    let oid = s(&order.body["id"]).to_string();
    let csv_text = app
        .get(&format!("/api/v1/purchase-orders/{oid}.csv"), &c.manager)
        .await
        .text;
    // The order's number, date, clinic and supplier on every row, after the line.
    let head = format!(
        "{oid},{},Reorder,MesoPharma",
        &s(&order.body["created_at"])[..10]
    );
    assert_eq!(csv_text, format!("sku,gtin,name,containers,unit_cost,line_total,order_number,order_date,clinic,supplier\r\nBUSY,09501101020917,Hyaluronic acid 2 ml,5,10.5,52.5,{head}\r\nTOTAL,,,,,52.5,{head}\r\n"));
    assert_eq!(order.body["lines"][0]["sku"], "BUSY");
    assert_eq!(
        order.body["lines"][0]["product_name"],
        "Hyaluronic acid 2 ml"
    );
    // Stock on order counts as coming: no more suggestion, no reorder flag.
    assert_eq!(
        app.get("/api/v1/reorder-suggestions", &c.manager)
            .await
            .body["suppliers"],
        json!([])
    );
    assert!(!flags_of(&app, &c, "BUSY").await.contains(&"reorder".into()));
    assert_eq!(
        app.post(
            &format!("/api/v1/purchase-orders/{oid}/send"),
            &c.manager,
            json!({})
        )
        .await
        .body["status"],
        "sent"
    );

    // Receive by scanning the box: GTIN, expiry and lot from the code.
    let code = "]d20109501101020917172812311ONEW-7\u{1d}".replace("1ONEW", "10NEW");
    let received = app
        .post(
            &format!("/api/v1/purchase-orders/{oid}/receive"),
            &c.manager,
            json!({"lines": [{"code": code, "containers": 3}]}),
        )
        .await;
    assert_eq!(received.status, 200, "{received:?}");
    assert_eq!(received.body["status"], "partially_received");
    let rest = app
        .post(&format!("/api/v1/purchase-orders/{oid}/receive"), &c.manager, json!({"lines": [{"product_id": busy["id"], "lot_number": "NEW-8", "expires_on": day(400), "containers": 2}]}))
        .await;
    assert_eq!(rest.body["status"], "received", "{rest:?}");
    let lot = app.get("/api/v1/lots?lot_number=NEW-7", &c.manager).await;
    assert_eq!(lot.body[0]["expires_on"], "2028-12-31");
    assert_eq!(lot.body[0]["unit_cost"], "10.5");
    assert_eq!(lot.body[0]["on_hand"], "9");
    let flags = flags_of(&app, &c, "BUSY").await;
    assert!(
        !flags.contains(&"reorder".into()) && !flags.contains(&"low".into()),
        "{flags:?}"
    );
    let more = app.post(&format!("/api/v1/purchase-orders/{oid}/receive"), &c.manager, json!({"lines": [{"product_id": busy["id"], "lot_number": "X", "expires_on": day(400), "containers": 1}]})).await;
    assert_eq!(more.status, 409);
    let explicit = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": sid, "lines": [{"product_id": calm["id"], "containers": 0}]}),
        )
        .await;
    assert_eq!(explicit.status, 422);
    let nothing = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": sid, "from_suggestions": true}),
        )
        .await;
    assert_eq!(nothing.status, 409, "{nothing:?}");
}

#[actix_web::test]
async fn low_out_at_risk_and_the_clinic_warning_window() {
    let app = spawn_app().await;
    let c = app.clinic("Flags").await;
    let p = app
        .product(
            &c.manager,
            json!({"sku": "P", "content": "1", "reorder_point": "2"}),
        )
        .await;
    assert!(flags_of(&app, &c, "P").await.contains(&"out".into()));
    app.receive(&c.manager, s(&p["id"]), "SOON", &day(20), 10)
        .await;
    assert_eq!(
        flags_of(&app, &c, "P").await,
        vec!["expiring".to_string(), "at_risk".into()],
        "nothing planned uses the 10 before day 20"
    );
    let patch = app
        .patch(
            &format!("/api/v1/clinics/{}", c.id),
            &c.manager,
            json!({"expiry_warning_days": 10}),
        )
        .await;
    assert_eq!(patch.status, 200, "{patch:?}");
    assert!(!flags_of(&app, &c, "P").await.contains(&"expiring".into()));
    assert_eq!(
        app.patch(
            &format!("/api/v1/clinics/{}", c.id),
            &c.practitioner,
            json!({"expiry_warning_days": 5})
        )
        .await
        .status,
        403
    );
    let other = app.clinic("Other").await;
    assert_eq!(
        app.patch(
            &format!("/api/v1/clinics/{}", c.id),
            &other.manager,
            json!({"expiry_warning_days": 5})
        )
        .await
        .status,
        404
    );
    let alerts = app.get("/api/v1/alerts", &c.manager).await;
    assert_eq!(alerts.status, 200);
    assert_eq!(alerts.body["at_risk"], 1);
    assert_eq!(alerts.body["products"][0]["sku"], "P");
}

#[actix_web::test]
async fn scanning_all_three_forms() {
    let app = spawn_app().await;
    let c = app.clinic("Scan").await;
    let p = app
        .product(&c.manager, json!({"sku": "GS1", "gtin": "09520123456788"}))
        .await;
    let lot = app
        .receive(&c.manager, s(&p["id"]), "ABC1", &day(100), 3)
        .await;
    for code in [
        "https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426".to_string(),
        "(01)09520123456788(17)180426(10)ABC1(21)12345".to_string(),
        "]C10109520123456788171804261 0ABC1\u{1d}2112345".replace("1 0", "10"),
        "0109520123456788171804261 0ABC1\u{1d}2112345\u{1d}".replace("1 0", "10"),
    ] {
        let r = app
            .post("/api/v1/scan", &c.practitioner, json!({ "code": code }))
            .await;
        assert_eq!(r.status, 200, "{code}: {r:?}");
        assert_eq!(r.body["gtin"], "09520123456788");
        assert_eq!(r.body["lot_number"], "ABC1");
        assert_eq!(r.body["serial"], "12345");
        assert_eq!(r.body["expires_on"], "2018-04-26");
        assert_eq!(r.body["product"]["id"], p["id"]);
        assert_eq!(r.body["lot"]["id"], lot["id"]);
    }
    let encoded = app
        .post(
            "/api/v1/scan",
            &c.practitioner,
            json!({"code": "https://example.com/01/09520123456788/10/LOT%2F7"}),
        )
        .await;
    assert_eq!(encoded.body["lot_number"], "LOT/7");
    assert!(encoded.body["lot"].is_null());
    let unknown = app
        .post(
            "/api/v1/scan",
            &c.practitioner,
            json!({"code": "(01)09501101020917(17)250630(10)X"}),
        )
        .await;
    assert_eq!(unknown.status, 200);
    assert!(unknown.body["product"].is_null());
    assert_eq!(unknown.body["expires_on"], "2025-06-30");
    for bad in [
        "]d201095011010209181719050810ABCD1234",
        "17131300",
        "17260230",
        "(89)123",
        "HTTPS://id.gs1.org/01/09520123456788",
        "https://id.gs1.org/01/9520123456788",
        "https://id.gs1.org/01/09520123456788/",
        "10ABCDEFGHIJKLMNOPQRSTU",
    ] {
        let r = app
            .post("/api/v1/scan", &c.practitioner, json!({ "code": bad }))
            .await;
        assert_eq!(r.status, 422, "{bad}: {r:?}");
        assert!(!s(&r.body["errors"][0]["message"]).is_empty());
    }

    // A session item and a delivery can be given by code.
    let by_code = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [],
            "items": [{"code": "(01)09520123456788(10)ABC1", "quantity": "2"}]}),
        )
        .await;
    assert_eq!(by_code.status, 201, "{by_code:?}");
    assert_eq!(by_code.body["usage"][0]["lot_number"], "ABC1");
    let received = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"code": "(01)09520123456788(17)300630(10)NEW1", "containers": 2}),
        )
        .await;
    assert_eq!(received.status, 201, "{received:?}");
    assert_eq!(received.body["lot_number"], "NEW1");
    assert_eq!(received.body["expires_on"], "2030-06-30");
    let mismatch = app
        .post("/api/v1/lots", &c.manager, json!({"code": "(01)09520123456788(17)300630(10)NEW3", "lot_number": "OTHER", "containers": 1}))
        .await;
    assert_eq!(
        mismatch.status, 422,
        "typed fields must agree with the scan: {mismatch:?}"
    );
    assert_eq!(mismatch.body["errors"][0]["field"], "lot_number");
    let no_expiry = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"code": "(01)09520123456788(10)NEW2", "containers": 2}),
        )
        .await;
    assert_eq!(no_expiry.status, 422);
    assert_eq!(no_expiry.body["errors"][0]["field"], "expires_on");
}

/// Forecast figures are what can be used or bought: 50 ml used in the last 30 days is a
/// rate of 1.666667 ml a day, and 30 days of it reads 50, not 50.00001.
#[actix_web::test]
async fn forecast_figures_are_rounded_to_the_unit() {
    let app = spawn_app().await;
    let c = app.clinic("Rounding").await;
    let ml = app
        .product(
            &c.manager,
            json!({"sku": "BULK", "content": "10", "single_use": false}),
        )
        .await;
    app.receive(&c.manager, s(&ml["id"]), "R-1", &day(300), 10)
        .await;
    let used = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": ml["id"], "quantity": "50"}]}),
        )
        .await;
    assert_eq!(used.status, 201, "{used:?}");
    let line = |days: i64| {
        let app = &app;
        let token = c.manager.clone();
        async move {
            app.get(&format!("/api/v1/forecast?days={days}"), &token)
                .await
                .body
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["sku"] == "BULK")
                .cloned()
                .unwrap()
        }
    };
    let month = line(30).await;
    assert_eq!(month["recent_daily_use"], "1.67", "{month}");
    assert_eq!(month["projected_use"], "50", "{month}");
    assert_eq!(month["daily_use"], "1.67", "{month}");
    let week = line(7).await;
    assert_eq!(week["projected_use"], "11.67", "{week}");
}

/// Overdue planned sessions are still expected: each counts today, once per session
/// (the forecast counts them per cocktail and day in SQL).
#[actix_web::test]
async fn overdue_planned_sessions_count_today_each_one() {
    let app = spawn_app().await;
    let c = app.clinic("Overdue").await;
    let ha = app.product(&c.manager, json!({"sku": "LATE"})).await;
    app.receive(&c.manager, s(&ha["id"]), "L1", &day(300), 50)
        .await;
    let f = cocktail(&app, &c, &ha, "2").await;
    // Face courses: 4 sessions a week apart, from 14 days ago: two overdue, one today,
    // one in a week.
    for p in ["P-1", "P-2"] {
        let course = app.post("/api/v1/courses", &c.practitioner, json!({"patient_ref": p, "formulation_id": f, "area": "face", "start_on": day(-14)})).await;
        assert_eq!(course.status, 201, "{course:?}");
    }
    let line = forecast_line(&app, &c, 5, "LATE").await;
    assert_eq!(
        line["planned_use"], "12",
        "six sessions of 2 ml today: {line}"
    );
    assert_eq!(line["stock_out_on"], Value::Null, "{line}");
    let line = forecast_line(&app, &c, 10, "LATE").await;
    assert_eq!(line["planned_use"], "16", "and two more in a week: {line}");
}

/// The stock view keeps the catalogue in memory; a change to a product, even one made
/// in the database by hand, shows on the next request.
#[actix_web::test]
async fn stock_view_follows_catalogue_changes_made_anywhere() {
    let app = spawn_app().await;
    let c = app.clinic("Catalogue").await;
    let ha = app.product(&c.manager, json!({"sku": "KEPT"})).await;
    app.receive(&c.manager, s(&ha["id"]), "K1", &day(300), 5)
        .await;
    assert!(!flags_of(&app, &c, "KEPT").await.contains(&"low".into()));

    // Through the API.
    let renamed = app
        .patch(
            &format!("/api/v1/products/{}", s(&ha["id"])),
            &c.manager,
            json!({"name": "Renamed by API"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{renamed:?}");
    let stock = app.get("/api/v1/stock", &c.manager).await;
    assert_eq!(stock.body[0]["name"], "Renamed by API", "{stock:?}");

    // By hand: a reorder point of 100 ml (stored × 10^6) makes 10 ml low.
    app.db.execute(&format!(
        "UPDATE products SET name = 'Renamed by hand', reorder_point = 100000000 WHERE id = '{}'",
        s(&ha["id"])
    ));
    let stock = app.get("/api/v1/stock", &c.manager).await;
    assert_eq!(stock.body[0]["name"], "Renamed by hand", "{stock:?}");
    assert!(flags_of(&app, &c, "KEPT").await.contains(&"low".into()));
}

/// The views keep the clinic's planned use in memory; a session done, a cocktail edited,
/// a course cancelled or a planned date moved in the database by hand shows on the next
/// request.
#[actix_web::test]
async fn forecast_follows_plan_changes_made_anywhere() {
    let app = spawn_app().await;
    let c = app.clinic("Plan").await;
    let ha = app.product(&c.manager, json!({"sku": "PLAN"})).await;
    app.receive(&c.manager, s(&ha["id"]), "P1", &day(300), 50)
        .await;
    let f = cocktail(&app, &c, &ha, "2").await;
    // Face: 4 sessions a week apart from today, all within 30 days.
    let course = app
        .post(
            "/api/v1/courses",
            &c.practitioner,
            json!({"patient_ref": "P-1", "formulation_id": f, "area": "face", "start_on": day(0)}),
        )
        .await;
    assert_eq!(course.status, 201, "{course:?}");
    assert_eq!(
        forecast_line(&app, &c, 30, "PLAN").await["planned_use"],
        "8"
    );

    // A session done for the course leaves three planned.
    let logged = app.log_session(&c.practitioner, json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [], "formulation_id": f})).await;
    assert_eq!(logged.status, 201, "{logged:?}");
    assert_eq!(
        forecast_line(&app, &c, 30, "PLAN").await["planned_use"],
        "6"
    );

    // A new version of the cocktail: 4 ml a session, two of the 2 ml vials.
    let edited = app
        .request(
            "PUT",
            &format!("/api/v1/formulations/{f}"),
            Some(&c.manager),
            Some(
                json!({"name": "F-PLAN", "method": "injectable", "areas": ["face"],
                        "components": [{"product_id": ha["id"], "amount": "4"}]})
                .to_string(),
            ),
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    assert_eq!(
        forecast_line(&app, &c, 30, "PLAN").await["planned_use"],
        "12"
    );

    // By hand: the last planned session moved past the horizon.
    let moved = app.db.execute(&format!(
        "UPDATE course_sessions SET planned_on = '{}' WHERE course_id = '{}' AND seq = 4",
        day(60),
        s(&course.body["id"])
    ));
    assert_eq!(moved, 1);
    assert_eq!(
        forecast_line(&app, &c, 30, "PLAN").await["planned_use"],
        "8"
    );

    let cancelled = app
        .post(
            &format!("/api/v1/courses/{}/cancel", s(&course.body["id"])),
            &c.practitioner,
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    assert_eq!(
        forecast_line(&app, &c, 30, "PLAN").await["planned_use"],
        "0"
    );
}
