//! Cocktails, screening and treatment sessions: FEFO, vial use, blocks, atomicity
//! (invariant 2), blocked lots (3), idempotency (4), voids and the no-oversell race.

use futures_util::future::join_all;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::{day, field_errors, s, spawn_app, start_instance, Clinic, TestApp};

async fn lot_state(app: &TestApp, c: &Clinic, lot_id: &str) -> (Decimal, Decimal, usize) {
    let l = app.lot_state(&c.manager, lot_id).await;
    (l.on_hand, l.ledger_sum, l.movements)
}

fn session(product_id: &Value, quantity: &str) -> Value {
    json!({"patient_ref": "PAT-1", "area": "face", "method": "injectable", "conditions": [], "items": [{"product_id": product_id, "quantity": quantity}]})
}

#[actix_web::test]
async fn formulations_are_versioned_and_validated() {
    let app = spawn_app().await;
    let c = app.clinic("Cocktails").await;
    let ha = app.product(&c.manager, json!({"sku": "HA"})).await;
    let needle = app
        .product(
            &c.manager,
            json!({"sku": "N32", "kind": "needle", "stock_unit": "piece", "content": "100"}),
        )
        .await;
    let body = json!({"name": "Face glow", "method": "injectable", "areas": ["face", "neck"],
                      "components": [{"product_id": ha["id"], "amount": "2"}, {"product_id": needle["id"], "amount": "1"}]});
    let v1 = app
        .post("/api/v1/formulations", &c.manager, body.clone())
        .await;
    assert_eq!(v1.status, 201, "{v1:?}");
    assert_eq!(v1.body["version"], 1);
    let id = s(&v1.body["id"]).to_string();
    let mut changed = body.clone();
    changed["components"][0]["amount"] = json!("2.5");
    let v2 = app
        .request(
            "PUT",
            &format!("/api/v1/formulations/{id}"),
            Some(&c.manager),
            Some(changed.to_string()),
        )
        .await;
    assert_eq!(v2.status, 200, "{v2:?}");
    assert_eq!(v2.body["version"], 2);
    let old = app
        .get(
            &format!("/api/v1/formulations/{id}?version=1"),
            &c.practitioner,
        )
        .await;
    assert_eq!(
        old.body["components"][0]["amount"], "2",
        "version 1 never changes"
    );
    let current = app
        .get(&format!("/api/v1/formulations/{id}"), &c.practitioner)
        .await;
    assert_eq!(current.body["components"][0]["amount"], "2.5");
    assert_eq!(current.body["latest_version"], 2);
    assert_eq!(
        app.get(&format!("/api/v1/formulations/{id}?version=9"), &c.manager)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/api/v1/formulations", &c.auditor)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let bad = app
        .post("/api/v1/formulations", &c.manager, json!({"name": "X", "method": "laser", "areas": ["knee"],
            "components": [{"product_id": "nope", "amount": "1"}, {"product_id": needle["id"], "amount": "0.5"}]}))
        .await;
    assert_eq!(bad.status, 422, "{bad:?}");
    let fields = field_errors(&bad);
    assert_eq!(fields, vec!["method", "areas[0]"]);
    let bad_products = app
        .post("/api/v1/formulations", &c.manager, json!({"name": "X", "method": "roller", "areas": ["scalp"],
            "components": [{"product_id": "nope", "amount": "1"}, {"product_id": needle["id"], "amount": "0.5"}]}))
        .await;
    let fields = field_errors(&bad_products);
    assert_eq!(
        fields,
        vec!["components[0].product_id", "components[1].amount"],
        "{bad_products:?}"
    );
    assert_eq!(
        app.post("/api/v1/formulations", &c.practitioner, body)
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn screening_with_builtin_and_clinic_rules() {
    let app = spawn_app().await;
    let c = app.clinic("Screening").await;
    let silicon = app.product(&c.manager, json!({"sku": "SIL", "kind": "ampoule", "content": "5", "ingredients": ["Organic Silicon"]})).await;
    let ha = app.product(&c.manager, json!({"sku": "HA"})).await;
    let f = app
        .post("/api/v1/formulations", &c.manager, json!({"name": "Body", "method": "injectable", "areas": ["belly"],
            "components": [{"product_id": silicon["id"], "amount": "5"}, {"product_id": ha["id"], "amount": "2"}]}))
        .await;
    let check = format!("/api/v1/formulations/{}/check", s(&f.body["id"]));
    let clear = app
        .post(&check, &c.practitioner, json!({"conditions": []}))
        .await;
    assert_eq!(clear.body, json!({"ok": true, "contraindications": []}));
    let diabetic = app
        .post(&check, &c.practitioner, json!({"conditions": ["diabetes"]}))
        .await;
    assert_eq!(diabetic.status, 200);
    assert_eq!(diabetic.body["ok"], false);
    assert_eq!(
        diabetic.body["contraindications"][0]["ingredient"],
        "organic silicon"
    );
    assert_eq!(
        diabetic.body["contraindications"][0]["condition"],
        "diabetes"
    );
    let flu = app
        .post(
            &check,
            &c.practitioner,
            json!({"conditions": ["acute illness"]}),
        )
        .await;
    assert_eq!(flu.body["contraindications"][0]["ingredient"], "any");
    let unknown = app
        .post(&check, &c.practitioner, json!({"conditions": ["gout"]}))
        .await;
    assert_eq!(unknown.status, 422);
    let msg = unknown.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("gout") && msg.contains("kidney_disease"),
        "lists the known ones: {msg}"
    );
    assert_eq!(
        app.post(&check, &c.auditor, json!({"conditions": []}))
            .await
            .status,
        403
    );

    // A clinic rule: hyaluronic acid allergy.
    let rule = app
        .post("/api/v1/contraindication-rules", &c.manager, json!({"ingredient": "Hyaluronic Acid", "condition": "hyaluronic_acid_allergy", "message": "known allergy to HA"}))
        .await;
    assert_eq!(rule.status, 201, "{rule:?}");
    let allergic = app
        .post(
            &check,
            &c.practitioner,
            json!({"conditions": ["hyaluronic_acid_allergy"]}),
        )
        .await;
    assert_eq!(
        allergic.body["contraindications"][0]["message"],
        "known allergy to HA"
    );
    let off = app
        .patch(
            &format!("/api/v1/contraindication-rules/{}", s(&rule.body["id"])),
            &c.manager,
            json!({"active": false}),
        )
        .await;
    assert_eq!(off.status, 200);
    let log = app.get("/api/v1/audit-log?entity=rule", &c.auditor).await;
    let actions: Vec<&str> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["action"]))
        .collect();
    assert_eq!(actions, vec!["create", "update"], "one entry per change");
    let listed = app
        .get("/api/v1/contraindication-rules", &c.practitioner)
        .await;
    assert!(listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["builtin"] == true && r["ingredient"] == "organic silicon"));
    assert!(listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["builtin"] == false && r["active"] == false));
    assert_eq!(
        app.post(
            "/api/v1/contraindication-rules",
            &c.practitioner,
            json!({"condition": "x", "message": "y"})
        )
        .await
        .status,
        403
    );
}

