//! Invariants 1 and 6: on hand is the sum of the ledger, never negative (also under
//! concurrent requests on several instances), and decimals are exact end to end.

use futures_util::future::join_all;
use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::{day, spawn_app, start_instance, TestApp};

async fn ledger_sum(app: &TestApp, token: &str, lot_id: &str) -> (Decimal, usize) {
    let l = app.lot_state(token, lot_id).await;
    (l.ledger_sum, l.movements)
}

async fn on_hand(app: &TestApp, token: &str, lot_id: &str) -> Decimal {
    app.lot_state(token, lot_id).await.on_hand
}

#[actix_web::test]
async fn twelve_ml_minus_point_one_minus_point_two_is_exactly_eleven_point_seven() {
    let app = spawn_app().await;
    let c = app.clinic("Exact").await;
    let p = app
        .product(&c.manager, json!({"content": "12", "single_use": false}))
        .await;
    let lot = app
        .receive(&c.manager, p["id"].as_str().unwrap(), "X12", &day(60), 1)
        .await;
    let lid = lot["id"].as_str().unwrap();
    assert_eq!(lot["on_hand"], "12");
    for q in ["0.1", "0.2"] {
        let w = app
            .post(
                "/api/v1/movements",
                &c.manager,
                json!({"lot_id": lid, "kind": "waste", "quantity": q, "reason": "spill"}),
            )
            .await;
        assert_eq!(w.status, 201, "{w:?}");
        assert_eq!(w.body["quantity"], format!("-{q}"));
    }
    assert_eq!(
        app.get(&format!("/api/v1/lots/{lid}"), &c.manager)
            .await
            .body["on_hand"],
        "11.7"
    );
    let (sum, n) = ledger_sum(&app, &c.auditor, lid).await;
    assert_eq!(sum.to_string(), "11.7");
    assert_eq!(n, 3);
    let stock = app.get("/api/v1/stock", &c.practitioner).await;
    assert_eq!(stock.body[0]["on_hand"], "11.7");
    assert_eq!(stock.body[0]["available"], "11.7");
}

#[actix_web::test]
async fn on_hand_is_the_sum_of_the_ledger_and_never_negative() {
    let app = spawn_app().await;
    let c = app.clinic("Ledger").await;
    let p = app.product(&c.manager, json!({"content": "5"})).await;
    let pid = p["id"].as_str().unwrap();
    let lot = app.receive(&c.manager, pid, "L-5", &day(60), 2).await;
    let lid = lot["id"].as_str().unwrap();
    // A second box of the same lot tops it up.
    let again = app.receive(&c.manager, pid, "L-5", &day(60), 1).await;
    assert_eq!(again["id"], lot["id"]);
    assert_eq!(again["on_hand"], "15");
    assert_eq!(again["containers"], 3);

    let steps = [
        ("waste", "2.5", 201),
        ("adjust", "-0.75", 201),
        ("adjust", "1.25", 201),
        ("waste", "100", 409),
        ("adjust", "-13.01", 409),
    ];
    for (kind, q, status) in steps {
        let before = ledger_sum(&app, &c.manager, lid).await;
        let a = app
            .post(
                "/api/v1/movements",
                &c.manager,
                json!({"lot_id": lid, "kind": kind, "quantity": q, "reason": "count"}),
            )
            .await;
        assert_eq!(a.status, status, "{kind} {q}: {a:?}");
        if status == 409 {
            assert_eq!(a.body["type"], "/problems/not-enough-stock");
            assert!(
                a.body["detail"].as_str().unwrap().contains("L-5"),
                "names the lot: {a:?}"
            );
            assert_eq!(
                ledger_sum(&app, &c.manager, lid).await,
                before,
                "a refusal writes nothing"
            );
        }
        let (sum, _) = ledger_sum(&app, &c.manager, lid).await;
        assert_eq!(on_hand(&app, &c.manager, lid).await, sum);
        assert!(sum >= Decimal::ZERO);
    }
    assert_eq!(on_hand(&app, &c.manager, lid).await.to_string(), "13");
    // Wasting exactly what is left reaches zero, and not one drop more.
    let all = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": lid, "kind": "waste", "quantity": "13", "reason": "expired"}),
        )
        .await;
    assert_eq!(all.status, 201);
    let lot = app.get(&format!("/api/v1/lots/{lid}"), &c.manager).await;
    assert_eq!(lot.body["on_hand"], "0");
    assert_eq!(lot.body["depleted"], true);
    let more = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": lid, "kind": "waste", "quantity": "0.000001", "reason": "x"}),
        )
        .await;
    assert_eq!(more.status, 409);
}

