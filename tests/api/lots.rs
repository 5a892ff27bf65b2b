//! Receiving, lot status and the stock view's flags.

use serde_json::json;

use crate::helpers::{day, spawn_app};

#[actix_web::test]
async fn receiving_counts_stock_in_the_stock_unit() {
    let app = spawn_app().await;
    let c = app.clinic("Receive").await;
    let vial = app
        .product(&c.manager, json!({"content": "2.5", "unit_cost": "9.90"}))
        .await;
    let lot = app
        .receive(
            &c.manager,
            vial["id"].as_str().unwrap(),
            "HA-25",
            &day(200),
            4,
        )
        .await;
    assert_eq!(lot["on_hand"], "10", "4 vials x 2.5 ml");
    assert_eq!(lot["received_quantity"], "10");
    assert_eq!(lot["unit_cost"], "9.9", "defaults to the product's cost");
    assert_eq!(lot["status"], "available");
    assert_eq!(lot["usable"], true);
    let needles = app
        .product(
            &c.manager,
            json!({"kind": "needle", "stock_unit": "piece", "content": "100"}),
        )
        .await;
    let box_lot = app
        .receive(
            &c.manager,
            needles["id"].as_str().unwrap(),
            "N-1",
            &day(900),
            3,
        )
        .await;
    assert_eq!(box_lot["on_hand"], "300", "3 boxes of 100 needles");
    let cost = app
        .post("/api/v1/lots", &c.manager, json!({"product_id": needles["id"], "lot_number": "N-2", "expires_on": day(800), "containers": 1, "unit_cost": "12.345"}))
        .await;
    assert_eq!(cost.body["unit_cost"], "12.345");
    // The same lot number with another expiry is a different physical lot: refused.
    let clash = app
        .post("/api/v1/lots", &c.manager, json!({"product_id": vial["id"], "lot_number": "HA-25", "expires_on": day(201), "containers": 1}))
        .await;
    assert_eq!(clash.status, 409, "{clash:?}");
    assert!(clash.body["detail"].as_str().unwrap().contains("HA-25"));
    let movements = app
        .get(
            &format!("/api/v1/movements?lot_id={}", lot["id"].as_str().unwrap()),
            &c.auditor,
        )
        .await;
    assert_eq!(movements.body.as_array().unwrap().len(), 1);
    assert_eq!(movements.body[0]["kind"], "receive");
    assert_eq!(movements.body[0]["quantity"], "10");
    assert!(movements.body[0]["actor"]
        .as_str()
        .unwrap()
        .contains("manager"));
    assert!(movements.body[0]["created_at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
}

#[actix_web::test]
async fn expired_stock_can_be_received_but_is_never_available() {
    let app = spawn_app().await;
    let c = app.clinic("Expired").await;
    let p = app.product(&c.manager, json!({"reorder_point": "0"})).await;
    let pid = p["id"].as_str().unwrap();
    let old = app.receive(&c.manager, pid, "OLD", &day(-1), 2).await;
    assert_eq!(old["expired"], true);
    assert_eq!(old["usable"], false);
    assert!(old["blocked_reason"].as_str().unwrap().contains("expired"));
    let today = app.receive(&c.manager, pid, "TODAY", &day(0), 1).await;
    assert_eq!(
        today["usable"], true,
        "a lot may be used on its expiry date"
    );
    let stock = app.get("/api/v1/stock", &c.manager).await;
    let line = &stock.body[0];
    assert_eq!(line["on_hand"], "6");
    assert_eq!(line["available"], "2");
    let flags = line["flags"].as_array().unwrap();
    assert!(
        flags.contains(&json!("expired_stock")) && flags.contains(&json!("expiring")),
        "{line}"
    );
    let expired = app.get("/api/v1/lots?status=expired", &c.manager).await;
    assert_eq!(expired.body.as_array().unwrap().len(), 1);
    assert_eq!(expired.body[0]["lot_number"], "OLD");
    // Recording the waste clears the flag.
    let w = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": old["id"], "kind": "waste", "quantity": "4", "reason": "expired"}),
        )
        .await;
    assert_eq!(w.status, 201);
    let flags = app.get("/api/v1/stock", &c.manager).await.body[0]["flags"].clone();
    assert!(
        !flags.as_array().unwrap().contains(&json!("expired_stock")),
        "{flags}"
    );
}

#[actix_web::test]
async fn quarantine_release_and_final_recall() {
    let app = spawn_app().await;
    let c = app.clinic("Status").await;
    let p = app.product(&c.manager, json!({"reorder_point": "1"})).await;
    let lot = app
        .receive(&c.manager, p["id"].as_str().unwrap(), "Q-1", &day(100), 3)
        .await;
    let lid = lot["id"].as_str().unwrap();
    let path = |action: &str| format!("/api/v1/lots/{lid}/{action}");

    let q = app
        .post(
            &path("quarantine"),
            &c.manager,
            json!({"reason": "cloudy solution"}),
        )
        .await;
    assert_eq!(q.status, 200, "{q:?}");
    assert_eq!(q.body["status"], "quarantined");
    assert_eq!(q.body["status_reason"], "cloudy solution");
    assert_eq!(q.body["usable"], false);
    assert_eq!(
        app.get("/api/v1/stock", &c.manager).await.body[0]["available"],
        "0"
    );
    let flags = app.get("/api/v1/stock", &c.manager).await.body[0]["flags"].clone();
    assert_eq!(
        flags,
        json!(["low", "out", "reorder"]),
        "low stock is to be reordered"
    );
    assert_eq!(
        app.post(&path("quarantine"), &c.manager, json!({"reason": "again"}))
            .await
            .status,
        409
    );

    let r = app
        .post(
            &path("release"),
            &c.manager,
            json!({"reason": "supplier confirmed"}),
        )
        .await;
    assert_eq!(r.body["status"], "available");
    assert_eq!(
        app.get("/api/v1/stock", &c.manager).await.body[0]["available"],
        "6"
    );

    let recall = app
        .post(
            &path("recall"),
            &c.manager,
            json!({"reason": "manufacturer notice 2026-11"}),
        )
        .await;
    assert_eq!(recall.status, 200, "{recall:?}");
    assert_eq!(recall.body["status"], "recalled");
    assert_eq!(recall.body["affected_sessions"], json!([]));
    assert_eq!(
        app.get("/api/v1/stock", &c.manager).await.body[0]["available"],
        "0"
    );
    let again = app
        .post(&path("release"), &c.manager, json!({"reason": "oops"}))
        .await;
    assert_eq!(again.status, 409, "a recall is final");
    assert!(again.body["detail"].as_str().unwrap().contains("Q-1"));
    let recalled = app.get("/api/v1/lots?status=recalled", &c.auditor).await;
    assert_eq!(recalled.body.as_array().unwrap().len(), 1);
    // Receiving more of a recalled lot is refused.
    let more = app.post("/api/v1/lots", &c.manager, json!({"product_id": p["id"], "lot_number": "Q-1", "expires_on": day(100), "containers": 1})).await;
    assert_eq!(more.status, 409);
}

#[actix_web::test]
async fn lot_filters_and_stock_flags() {
    let app = spawn_app().await;
    let c = app.clinic("Flags").await;
    let plenty = app
        .product(&c.manager, json!({"sku": "A-PLENTY", "reorder_point": "4"}))
        .await;
    let low = app
        .product(&c.manager, json!({"sku": "B-LOW", "reorder_point": "4"}))
        .await;
    let out = app
        .product(&c.manager, json!({"sku": "C-OUT", "reorder_point": "0"}))
        .await;
    app.receive(
        &c.manager,
        plenty["id"].as_str().unwrap(),
        "P-1",
        &day(200),
        5,
    )
    .await;
    app.receive(&c.manager, low["id"].as_str().unwrap(), "L-1", &day(10), 2)
        .await;
    let _ = out;
    let stock = app.get("/api/v1/stock", &c.practitioner).await;
    let by_sku = |sku: &str| {
        stock
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["sku"] == sku)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_sku("A-PLENTY")["flags"], json!([]));
    assert_eq!(
        by_sku("B-LOW")["flags"],
        json!(["low", "expiring", "reorder", "at_risk"]),
        "4 ml available at reorder point 4, expiring in 10 days"
    );
    assert_eq!(by_sku("C-OUT")["flags"], json!(["low", "out", "reorder"]));
    assert_eq!(by_sku("A-PLENTY")["available"], "10");
    let expiring = app
        .get("/api/v1/lots?expiring_within_days=30", &c.practitioner)
        .await;
    let numbers: Vec<_> = expiring
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lot_number"].clone())
        .collect();
    assert_eq!(numbers, vec![json!("L-1")]);
    let by_product = app
        .get(
            &format!("/api/v1/lots?product_id={}", plenty["id"].as_str().unwrap()),
            &c.practitioner,
        )
        .await;
    assert_eq!(by_product.body.as_array().unwrap().len(), 1);
    let usable = app.get("/api/v1/lots?status=usable", &c.practitioner).await;
    assert_eq!(usable.body.as_array().unwrap().len(), 2);
}

