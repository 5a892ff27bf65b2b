//! Issue 13, point 6: corrections without deletes. Draft orders are edited and unreceived
//! ones cancelled, over-receipts are confirmed, lot numbers and expiries corrected with a
//! reason, products and suppliers archived.

use serde_json::{json, Value};

use crate::helpers::{day, field_errors, s, spawn_app, Clinic, TestApp};

pub(crate) async fn supplier(app: &TestApp, c: &Clinic, name: &str) -> String {
    let sup = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": name, "lead_time_days": 5}),
        )
        .await;
    assert_eq!(sup.status, 201, "{sup:?}");
    s(&sup.body["id"]).to_string()
}

pub(crate) async fn order(app: &TestApp, c: &Clinic, sid: &str, lines: Value) -> String {
    let o = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": sid, "lines": lines}),
        )
        .await;
    assert_eq!(o.status, 201, "{o:?}");
    s(&o.body["id"]).to_string()
}

/// The skus the reorder suggestions list, every supplier together.
async fn suggested(app: &TestApp, c: &Clinic) -> Vec<String> {
    let sugg = app.get("/api/v1/reorder-suggestions", &c.manager).await;
    assert_eq!(sugg.status, 200, "{sugg:?}");
    sugg.body["suppliers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["lines"].as_array().unwrap().clone())
        .map(|l| s(&l["sku"]).to_string())
        .collect()
}

async fn forecast_line(app: &TestApp, c: &Clinic, sku: &str) -> Option<Value> {
    let f = app.get("/api/v1/forecast?days=30", &c.manager).await;
    assert_eq!(f.status, 200, "{f:?}");
    f.body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == sku)
        .cloned()
}