#[actix_web::test]
async fn session_from_formulation_uses_fefo_and_moves_stock() {
    let app = spawn_app().await;
    let c = app.clinic("FEFO").await;
    let ha = app
        .product(&c.manager, json!({"sku": "HA", "content": "2"}))
        .await;
    let pid = s(&ha["id"]);
    let expired = app.receive(&c.manager, pid, "EXPIRED", &day(-2), 5).await;
    let held = app.receive(&c.manager, pid, "HELD", &day(5), 5).await;
    let soon = app.receive(&c.manager, pid, "SOON", &day(30), 1).await;
    let later = app.receive(&c.manager, pid, "LATER", &day(300), 5).await;
    app.post(
        &format!("/api/v1/lots/{}/quarantine", s(&held["id"])),
        &c.manager,
        json!({"reason": "cold chain broken"}),
    )
    .await;
    let f = app
        .post("/api/v1/formulations", &c.manager, json!({"name": "HA 3 ml", "method": "injectable", "areas": ["face"], "components": [{"product_id": pid, "amount": "3"}]}))
        .await;
    let logged = app
        .log_session(&c.practitioner, json!({"patient_ref": "P-7", "area": "face", "method": "injectable", "conditions": [], "formulation_id": f.body["id"]}))
        .await;
    assert_eq!(logged.status, 201, "{logged:?}");
    let usage = logged.body["usage"].as_array().unwrap();
    let used: Vec<(&str, &str, &str)> = usage
        .iter()
        .map(|u| (s(&u["lot_number"]), s(&u["quantity"]), s(&u["wasted"])))
        .collect();
    // 3 ml from 2 ml single-use vials: the SOON vial whole, then one LATER vial, 1 ml of it wasted.
    assert_eq!(used, vec![("SOON", "2", "0"), ("LATER", "1", "1")]);
    assert_eq!(logged.body["formulation_version"], 1);
    assert_eq!(logged.body["lines"][0]["planned"], "3");
    assert_eq!(logged.body["lines"][0]["actual"], "3");
    assert_eq!(lot_state(&app, &c, s(&soon["id"])).await.0, Decimal::ZERO);
    let (on_hand, sum, _) = lot_state(&app, &c, s(&later["id"])).await;
    assert_eq!((on_hand, sum), (Decimal::from(8), Decimal::from(8)));
    assert_eq!(
        lot_state(&app, &c, s(&expired["id"])).await.0,
        Decimal::from(10),
        "expired lot untouched"
    );
    assert_eq!(
        lot_state(&app, &c, s(&held["id"])).await.0,
        Decimal::from(10),
        "quarantined lot untouched"
    );
    let by_session = app
        .get(
            &format!("/api/v1/movements?session_id={}", s(&logged.body["id"])),
            &c.auditor,
        )
        .await;
    let kinds: Vec<&str> = by_session
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| s(&m["kind"]))
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "consume").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "waste").count(), 1);
    let read = app
        .get(
            &format!("/api/v1/sessions/{}", s(&logged.body["id"])),
            &c.auditor,
        )
        .await;
    assert_eq!(read.body["usage"], logged.body["usage"]);
    let listed = app
        .get("/api/v1/sessions?patient_ref=P-7", &c.practitioner)
        .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/api/v1/sessions?patient_ref=P-8", &c.practitioner)
            .await
            .body,
        json!([])
    );
}