/// 30 concurrent withdrawals of 1 from a lot of 12, spread over two service instances on
/// one database: exactly 12 succeed, 18 are refused, the lot ends at zero and its ledger
/// sums to zero.
#[actix_web::test]
async fn concurrent_withdrawals_on_two_instances_never_oversell() {
    let app = spawn_app().await;
    let second = start_instance(app.db.url());
    let c = app.clinic("Race").await;
    let p = app
        .product(
            &c.manager,
            json!({"kind": "needle", "stock_unit": "piece", "content": null}),
        )
        .await;
    let lot = app
        .receive(
            &c.manager,
            p["id"].as_str().unwrap(),
            "N-RACE",
            &day(300),
            12,
        )
        .await;
    let lid = lot["id"].as_str().unwrap().to_string();
    assert_eq!(lot["on_hand"], "12");
    let requests = (0..30).map(|i| {
        let address = if i % 2 == 0 {
            app.address.clone()
        } else {
            second.clone()
        };
        let body =
            json!({"lot_id": lid, "kind": "waste", "quantity": "1", "reason": format!("race {i}")})
                .to_string();
        let manager = c.manager.clone();
        let app = &app;
        async move {
            app.request_to(
                &address,
                "POST",
                "/api/v1/movements",
                Some(&manager),
                Some(body),
            )
            .await
        }
    });
    let answers = join_all(requests).await;
    let ok = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers.iter().filter(|a| a.status == 409).count();
    assert_eq!(
        (ok, refused),
        (12, 18),
        "{:?}",
        answers
            .iter()
            .filter(|a| a.status != 201 && a.status != 409)
            .collect::<Vec<_>>()
    );
    assert_eq!(on_hand(&app, &c.manager, &lid).await, Decimal::ZERO);
    let (sum, n) = ledger_sum(&app, &c.manager, &lid).await;
    assert_eq!(sum, Decimal::ZERO);
    assert_eq!(n, 13);
}

#[actix_web::test]
async fn pieces_move_whole_and_lots_have_a_ceiling() {
    let app = spawn_app().await;
    let c = app.clinic("Units").await;
    let needles = app
        .product(
            &c.manager,
            json!({"kind": "needle", "stock_unit": "piece", "content": "100"}),
        )
        .await;
    let lot = app
        .receive(
            &c.manager,
            needles["id"].as_str().unwrap(),
            "N-1",
            &day(300),
            1,
        )
        .await;
    let half = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": lot["id"], "kind": "waste", "quantity": "0.5", "reason": "x"}),
        )
        .await;
    assert_eq!(half.status, 422, "{half:?}");
    assert_eq!(half.body["errors"][0]["field"], "quantity");
    let huge = app.post("/api/v1/products", &c.manager, json!({"sku": "BIG", "name": "x", "kind": "vial", "stock_unit": "ml", "content": "999999999", "single_use": true, "storage": "room"})).await;
    assert_eq!(huge.status, 422, "{huge:?}");
    let big = app.product(&c.manager, json!({"content": "100000"})).await;
    let too_many = app.post("/api/v1/lots", &c.manager, json!({"product_id": big["id"], "lot_number": "B", "expires_on": day(30), "containers": 100000})).await;
    assert_eq!(too_many.status, 422, "{too_many:?}");
    let l = app
        .receive(&c.manager, big["id"].as_str().unwrap(), "B", &day(30), 3000)
        .await;
    for _ in 0..2 {
        app.receive(&c.manager, big["id"].as_str().unwrap(), "B", &day(30), 3000)
            .await;
    }
    // 9e8 ml on hand; 2e8 more would pass the ceiling of 1e9: refused whole.
    let over = app.post("/api/v1/lots", &c.manager, json!({"product_id": big["id"], "lot_number": "B", "expires_on": day(30), "containers": 2000})).await;
    assert_eq!(over.status, 409, "{over:?}");
    let (sum, _) = ledger_sum(&app, &c.manager, l["id"].as_str().unwrap()).await;
    assert_eq!(
        on_hand(&app, &c.manager, l["id"].as_str().unwrap()).await,
        sum
    );
    assert_eq!(sum, Decimal::from(900_000_000));
}