async fn audit(app: &TestApp, c: &Clinic, entity: &str, action: &str) -> Vec<Value> {
    let log = app
        .get(&format!("/api/v1/audit-log?entity={entity}"), &c.auditor)
        .await;
    assert_eq!(log.status, 200, "{log:?}");
    log.body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

#[actix_web::test]
async fn a_cancelled_order_is_no_longer_on_order() {
    let app = spawn_app().await;
    let c = app.clinic("Cancel").await;
    let sid = supplier(&app, &c, "Dermaline").await;
    let p = app
        .product(
            &c.manager,
            json!({"sku": "LOW", "supplier_id": sid, "reorder_point": "4"}),
        )
        .await;
    assert!(suggested(&app, &c).await.contains(&"LOW".to_string()));
    let oid = order(
        &app,
        &c,
        &sid,
        json!([{"product_id": p["id"], "containers": 5}]),
    )
    .await;
    assert!(suggested(&app, &c).await.is_empty(), "on order");
    assert_eq!(
        forecast_line(&app, &c, "LOW").await.unwrap()["incoming"],
        "10"
    );

    let path = format!("/api/v1/purchase-orders/{oid}/cancel");
    let no_reason = app.post(&path, &c.manager, json!({"reason": " "})).await;
    assert_eq!(no_reason.status, 422, "{no_reason:?}");
    assert_eq!(field_errors(&no_reason), vec!["reason"]);
    let practitioner = app
        .post(&path, &c.practitioner, json!({"reason": "x"}))
        .await;
    assert_eq!(practitioner.status, 403);
    let cancelled = app
        .post(
            &path,
            &c.manager,
            json!({"reason": "supplier out of stock"}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["cancel_reason"], "supplier out of stock");
    assert_eq!(suggested(&app, &c).await, vec!["LOW".to_string()]);
    assert_eq!(
        forecast_line(&app, &c, "LOW").await.unwrap()["incoming"],
        "0"
    );
    let again = app.post(&path, &c.manager, json!({"reason": "x"})).await;
    assert_eq!(again.status, 409);
    assert!(s(&again.body["detail"]).contains("cancelled"), "{again:?}");
    let receive = app
        .post(
            &format!("/api/v1/purchase-orders/{oid}/receive"),
            &c.manager,
            json!({"lines": [{"product_id": p["id"], "lot_number": "L1", "expires_on": day(300), "containers": 1}]}),
        )
        .await;
    assert_eq!(receive.status, 409, "{receive:?}");
    let entries = audit(&app, &c, "purchase_order", "cancel").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["changes"]["status"],
        json!(["draft", "cancelled"])
    );

    // Once something was received the order can no longer be cancelled.
    let second = order(
        &app,
        &c,
        &sid,
        json!([{"product_id": p["id"], "containers": 5}]),
    )
    .await;
    let part = app
        .post(
            &format!("/api/v1/purchase-orders/{second}/receive"),
            &c.manager,
            json!({"lines": [{"product_id": p["id"], "lot_number": "L1", "expires_on": day(300), "containers": 1}]}),
        )
        .await;
    assert_eq!(part.body["status"], "partially_received", "{part:?}");
    let refused = app
        .post(
            &format!("/api/v1/purchase-orders/{second}/cancel"),
            &c.manager,
            json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(s(&refused.body["detail"]).contains("partially_received"));
}

#[actix_web::test]
async fn only_a_draft_order_is_edited() {
    let app = spawn_app().await;
    let c = app.clinic("Edit").await;
    let sid = supplier(&app, &c, "Dermaline").await;
    let a = app
        .product(&c.manager, json!({"sku": "A", "unit_cost": "10"}))
        .await;
    let b = app
        .product(&c.manager, json!({"sku": "B", "unit_cost": "2.5"}))
        .await;
    let oid = order(
        &app,
        &c,
        &sid,
        json!([{"product_id": a["id"], "containers": 1}]),
    )
    .await;
    let path = format!("/api/v1/purchase-orders/{oid}");
    let edited = app
        .patch(
            &path,
            &c.manager,
            json!({"lines": [{"product_id": b["id"], "containers": 3}, {"product_id": a["id"], "containers": 2}]}),
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    assert_eq!(edited.body["status"], "draft");
    assert_eq!(edited.body["lines"][0]["sku"], "B");
    assert_eq!(edited.body["lines"][1]["containers"], 2);
    assert_eq!(edited.body["total"], "27.5", "3 x 2.5 + 2 x 10");
    let empty = app.patch(&path, &c.manager, json!({"lines": []})).await;
    assert_eq!(empty.status, 422, "{empty:?}");
    let entries = audit(&app, &c, "purchase_order", "update").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0]["changes"]["lines"].is_array());
    app.post(&format!("{path}/send"), &c.manager, json!({}))
        .await;
    let sent = app
        .patch(
            &path,
            &c.manager,
            json!({"lines": [{"product_id": a["id"], "containers": 9}]}),
        )
        .await;
    assert_eq!(sent.status, 409, "{sent:?}");
    assert!(s(&sent.body["detail"]).contains("sent"));
    assert_eq!(
        app.get(&path, &c.manager).await.body["lines"][1]["containers"],
        2,
        "unchanged"
    );
}

#[actix_web::test]
async fn receiving_more_than_ordered_needs_a_confirmation() {
    let app = spawn_app().await;
    let c = app.clinic("Over").await;
    let sid = supplier(&app, &c, "Dermaline").await;
    let p = app.product(&c.manager, json!({"sku": "P"})).await;
    let oid = order(
        &app,
        &c,
        &sid,
        json!([{"product_id": p["id"], "containers": 2}]),
    )
    .await;
    let path = format!("/api/v1/purchase-orders/{oid}/receive");
    let line = |n: i64| json!({"product_id": p["id"], "lot_number": "OV-1", "expires_on": day(300), "containers": n});
    let over = app
        .post(&path, &c.manager, json!({"lines": [line(3)]}))
        .await;
    assert_eq!(over.status, 409, "{over:?}");
    assert_eq!(over.body["type"], "/problems/over-receipt");
    assert!(s(&over.body["detail"]).contains("3 received of 2 ordered"));
    // Two lines of one receipt count together.
    let split = app
        .post(&path, &c.manager, json!({"lines": [line(1), line(2)]}))
        .await;
    assert_eq!(split.status, 409, "{split:?}");
    let lots = app.get("/api/v1/lots?lot_number=OV-1", &c.manager).await;
    assert_eq!(lots.body, json!([]), "nothing was received");
    let confirmed = app
        .post(
            &path,
            &c.manager,
            json!({"lines": [line(3)], "confirm_over_receipt": true}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{confirmed:?}");
    assert_eq!(confirmed.body["status"], "received");
    assert_eq!(confirmed.body["lines"][0]["received_containers"], 3);
}

#[actix_web::test]
async fn a_manager_corrects_a_lot_number_and_expiry_with_a_reason() {
    let app = spawn_app().await;
    let c = app.clinic("Correct").await;
    let p = app.product(&c.manager, json!({"sku": "LOTS"})).await;
    let pid = s(&p["id"]);
    let first = app.receive(&c.manager, pid, "L-1", &day(200), 2).await;
    app.receive(&c.manager, pid, "L-2", &day(300), 1).await;
    let path = format!("/api/v1/lots/{}", s(&first["id"]));

    let no_reason = app
        .patch(&path, &c.manager, json!({"lot_number": "L-1B"}))
        .await;
    assert_eq!(no_reason.status, 422, "{no_reason:?}");
    assert_eq!(field_errors(&no_reason), vec!["reason"]);
    let practitioner = app
        .patch(
            &path,
            &c.practitioner,
            json!({"lot_number": "L-1B", "reason": "typo"}),
        )
        .await;
    assert_eq!(practitioner.status, 403);
    let bad = app
        .patch(
            &path,
            &c.manager,
            json!({"lot_number": "L 1", "reason": "typo"}),
        )
        .await;
    assert_eq!(field_errors(&bad), vec!["lot_number"], "{bad:?}");
    let nothing = app
        .patch(&path, &c.manager, json!({"reason": "typo"}))
        .await;
    assert_eq!(nothing.status, 422, "{nothing:?}");
    let clash = app
        .patch(
            &path,
            &c.manager,
            json!({"lot_number": "L-2", "reason": "typo"}),
        )
        .await;
    assert_eq!(clash.status, 409, "{clash:?}");
    assert!(s(&clash.body["detail"]).contains("L-2"));

    let fixed = app
        .patch(
            &path,
            &c.manager,
            json!({"lot_number": "L-1B", "expires_on": day(100), "reason": "label misread"}),
        )
        .await;
    assert_eq!(fixed.status, 200, "{fixed:?}");
    assert_eq!(fixed.body["lot_number"], "L-1B");
    assert_eq!(fixed.body["expires_on"], day(100));
    assert_eq!(fixed.body["on_hand"], "4");
    let read = app.get(&path, &c.practitioner).await;
    assert_eq!(read.body["lot_number"], "L-1B");
    let state = app.lot_state(&c.manager, s(&first["id"])).await;
    assert_eq!(state.movements, 1, "the lot keeps its receipt");
    assert_eq!(state.on_hand, state.ledger_sum);
    // The stock view's next expiry follows the corrected date.
    let stock = app.get("/api/v1/stock", &c.manager).await;
    let line = stock
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == "LOTS")
        .cloned()
        .unwrap();
    assert_eq!(line["next_expiry"], day(100), "{line}");
    let entries = audit(&app, &c, "lot", "correct").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let changes = &entries[0]["changes"];
    assert_eq!(changes["lot_number"], json!(["L-1", "L-1B"]));
    assert_eq!(changes["expires_on"], json!([day(200), day(100)]));
    assert_eq!(changes["reason"], json!([null, "label misread"]));
    // One lot, one expiry still holds for the corrected number.
    let other_expiry = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"product_id": pid, "lot_number": "L-1B", "expires_on": day(200), "containers": 1}),
        )
        .await;
    assert_eq!(other_expiry.status, 409, "{other_expiry:?}");
    // A recalled lot stays as it was recalled.
    let recalled = s(&fixed.body["id"]);
    app.post(
        &format!("/api/v1/lots/{recalled}/recall"),
        &c.manager,
        json!({"reason": "supplier notice"}),
    )
    .await;
    let late = app
        .patch(
            &path,
            &c.manager,
            json!({"expires_on": day(90), "reason": "x"}),
        )
        .await;
    assert_eq!(late.status, 409, "{late:?}");
    assert!(s(&late.body["detail"]).contains("recall"));
}