#[actix_web::test]
async fn single_use_leftover_is_wasted_in_the_same_session() {
    let app = spawn_app().await;
    let c = app.clinic("Waste").await;
    let vial = app.product(&c.manager, json!({"content": "3"})).await;
    let lot = app
        .receive(&c.manager, s(&vial["id"]), "V3", &day(100), 2)
        .await;
    let logged = app
        .log_session(&c.practitioner, session(&vial["id"], "2"))
        .await;
    assert_eq!(logged.status, 201, "{logged:?}");
    assert_eq!(logged.body["usage"][0]["quantity"], "2");
    assert_eq!(logged.body["usage"][0]["wasted"], "1");
    let (on_hand, sum, n) = lot_state(&app, &c, s(&lot["id"])).await;
    assert_eq!(
        (on_hand, sum, n),
        (Decimal::from(3), Decimal::from(3), 3),
        "3 ml moved: 2 consumed, 1 wasted"
    );
    // Decimals come back normalised: 2.5 - 0.5 is "2", not "2.0".
    let small = app.product(&c.manager, json!({"content": "2.5"})).await;
    app.receive(&c.manager, s(&small["id"]), "S25", &day(100), 1)
        .await;
    let r = app
        .log_session(&c.practitioner, session(&small["id"], "0.5"))
        .await;
    assert_eq!(
        (
            s(&r.body["usage"][0]["quantity"]),
            s(&r.body["usage"][0]["wasted"])
        ),
        ("0.5", "2")
    );
}

