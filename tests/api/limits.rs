//! Issue 15, points 2 and 3: every list and text of a body has a documented limit (a 422
//! naming the field and the limit, and the same numbers in the OpenAPI document), and
//! concurrent identical requests answer as if they had come one after another, never
//! with a constraint or driver message. Both backends.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{day, field_errors, s, spawn_app, Answer, TestApp};

/// No answer quotes the database.
fn no_driver_text(answers: &[Answer]) {
    for a in answers {
        for word in ["constraint", "_key", "duplicate key", "UNIQUE", "violates"] {
            assert!(!a.text.contains(word), "{word:?} leaked: {a:?}");
        }
    }
}

fn count(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

fn refused_for(a: &Answer, field: &str, limit: &str) {
    assert_eq!(a.status, 422, "{a:?}");
    assert_eq!(a.content_type, "application/problem+json");
    assert_eq!(field_errors(a), vec![field.to_string()], "{a:?}");
    assert!(
        a.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(limit),
        "{a:?}"
    );
}

#[actix_web::test]
async fn lists_and_texts_over_their_limit_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let c = app.clinic("Limits").await;
    let p = app.product(&c.manager, json!({})).await;
    let item = json!({"product_id": p["id"], "quantity": "0.1"});

    let many_items = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                   "items": vec![item.clone(); 51]}),
        )
        .await;
    refused_for(&many_items, "items", "at most 50 entries (got 51)");

    let long_code = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                   "items": [item, {"product_id": p["id"], "quantity": "1", "code": "0".repeat(513)}]}),
        )
        .await;
    refused_for(&long_code, "items[1].code", "at most 512 characters");

    // A rule's ingredient was stored at 1 MiB.
    let huge = app
        .post(
            "/api/v1/contraindication-rules",
            &c.manager,
            json!({"ingredient": "a".repeat(1 << 20), "condition": "diabetes", "message": "no"}),
        )
        .await;
    refused_for(&huge, "ingredient", "at most 100 characters (got 1048576)");

    let ingredients = app
        .post(
            "/api/v1/products",
            &c.manager,
            json!({"sku": "MANY", "name": "Many", "kind": "vial", "stock_unit": "ml", "content": "2",
                   "single_use": true, "storage": "room",
                   "ingredients": (0..21).map(|i| format!("i{i}")).collect::<Vec<_>>()}),
        )
        .await;
    refused_for(&ingredients, "ingredients", "at most 20 entries");

    let components = app
        .post(
            "/api/v1/formulations",
            &c.manager,
            json!({"name": "Big", "method": "injectable", "areas": ["face"],
                   "components": vec![json!({"product_id": p["id"], "amount": "1"}); 21]}),
        )
        .await;
    refused_for(&components, "components", "at most 20 entries");

    let sup = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": "S", "lead_time_days": 3}),
        )
        .await;
    let lines = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": sup.body["id"],
                   "lines": vec![json!({"product_id": p["id"], "containers": 1}); 101]}),
        )
        .await;
    refused_for(&lines, "lines", "at most 100 entries");

    let lot = app
        .receive(&c.manager, s(&p["id"]), "LIM-1", &day(200), 1)
        .await;
    let reason = app
        .post(
            &format!("/api/v1/lots/{}/quarantine", s(&lot["id"])),
            &c.manager,
            json!({"reason": "r".repeat(501)}),
        )
        .await;
    refused_for(&reason, "reason", "at most 500 characters");
    let unknown_text = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": lot["id"], "kind": "w".repeat(201), "quantity": "1", "reason": "x"}),
        )
        .await;
    refused_for(&unknown_text, "kind", "at most 200 characters");
    let at_limit = app
        .post(
            &format!("/api/v1/lots/{}/quarantine", s(&lot["id"])),
            &c.manager,
            json!({"reason": "r".repeat(500)}),
        )
        .await;
    assert_eq!(at_limit.status, 200, "{at_limit:?}");
}

#[actix_web::test]
async fn the_openapi_document_states_the_limits() {
    let app = spawn_app().await;
    let doc = app
        .request("GET", "/api/v1/openapi.json", None, None)
        .await
        .body;
    let prop = |schema: &str, field: &str| -> Value {
        doc["components"]["schemas"][schema]["properties"][field].clone()
    };
    assert_eq!(
        prop("SessionInput", "items")["maxItems"],
        50,
        "{}",
        prop("SessionInput", "items")
    );
    assert_eq!(prop("SessionInput", "patient_ref")["maxLength"], 64);
    assert_eq!(prop("SessionInput", "conditions")["items"]["maxLength"], 60);
    assert_eq!(
        prop("ItemInput", "code")["maxLength"],
        512,
        "{}",
        prop("ItemInput", "code")
    );
    assert_eq!(prop("RuleInput", "ingredient")["maxLength"], 100);
    assert_eq!(prop("FormulationInput", "components")["maxItems"], 20);
    assert_eq!(prop("ProductInput", "ingredients")["maxItems"], 20);
    assert_eq!(
        prop("ProductInput", "ingredients")["items"]["maxLength"],
        100
    );
    assert_eq!(prop("OrderInput", "lines")["maxItems"], 100);
    assert_eq!(prop("ReceiveInput", "lot_number")["maxLength"], 20);
    // Answers are not requests: no limits there.
    assert!(prop("Problem", "detail").get("maxLength").is_none());
}