#[actix_web::test]
async fn archived_products_and_suppliers_leave_lists_pickers_and_suggestions() {
    let app = spawn_app().await;
    let c = app.clinic("Archive").await;
    let sid = supplier(&app, &c, "Old supplier").await;
    let p = app
        .product(
            &c.manager,
            json!({"sku": "OLD", "supplier_id": sid, "reorder_point": "4"}),
        )
        .await;
    let pid = s(&p["id"]).to_string();
    app.receive(&c.manager, &pid, "KEEP", &day(200), 1).await;
    assert!(suggested(&app, &c).await.contains(&"OLD".to_string()));
    let path = format!("/api/v1/products/{pid}");
    let practitioner = app
        .patch(&path, &c.practitioner, json!({"archived": true}))
        .await;
    assert_eq!(practitioner.status, 403);
    let archived = app
        .patch(&path, &c.manager, json!({"archived": true}))
        .await;
    assert_eq!(archived.status, 200, "{archived:?}");
    assert_eq!(archived.body["archived"], true);

    let skus = |a: &crate::helpers::Answer| -> Vec<String> {
        a.body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| s(&p["sku"]).to_string())
            .collect()
    };
    assert!(skus(&app.get("/api/v1/products", &c.practitioner).await).is_empty());
    assert_eq!(
        skus(
            &app.get("/api/v1/products?archived=true", &c.practitioner)
                .await
        ),
        vec!["OLD"]
    );
    assert_eq!(app.get(&path, &c.auditor).await.body["archived"], true);
    assert!(suggested(&app, &c).await.is_empty());
    assert!(forecast_line(&app, &c, "OLD").await.is_none());
    let stock = app.get("/api/v1/stock", &c.manager).await;
    assert_eq!(skus(&stock), vec!["OLD"], "its stock is still shown");

    let receive = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"product_id": pid, "lot_number": "NEW", "expires_on": day(300), "containers": 1}),
        )
        .await;
    assert_eq!(receive.status, 409, "{receive:?}");
    assert_eq!(receive.body["type"], "/problems/archived");
    let ordered = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": sid, "lines": [{"product_id": pid, "containers": 1}]}),
        )
        .await;
    assert_eq!(field_errors(&ordered), vec!["lines[0].product_id"]);
    // Existing stock can still be used up.
    let used = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": pid, "quantity": "1"}]}),
        )
        .await;
    assert_eq!(used.status, 201, "{used:?}");

    let spath = format!("/api/v1/suppliers/{sid}");
    let gone = app
        .patch(&spath, &c.manager, json!({"archived": true}))
        .await;
    assert_eq!(gone.body["archived"], true, "{gone:?}");
    assert_eq!(
        app.get("/api/v1/suppliers", &c.manager).await.body,
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/suppliers?archived=true", &c.manager)
            .await
            .body[0]["id"],
        sid.as_str()
    );
    assert_eq!(app.get(&spath, &c.auditor).await.body["archived"], true);
    let other = app.product(&c.manager, json!({"sku": "NEW"})).await;
    let refused = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": sid, "lines": [{"product_id": other["id"], "containers": 1}]}),
        )
        .await;
    assert_eq!(field_errors(&refused), vec!["supplier_id"], "{refused:?}");

    let back = app
        .patch(&path, &c.manager, json!({"archived": false}))
        .await;
    assert_eq!(back.body["archived"], false);
    assert_eq!(
        skus(&app.get("/api/v1/products", &c.practitioner).await),
        vec!["NEW", "OLD"]
    );
    let log = audit(&app, &c, "product", "update").await;
    assert!(
        log.iter()
            .any(|e| e["changes"]["archived"] == json!([false, true])),
        "{log:?}"
    );
}