#[actix_web::test]
async fn multi_dose_vial_is_reused_exactly_and_discarded_after_its_beyond_use_time() {
    let app = spawn_app().await;
    let c = app.clinic("Multi").await;
    let vial = app
        .product(
            &c.manager,
            json!({"content": "10", "single_use": false, "beyond_use_days": 2}),
        )
        .await;
    // Received before the back-dated session below, which uses it.
    let lot = app
        .receive_days_ago(&c.manager, s(&vial["id"]), "MD-1", &day(200), 2, 4)
        .await;
    let lid = s(&lot["id"]).to_string();
    for q in ["0.1", "0.2"] {
        let r = app
            .log_session(&c.practitioner, session(&vial["id"], q))
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        assert_eq!(r.body["usage"][0]["wasted"], "0");
    }
    let (on_hand, sum, _) = lot_state(&app, &c, &lid).await;
    assert_eq!(on_hand.to_string(), "19.7");
    assert_eq!(sum, on_hand);
    // The open vial holds exactly 9.7 ml: 9.7 more fit without opening the second vial.
    let r = app
        .log_session(&c.practitioner, session(&vial["id"], "9.7"))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(lot_state(&app, &c, &lid).await.0, Decimal::from(10));

    // A vial punctured 3 days ago with 2 beyond-use days: its rest is wasted on next use.
    let old = json!({"patient_ref": "PAT-2", "area": "face", "method": "injectable", "conditions": [],
        "performed_at": (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339(),
        "items": [{"product_id": vial["id"], "quantity": "1"}]});
    let r = app.log_session(&c.practitioner, old).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(lot_state(&app, &c, &lid).await.0, Decimal::from(9));
    let r = app
        .log_session(&c.practitioner, session(&vial["id"], "1"))
        .await;
    assert_eq!(
        r.status, 409,
        "the stale vial's 9 ml are swept and nothing sealed is left: {r:?}"
    );
    assert!(s(&r.body["detail"]).contains("not enough"));
    assert_eq!(
        lot_state(&app, &c, &lid).await.0,
        Decimal::from(9),
        "a refused session sweeps nothing either"
    );
    let more = app
        .receive(&c.manager, s(&vial["id"]), "MD-2", &day(300), 1)
        .await;
    let r = app
        .log_session(&c.practitioner, session(&vial["id"], "1"))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["usage"][0]["lot_number"], "MD-2");
    let (on_hand, sum, _) = lot_state(&app, &c, &lid).await;
    assert_eq!(
        (on_hand, sum),
        (Decimal::ZERO, Decimal::ZERO),
        "the stale vial was wasted"
    );
    let wasted = app
        .get(&format!("/api/v1/movements?lot_id={lid}"), &c.manager)
        .await;
    assert!(wasted.text.contains("beyond-use"), "{}", wasted.text);
    assert_eq!(
        lot_state(&app, &c, s(&more["id"])).await.0,
        Decimal::from(9)
    );
}

#[actix_web::test]
async fn blocked_lots_and_shortages_refuse_the_whole_session() {
    let app = spawn_app().await;
    let c = app.clinic("Blocks").await;
    let ha = app.product(&c.manager, json!({"sku": "HA"})).await;
    let needle = app
        .product(
            &c.manager,
            json!({"sku": "N", "kind": "needle", "stock_unit": "piece", "content": "10"}),
        )
        .await;
    let needles = app
        .receive(&c.manager, s(&needle["id"]), "N-1", &day(300), 1)
        .await;
    let recalled = app
        .receive(&c.manager, s(&ha["id"]), "BAD-LOT", &day(100), 2)
        .await;
    let expired = app
        .receive(&c.manager, s(&ha["id"]), "OLD-LOT", &day(-1), 2)
        .await;
    app.post(
        &format!("/api/v1/lots/{}/recall", s(&recalled["id"])),
        &c.manager,
        json!({"reason": "notice"}),
    )
    .await;
    let before = lot_state(&app, &c, s(&needles["id"])).await;

    for (lot, reason) in [(&recalled, "recalled"), (&expired, "expired")] {
        let body = json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [], "items": [
            {"product_id": needle["id"], "quantity": "2"},
            {"product_id": ha["id"], "quantity": "1", "lot_id": lot["id"]}]});
        let r = app.log_session(&c.practitioner, body).await;
        assert_eq!(r.status, 409, "{r:?}");
        assert_eq!(r.body["type"], "/problems/lot-blocked");
        let detail = s(&r.body["detail"]);
        assert!(
            detail.contains(s(&lot["lot_number"])) && detail.contains(reason),
            "{detail}"
        );
    }
    // FEFO finds nothing usable: the refusal names the lots passed over and why.
    let r = app
        .log_session(&c.practitioner, session(&ha["id"], "1"))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["type"], "/problems/not-enough-stock");
    assert!(
        s(&r.body["detail"]).contains("BAD-LOT") && s(&r.body["detail"]).contains("recalled"),
        "{r:?}"
    );
    let r = app
        .log_session(&c.practitioner, session(&needle["id"], "11"))
        .await;
    assert_eq!(r.status, 409);
    // Nothing of any refused session was written.
    assert_eq!(lot_state(&app, &c, s(&needles["id"])).await, before);
    assert_eq!(
        app.get("/api/v1/sessions", &c.manager).await.body,
        json!([])
    );
}