/// A clinic with a product that needs ordering from one supplier.
async fn reorder_setup(app: &TestApp) -> (crate::helpers::Clinic, String) {
    let c = app.clinic("Races").await;
    let sup = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": "MesoPharma", "lead_time_days": 10}),
        )
        .await;
    assert_eq!(sup.status, 201, "{sup:?}");
    let sid = s(&sup.body["id"]).to_string();
    let p = app
        .product(
            &c.manager,
            json!({"supplier_id": sid, "unit_cost": "10.50"}),
        )
        .await;
    app.receive(&c.manager, s(&p["id"]), "LOW-1", &day(400), 1)
        .await;
    (c, sid)
}

#[actix_web::test]
async fn concurrent_identical_requests_answer_as_if_in_turn() {
    const N: usize = 10;
    let app = spawn_app().await;
    let c = app.clinic("Races").await;
    let p = app.product(&c.manager, json!({"content": "2"})).await;

    // The same new lot received ten times at once: one creates it, nine top it up.
    let body = json!({"product_id": p["id"], "lot_number": "RACE-1", "expires_on": day(300), "containers": 1});
    let answers =
        join_all((0..N).map(|_| app.post("/api/v1/lots", &c.manager, body.clone()))).await;
    no_driver_text(&answers);
    assert_eq!(count(&answers, 201), N, "{answers:?}");
    let lots = app.get("/api/v1/lots?lot_number=RACE-1", &c.manager).await;
    assert_eq!(lots.body.as_array().unwrap().len(), 1, "{lots:?}");
    assert_eq!(lots.body[0]["containers"], N as i64, "{lots:?}");
    assert_eq!(lots.body[0]["on_hand"], "20", "{lots:?}");
    let lot_id = s(&lots.body[0]["id"]).to_string();
    let state = app.lot_state(&c.manager, &lot_id).await;
    assert_eq!(state.on_hand, state.ledger_sum);
    assert_eq!(state.movements, N);

    // One lot recalled ten times at once: one recall, nine "already recalled".
    let path = format!("/api/v1/lots/{lot_id}/recall");
    let answers =
        join_all((0..N).map(|_| app.post(&path, &c.manager, json!({"reason": "supplier notice"}))))
            .await;
    no_driver_text(&answers);
    assert_eq!(count(&answers, 200), 1, "{answers:?}");
    for a in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(a.status, 409, "{a:?}");
        assert!(a.text.contains("already recalled"), "{a:?}");
    }
    let cases = app.get("/api/v1/recalls", &c.manager).await;
    assert_eq!(cases.body.as_array().unwrap().len(), 1, "{cases:?}");

    // One cocktail edited ten times at once: ten new versions, 2 to 11.
    let cocktail = json!({"name": "Glow", "method": "injectable", "areas": ["face"],
                          "components": [{"product_id": p["id"], "amount": "1"}]});
    let v1 = app
        .post("/api/v1/formulations", &c.manager, cocktail.clone())
        .await;
    assert_eq!(v1.status, 201, "{v1:?}");
    let fpath = format!("/api/v1/formulations/{}", s(&v1.body["id"]));
    let answers = join_all((0..N).map(|i| {
        let mut edit = cocktail.clone();
        edit["name"] = json!(format!("Glow {i}"));
        app.request("PUT", &fpath, Some(&c.manager), Some(edit.to_string()))
    }))
    .await;
    no_driver_text(&answers);
    assert_eq!(count(&answers, 200), N, "{answers:?}");
    let mut versions: Vec<i64> = answers
        .iter()
        .map(|a| a.body["version"].as_i64().unwrap())
        .collect();
    versions.sort();
    assert_eq!(versions, (2..=(N as i64 + 1)).collect::<Vec<_>>());
    assert_eq!(
        app.get(&fpath, &c.manager).await.body["version"],
        N as i64 + 1
    );
}

#[actix_web::test]
async fn concurrent_orders_from_suggestions_make_one_draft() {
    let app = spawn_app().await;
    let (c, sid) = reorder_setup(&app).await;
    let body = json!({"supplier_id": sid, "from_suggestions": true});
    let answers =
        join_all((0..6).map(|_| app.post("/api/v1/purchase-orders", &c.manager, body.clone())))
            .await;
    no_driver_text(&answers);
    assert_eq!(count(&answers, 201), 1, "{answers:?}");
    let draft = answers.iter().find(|a| a.status == 201).unwrap();
    let draft_id = s(&draft.body["id"]);
    for a in answers.iter().filter(|a| a.status != 201) {
        assert_eq!(a.status, 409, "{a:?}");
        assert_eq!(a.body["order_id"], draft_id, "{a:?}");
        assert!(a.text.contains("already open"), "{a:?}");
    }
    let orders = app.get("/api/v1/purchase-orders", &c.manager).await;
    assert_eq!(orders.body.as_array().unwrap().len(), 1, "{orders:?}");
    // Sent, the draft no longer blocks; the suggestions count its lines as coming.
    let sent = app
        .post(
            &format!("/api/v1/purchase-orders/{draft_id}/send"),
            &c.manager,
            json!({}),
        )
        .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    let again = app.post("/api/v1/purchase-orders", &c.manager, body).await;
    assert_eq!(again.status, 409, "{again:?}");
    assert!(again.text.contains("nothing needs ordering"), "{again:?}");
}