#[actix_web::test]
async fn a_manager_corrects_cancels_edits_and_archives_from_the_pages() {
    use crate::accounts::{get_page, member, sign_in, PASSWORD};
    use crate::ui_manager::post_page;
    let app = spawn_app().await;
    let c = app.clinic("Pages").await;
    member(&app, &c.manager, &c.id, "manager", "mia@pages.example").await;
    let cookie = sign_in(&app, "mia@pages.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let sid = supplier(&app, &c, "Dermaline").await;
    let p = app.product(&c.manager, json!({"sku": "PG"})).await;
    let pid = s(&p["id"]).to_string();
    let lot = app.receive(&c.manager, &pid, "PG-1", &day(200), 1).await;

    // The lot: a correction with the reason next to its field when missing.
    let path = format!("/lots/{}", s(&lot["id"]));
    let page = get_page(&app, &path, &cookie).await;
    let csrf = page.csrf_token();
    assert!(
        page.text.contains("Correct number or expiry"),
        "{}",
        page.text
    );
    let expiry = day(150);
    let missing = post_page(
        &app,
        &cookie,
        &format!("{path}/correct"),
        &[
            ("csrf_token", &csrf),
            ("lot_number", "PG-1B"),
            ("expires_on", &expiry),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(missing.status, 422, "{missing:?}");
    assert!(missing.text.contains("id=\"correct_reason-error\""));
    let fixed = post_page(
        &app,
        &cookie,
        &format!("{path}/correct"),
        &[
            ("csrf_token", &csrf),
            ("lot_number", "PG-1B"),
            ("expires_on", &expiry),
            ("reason", "typo"),
        ],
    )
    .await;
    assert_eq!(fixed.status, 303, "{fixed:?}");
    let lot = app
        .get(&format!("/api/v1/lots/{}", s(&lot["id"])), &c.manager)
        .await;
    assert_eq!(lot.body["lot_number"], "PG-1B");
    assert_eq!(lot.body["expires_on"], expiry);

    // A draft order: edited, then cancelled.
    let oid = order(
        &app,
        &c,
        &sid,
        json!([{"product_id": pid, "containers": 1}]),
    )
    .await;
    let opath = format!("/purchase-orders/{oid}");
    let page = get_page(&app, &opath, &cookie).await;
    assert!(page.text.contains("Change the draft") && page.text.contains("Cancel the order"));
    let edited = post_page(
        &app,
        &cookie,
        &format!("{opath}/edit"),
        &[
            ("csrf_token", &csrf),
            ("product_id", &pid),
            ("containers", "4"),
        ],
    )
    .await;
    assert_eq!(edited.status, 303, "{edited:?}");
    let api = app.get(&format!("/api/v1{opath}"), &c.manager).await;
    assert_eq!(api.body["lines"][0]["containers"], 4);
    let no_reason = post_page(
        &app,
        &cookie,
        &format!("{opath}/cancel"),
        &[("csrf_token", &csrf), ("reason", "")],
    )
    .await;
    assert_eq!(no_reason.status, 422, "{no_reason:?}");
    let cancelled = post_page(
        &app,
        &cookie,
        &format!("{opath}/cancel"),
        &[("csrf_token", &csrf), ("reason", "ordered twice")],
    )
    .await;
    assert_eq!(cancelled.status, 303, "{cancelled:?}");
    let page = get_page(&app, &opath, &cookie).await;
    assert!(
        page.text.contains("cancelled: ordered twice"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("Cancel the order"));
    let home = get_page(&app, "/", &cookie).await;
    assert!(
        home.text.contains("No open purchase order."),
        "a cancelled order is not open: {}",
        home.text
    );

    // The product: archived, then back.
    let ppath = format!("/products/{pid}");
    let archived = post_page(
        &app,
        &cookie,
        &format!("{ppath}/archive"),
        &[("csrf_token", &csrf), ("archived", "true")],
    )
    .await;
    assert_eq!(archived.status, 303, "{archived:?}");
    assert_eq!(
        app.get(&format!("/api/v1{ppath}"), &c.manager).await.body["archived"],
        true
    );
    let page = get_page(&app, &ppath, &cookie).await;
    assert!(page.text.contains("(archived)") && page.text.contains("Bring back into use"));
    post_page(
        &app,
        &cookie,
        &format!("{ppath}/archive"),
        &[("csrf_token", &csrf), ("archived", "false")],
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/v1{ppath}"), &c.manager).await.body["archived"],
        false
    );
}

#[actix_web::test]
async fn the_order_page_receives_extra_containers_only_when_ticked() {
    use crate::accounts::{get_page, member, sign_in, PASSWORD};
    use crate::ui_manager::post_page;
    let app = spawn_app().await;
    let c = app.clinic("Extra").await;
    member(&app, &c.manager, &c.id, "manager", "max@extra.example").await;
    let cookie = sign_in(&app, "max@extra.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let sid = supplier(&app, &c, "Dermaline").await;
    let p = app
        .product(&c.manager, json!({"sku": "EX", "gtin": "09520123456795"}))
        .await;
    let oid = order(
        &app,
        &c,
        &sid,
        json!([{"product_id": p["id"], "containers": 1}]),
    )
    .await;
    let path = format!("/purchase-orders/{oid}/receive");
    let csrf = get_page(&app, &format!("/purchase-orders/{oid}"), &cookie)
        .await
        .csrf_token();
    let form = |confirm: bool| {
        let mut f = vec![
            ("csrf_token", csrf.as_str()),
            ("code", "(01)09520123456795(17)301231(10)EX-1"),
            ("containers", "2"),
            ("action", "commit"),
        ];
        if confirm {
            f.push(("confirm_over_receipt", "yes"));
        }
        f
    };
    let refused = post_page(&app, &cookie, &path, &form(false)).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(
        refused.text.contains("confirm_over_receipt"),
        "{}",
        refused.text
    );
    assert!(app
        .get("/api/v1/lots?lot_number=EX-1", &c.manager)
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    let received = post_page(&app, &cookie, &path, &form(true)).await;
    assert_eq!(received.status, 303, "{received:?}");
    let api = app
        .get(&format!("/api/v1/purchase-orders/{oid}"), &c.manager)
        .await;
    assert_eq!(api.body["lines"][0]["received_containers"], 2);
}

#[actix_web::test]
async fn the_session_form_offers_an_archived_product_only_while_it_has_stock() {
    use crate::accounts::{get_page, member, sign_in, PASSWORD};
    let app = spawn_app().await;
    let c = app.clinic("Form").await;
    member(&app, &c.manager, &c.id, "practitioner", "pia@form.example").await;
    let cookie = sign_in(&app, "pia@form.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let stocked = app.product(&c.manager, json!({"sku": "ARCH-STOCK"})).await;
    let empty = app.product(&c.manager, json!({"sku": "ARCH-EMPTY"})).await;
    app.receive(&c.manager, s(&stocked["id"]), "AS-1", &day(100), 1)
        .await;
    for p in [&stocked, &empty] {
        let a = app
            .patch(
                &format!("/api/v1/products/{}", s(&p["id"])),
                &c.manager,
                json!({"archived": true}),
            )
            .await;
        assert_eq!(a.status, 200, "{a:?}");
    }
    let form = get_page(&app, "/sessions/new", &cookie).await;
    assert_eq!(form.status, 200, "{form:?}");
    assert!(
        form.text.contains("(ARCH-STOCK)"),
        "its stock can be used up"
    );
    assert!(!form.text.contains("(ARCH-EMPTY)"), "nothing left to use");
}