#[actix_web::test]
async fn contraindications_refuse_unless_overridden() {
    let app = spawn_app().await;
    let c = app.clinic("Override").await;
    let silicon = app.product(&c.manager, json!({"sku": "SIL", "kind": "ampoule", "content": "5", "ingredients": ["organic silicon"]})).await;
    let lot = app
        .receive(&c.manager, s(&silicon["id"]), "S-1", &day(100), 3)
        .await;
    let mut body = json!({"patient_ref": "P-9", "area": "belly", "method": "injectable", "conditions": ["diabetes", "lactation"],
                          "items": [{"product_id": silicon["id"], "quantity": "5"}]});
    let refused = app.log_session(&c.practitioner, body.clone()).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert_eq!(refused.body["type"], "/problems/contraindicated");
    assert_eq!(
        refused.body["contraindications"].as_array().unwrap().len(),
        2
    );
    assert!(s(&refused.body["detail"]).contains("diabetes"));
    assert_eq!(
        lot_state(&app, &c, s(&lot["id"])).await.0,
        Decimal::from(15)
    );
    body["override_reason"] = json!("endocrinologist approved, letter on file");
    let ok = app.log_session(&c.practitioner, body).await;
    assert_eq!(ok.status, 201, "{ok:?}");
    assert_eq!(
        ok.body["override_reason"],
        "endocrinologist approved, letter on file"
    );
    assert_eq!(ok.body["conditions"], json!(["diabetes", "lactation"]));
    assert_eq!(ok.body["contraindications"].as_array().unwrap().len(), 2);
    let read = app
        .get(
            &format!("/api/v1/sessions/{}", s(&ok.body["id"])),
            &c.auditor,
        )
        .await;
    assert_eq!(read.body["override_reason"], ok.body["override_reason"]);
}