/// Issue 13, point 4: recalled stock on the shelf has its own flag, and one audited step
/// wastes every expired and recalled unit of the clinic, saying what it wasted.
#[actix_web::test]
async fn recalled_stock_is_flagged_and_unusable_stock_wasted_in_one_step() {
    let app = spawn_app().await;
    let c = app.clinic("Shelf").await;
    let ha = app.product(&c.manager, json!({"sku": "HA-W"})).await;
    let pid = ha["id"].as_str().unwrap();
    let good = app.receive(&c.manager, pid, "GOOD", &day(120), 2).await;
    let old = app.receive(&c.manager, pid, "OLD", &day(-3), 1).await;
    let bad = app.receive(&c.manager, pid, "BAD", &day(200), 3).await;
    let held = app.receive(&c.manager, pid, "HELD", &day(90), 1).await;
    let r = app
        .post(
            &format!("/api/v1/lots/{}/recall", bad["id"].as_str().unwrap()),
            &c.manager,
            json!({"reason": "supplier notice"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let q = app
        .post(
            &format!("/api/v1/lots/{}/quarantine", held["id"].as_str().unwrap()),
            &c.manager,
            json!({"reason": "box damaged"}),
        )
        .await;
    assert_eq!(q.status, 200, "{q:?}");

    let stock = app.get("/api/v1/stock", &c.manager).await;
    let line = stock.body.as_array().unwrap()[0].clone();
    assert_eq!(line["recalled_on_hand"], "6", "{line}");
    assert_eq!(line["expired_on_hand"], "2", "{line}");
    let flags: Vec<&str> = line["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(flags.contains(&"recalled_stock"), "{flags:?}");
    assert!(flags.contains(&"expired_stock"), "{flags:?}");
    let alerts = app.get("/api/v1/alerts", &c.manager).await;
    assert_eq!(alerts.body["recalled_stock"], 1, "{alerts:?}");

    // Practitioners and auditors may not; a reason is required.
    let denied = app
        .post(
            "/api/v1/lots/waste-unusable",
            &c.practitioner,
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(denied.status, 403, "{denied:?}");
    let no_reason = app
        .post(
            "/api/v1/lots/waste-unusable",
            &c.manager,
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(no_reason.status, 422, "{no_reason:?}");

    let w = app
        .post(
            "/api/v1/lots/waste-unusable",
            &c.manager,
            json!({"reason": "monthly shelf check"}),
        )
        .await;
    assert_eq!(w.status, 200, "{w:?}");
    let mut wasted: Vec<(String, String, String)> = w.body["wasted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["lot_number"].as_str().unwrap().to_string(),
                l["quantity"].as_str().unwrap().to_string(),
                l["why"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    wasted.sort();
    assert_eq!(
        wasted,
        vec![
            ("BAD".to_string(), "6".to_string(), "recalled".to_string()),
            ("OLD".to_string(), "2".to_string(), "expired".to_string()),
        ]
    );
    for (lot, left) in [(&good, "4"), (&old, "0"), (&bad, "0"), (&held, "2")] {
        let l = app
            .get(
                &format!("/api/v1/lots/{}", lot["id"].as_str().unwrap()),
                &c.manager,
            )
            .await;
        assert_eq!(l.body["on_hand"], left, "{l:?}");
    }
    let m = app
        .get(
            &format!("/api/v1/movements?lot_id={}", old["id"].as_str().unwrap()),
            &c.manager,
        )
        .await;
    let kinds: Vec<&str> = m
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["receive", "waste"]);
    let line = app.get("/api/v1/stock", &c.manager).await.body[0].clone();
    assert_eq!(line["recalled_on_hand"], "0", "{line}");
    assert!(
        !line["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "recalled_stock" || f == "expired_stock"),
        "{line}"
    );
    let audit = app.get("/api/v1/audit-log", &c.auditor).await;
    assert!(
        audit.text.contains("waste_unusable") && audit.text.contains("monthly shelf check"),
        "{audit:?}"
    );

    // Nothing left: an empty answer, nothing written.
    let again = app
        .post(
            "/api/v1/lots/waste-unusable",
            &c.manager,
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.body["wasted"], json!([]));
}

/// Lots, traces and cocktail components name their product (SKU and name) next to its id:
/// people forward these answers, and an id alone means nothing to them.
#[actix_web::test]
async fn forwarded_views_name_their_products() {
    let app = spawn_app().await;
    let c = app.clinic("Names").await;
    let p = app
        .product(
            &c.manager,
            json!({"sku": "HA-NAMED", "name": "Hyaluronic acid, 2 ml", "gtin": "09501101020917"}),
        )
        .await;
    let lot = app
        .receive(&c.manager, p["id"].as_str().unwrap(), "N-1", &day(200), 2)
        .await;
    let named = |v: &serde_json::Value, what: &str| {
        assert_eq!(v["product_id"], p["id"], "{what}: {v}");
        assert_eq!(v["sku"], "HA-NAMED", "{what}: {v}");
        assert_eq!(v["product_name"], "Hyaluronic acid, 2 ml", "{what}: {v}");
    };
    named(&lot, "POST /lots");
    let id = lot["id"].as_str().unwrap();
    named(
        &app.get(&format!("/api/v1/lots/{id}"), &c.manager)
            .await
            .body,
        "GET /lots/{id}",
    );
    named(
        &app.get("/api/v1/lots", &c.manager).await.body[0],
        "GET /lots",
    );
    named(
        &app.get("/api/v1/trace?lot_number=N-1", &c.auditor)
            .await
            .body[0]["lot"],
        "GET /trace",
    );
    named(
        &app.get(&format!("/api/v1/lots/{id}/trace"), &c.auditor)
            .await
            .body["lot"],
        "GET /lots/{id}/trace",
    );
    named(
        &app.post(
            "/api/v1/scan",
            &c.practitioner,
            json!({"code": "(01)09501101020917(10)N-1"}),
        )
        .await
        .body["lot"],
        "POST /scan",
    );
    named(
        &app.post(
            &format!("/api/v1/lots/{id}/quarantine"),
            &c.manager,
            json!({"reason": "check"}),
        )
        .await
        .body,
        "quarantine",
    );
    named(
        &app.post(
            &format!("/api/v1/lots/{id}/recall"),
            &c.manager,
            json!({"reason": "supplier notice"}),
        )
        .await
        .body,
        "recall",
    );
    let f = app
        .post("/api/v1/formulations", &c.manager, json!({"name": "Glow", "method": "injectable", "areas": ["face"], "components": [{"product_id": p["id"], "amount": "2"}]}))
        .await;
    assert_eq!(f.status, 201, "{f:?}");
    named(&f.body["components"][0], "POST /formulations");
    let fid = f.body["id"].as_str().unwrap();
    named(
        &app.get(&format!("/api/v1/formulations/{fid}"), &c.manager)
            .await
            .body["components"][0],
        "GET /formulations/{id}",
    );
}