#[actix_web::test]
async fn idempotent_retry_records_nothing_twice() {
    let app = spawn_app().await;
    let c = app.clinic("Idem").await;
    let vial = app.product(&c.manager, json!({})).await;
    let lot = app
        .receive(&c.manager, s(&vial["id"]), "I-1", &day(100), 5)
        .await;
    let body = session(&vial["id"], "2").to_string();
    let send = |key: &'static str, body: String| {
        let app = &app;
        let token = c.practitioner.clone();
        async move {
            let mut req = app.client.post(format!("{}/api/v1/sessions", app.address));
            req = req
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Idempotency-Key", key));
            let mut res = req
                .insert_header(("Content-Type", "application/json"))
                .send_body(body)
                .await
                .unwrap();
            let bytes = res.body().await.unwrap();
            (
                res.status().as_u16(),
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    let first = send("retry-1", body.clone()).await;
    assert_eq!(first.0, 201);
    // The same body with other whitespace and key order is the same request.
    let reordered =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&body).unwrap()).unwrap();
    let again = join_all((0..3).map(|_| send("retry-1", reordered.clone()))).await;
    for a in &again {
        assert_eq!(a.0, 201);
        assert_eq!(a.1["id"], first.1["id"]);
    }
    assert_eq!(lot_state(&app, &c, s(&lot["id"])).await.0, Decimal::from(8));
    assert_eq!(
        app.get("/api/v1/sessions", &c.manager)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let other = send("retry-1", session(&vial["id"], "4").to_string()).await;
    assert_eq!(other.0, 409);
    assert_eq!(other.1["type"], "/problems/idempotency-key-reused");
    let fresh = send("retry-2", body).await;
    assert_eq!(fresh.0, 201);
    assert_ne!(fresh.1["id"], first.1["id"]);
}

#[actix_web::test]
async fn void_reverses_movements_without_deleting_them() {
    let app = spawn_app().await;
    let c = app.clinic("Void").await;
    let vial = app.product(&c.manager, json!({"content": "3"})).await;
    let lot = app
        .receive(&c.manager, s(&vial["id"]), "VO-1", &day(100), 2)
        .await;
    let lid = s(&lot["id"]).to_string();
    let logged = app
        .log_session(&c.practitioner, session(&vial["id"], "2"))
        .await;
    let sid = s(&logged.body["id"]).to_string();
    assert_eq!(lot_state(&app, &c, &lid).await.0, Decimal::from(3));
    assert_eq!(
        app.post(
            &format!("/api/v1/sessions/{sid}/void"),
            &c.practitioner,
            json!({"reason": "wrong patient"})
        )
        .await
        .status,
        403
    );
    let voided = app
        .post(
            &format!("/api/v1/sessions/{sid}/void"),
            &c.manager,
            json!({"reason": "wrong patient"}),
        )
        .await;
    assert_eq!(voided.status, 200, "{voided:?}");
    assert_eq!(voided.body["status"], "voided");
    assert_eq!(voided.body["void_reason"], "wrong patient");
    let (on_hand, sum, n) = lot_state(&app, &c, &lid).await;
    assert_eq!(
        (on_hand, sum, n),
        (Decimal::from(6), Decimal::from(6), 5),
        "receive, consume, waste and two reversals"
    );
    let ledger = app
        .get(&format!("/api/v1/movements?session_id={sid}"), &c.manager)
        .await;
    let reversals: Vec<&Value> = ledger
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "reversal")
        .collect();
    assert_eq!(reversals.len(), 2);
    assert!(reversals.iter().all(|r| !r["reverses_id"].is_null()));
    assert_eq!(
        app.post(
            &format!("/api/v1/sessions/{sid}/void"),
            &c.manager,
            json!({"reason": "again"})
        )
        .await
        .status,
        409
    );
    assert_eq!(
        app.get(&format!("/api/v1/sessions/{sid}"), &c.auditor)
            .await
            .body["status"],
        "voided"
    );
}

#[actix_web::test]
async fn variance_planned_against_actual() {
    let app = spawn_app().await;
    let c = app.clinic("Variance").await;
    let ha = app
        .product(
            &c.manager,
            json!({"sku": "HA", "content": "10", "single_use": false}),
        )
        .await;
    let needle = app
        .product(
            &c.manager,
            json!({"sku": "N", "kind": "needle", "stock_unit": "piece", "content": "100"}),
        )
        .await;
    let roller = app
        .product(
            &c.manager,
            json!({"sku": "R", "kind": "roller", "stock_unit": "piece", "content": null}),
        )
        .await;
    for (p, n) in [(&ha, "H"), (&needle, "N"), (&roller, "R")] {
        app.receive(&c.manager, s(&p["id"]), n, &day(100), 3).await;
    }
    let f = app
        .post("/api/v1/formulations", &c.manager, json!({"name": "F", "method": "injectable", "areas": ["face"],
            "components": [{"product_id": ha["id"], "amount": "2"}, {"product_id": needle["id"], "amount": "2"}]}))
        .await;
    let r = app
        .log_session(&c.practitioner, json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [], "formulation_id": f.body["id"],
            "items": [{"product_id": ha["id"], "quantity": "2.5"}, {"product_id": roller["id"], "quantity": "1"}]}))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let lines: Vec<(String, Option<String>, String)> = r.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                s(&l["product_id"]).to_string(),
                l["planned"].as_str().map(String::from),
                s(&l["actual"]).to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            (s(&ha["id"]).to_string(), Some("2".into()), "2.5".into()),
            // Items override their product's component; the others stay as planned.
            (s(&needle["id"]).to_string(), Some("2".into()), "2".into()),
            (s(&roller["id"]).to_string(), Some("0".into()), "1".into()),
        ]
    );
    let wrong_method = app
        .log_session(&c.practitioner, json!({"patient_ref": "P", "area": "face", "method": "roller", "conditions": [], "formulation_id": f.body["id"]}))
        .await;
    assert_eq!(wrong_method.status, 422);
}

#[actix_web::test]
async fn bad_session_requests_are_422_naming_the_field() {
    let app = spawn_app().await;
    let c = app.clinic("Bad sessions").await;
    let vial = app.product(&c.manager, json!({})).await;
    let other = app.product(&c.manager, json!({})).await;
    let other_lot = app
        .receive(&c.manager, s(&other["id"]), "O", &day(10), 1)
        .await;
    let item = json!([{"product_id": vial["id"], "quantity": "1"}]);
    let cases = [
        (
            json!({"patient_ref": " ", "area": "face", "method": "injectable", "conditions": [], "items": item}),
            "patient_ref",
        ),
        (
            json!({"patient_ref": "P", "area": "knee", "method": "injectable", "conditions": [], "items": item}),
            "area",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "laser", "conditions": [], "items": item}),
            "method",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": []}),
            "items",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [], "items": []}),
            "items",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "items": item, "conditions": ["gout"]}),
            "conditions",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [], "items": item, "performed_at": "2999-01-01T00:00:00Z"}),
            "performed_at",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [], "items": item, "performed_at": "yesterday"}),
            "performed_at",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [], "items": [{"product_id": vial["id"], "quantity": "0"}]}),
            "items[0].quantity",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [], "items": [{"product_id": vial["id"], "quantity": "1", "lot_id": other_lot["id"]}]}),
            "items[0].lot_id",
        ),
        (
            json!({"patient_ref": "P", "area": "face", "method": "injectable", "conditions": [], "formulation_id": "nope"}),
            "formulation_id",
        ),
    ];
    for (body, field) in cases {
        let r = app.log_session(&c.practitioner, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {r:?}");
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {r:?}");
    }
    assert_eq!(
        app.log_session(&c.auditor, session(&vial["id"], "1"))
            .await
            .status,
        403
    );
}

/// 40 concurrent sessions for 15 needles on two instances of one database: exactly 15
/// are logged and 25 refused; the lot ends at zero and its ledger sums to zero.
#[actix_web::test]
async fn forty_concurrent_sessions_for_fifteen_units() {
    let app = spawn_app().await;
    let second = start_instance(app.db.url());
    let c = app.clinic("Race").await;
    let needle = app
        .product(
            &c.manager,
            json!({"kind": "needle", "stock_unit": "piece", "content": "15"}),
        )
        .await;
    let lot = app
        .receive(&c.manager, s(&needle["id"]), "RACE", &day(100), 1)
        .await;
    let body = session(&needle["id"], "1").to_string();
    let answers = join_all((0..40).map(|i| {
        let address = if i % 2 == 0 {
            app.address.clone()
        } else {
            second.clone()
        };
        let (app, token, body) = (&app, c.practitioner.clone(), body.clone());
        async move {
            app.request_to(
                &address,
                "POST",
                "/api/v1/sessions",
                Some(&token),
                Some(body),
            )
            .await
        }
    }))
    .await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers.iter().filter(|a| a.status == 409).count();
    assert_eq!(
        (created, refused),
        (15, 25),
        "{:?}",
        answers.iter().find(|a| a.status != 201 && a.status != 409)
    );
    let (on_hand, sum, n) = lot_state(&app, &c, s(&lot["id"])).await;
    assert_eq!((on_hand, sum, n), (Decimal::ZERO, Decimal::ZERO, 16));
    assert_eq!(
        app.get("/api/v1/sessions", &c.manager)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        15
    );
}

#[actix_web::test]
async fn recall_and_trace_list_the_affected_sessions() {
    let app = spawn_app().await;
    let c = app.clinic("Recall").await;
    let vial = app.product(&c.manager, json!({})).await;
    let lot = app
        .receive(&c.manager, s(&vial["id"]), "RC-1", &day(100), 5)
        .await;
    let other = app.clinic("Elsewhere").await;
    let mut ids = Vec::new();
    for patient in ["PAT-A", "PAT-B"] {
        let mut b = session(&vial["id"], "1");
        b["patient_ref"] = json!(patient);
        ids.push(s(&app.log_session(&c.practitioner, b).await.body["id"]).to_string());
    }
    let trace = app
        .get(&format!("/api/v1/lots/{}/trace", s(&lot["id"])), &c.auditor)
        .await;
    assert_eq!(trace.status, 200, "{trace:?}");
    let patients: Vec<&str> = trace.body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| s(&t["patient_ref"]))
        .collect();
    assert_eq!(patients, vec!["PAT-A", "PAT-B"]);
    assert_eq!(trace.body["sessions"][0]["quantity"], "1");
    assert_eq!(
        app.get(
            &format!("/api/v1/lots/{}/trace", s(&lot["id"])),
            &c.practitioner
        )
        .await
        .status,
        403
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/lots/{}/trace", s(&lot["id"])),
            &other.auditor
        )
        .await
        .status,
        404
    );
    let recall = app
        .post(
            &format!("/api/v1/lots/{}/recall", s(&lot["id"])),
            &c.manager,
            json!({"reason": "sterility"}),
        )
        .await;
    assert_eq!(recall.status, 200);
    let affected: Vec<&str> = recall.body["affected_sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| s(&t["session_id"]))
        .collect();
    assert_eq!(affected, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let blocked = app
        .log_session(&c.practitioner, session(&vial["id"], "1"))
        .await;
    assert_eq!(blocked.status, 409);
}

/// Sessions screen against the clinic's rules as they are now, though each session takes
/// its products and rules from the catalogue kept in memory (`db::catalogue`): a rule
/// added, or turned off, counts from the next session on.
#[actix_web::test]
async fn a_rule_changed_between_sessions_counts_from_the_next_one() {
    let app = spawn_app().await;
    let c = app.clinic("Rules between sessions").await;
    let ha = app.product(&c.manager, json!({"sku": "HA-R"})).await;
    app.receive(&c.manager, s(&ha["id"]), "R1", &day(300), 10)
        .await;
    let session = |conditions: Value| {
        json!({"patient_ref": "P-1", "area": "face", "method": "injectable",
            "conditions": conditions, "items": [{"product_id": ha["id"], "quantity": "2"}]})
    };
    let first = app.log_session(&c.practitioner, session(json!([]))).await;
    assert_eq!(first.status, 201, "{first:?}");

    let rule = app
        .post("/api/v1/contraindication-rules", &c.manager, json!({"ingredient": "Hyaluronic Acid", "condition": "hyaluronic_acid_allergy", "message": "known allergy to HA"}))
        .await;
    assert_eq!(rule.status, 201, "{rule:?}");
    let refused = app
        .log_session(&c.practitioner, session(json!(["hyaluronic_acid_allergy"])))
        .await;
    assert_eq!(refused.status, 409, "the new rule applies: {refused:?}");
    assert_eq!(
        refused.body["contraindications"][0]["message"],
        "known allergy to HA"
    );

    let off = app
        .patch(
            &format!("/api/v1/contraindication-rules/{}", s(&rule.body["id"])),
            &c.manager,
            json!({"active": false}),
        )
        .await;
    assert_eq!(off.status, 200, "{off:?}");
    let logged = app
        .log_session(&c.practitioner, session(json!(["hyaluronic_acid_allergy"])))
        .await;
    assert_eq!(logged.status, 201, "the rule is off: {logged:?}");
}
