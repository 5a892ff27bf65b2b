//! The per-product balances and daily use the stock views read (issue 12) equal what the
//! lots and movements say, after every kind of change, on both backends.

use chrono::{Duration, NaiveDate, Utc};
use diesel::RunQueryDsl;
use mesoledger::db::{self, balances, Conn};
use mesoledger::domain::ids::ClinicId;
use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::{day, s, spawn_app, Clinic, TestApp};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The stored balances (non-zero ones) and the same sums recomputed from the lots.
fn both(conn: &mut Conn, clinic: &ClinicId) -> (Vec<balances::Computed>, Vec<balances::Computed>) {
    let mut stored: Vec<balances::Computed> = balances::read(conn, clinic, today())
        .unwrap()
        .into_iter()
        .filter(|b| b.on_hand != Decimal::ZERO)
        .map(|b| balances::Computed {
            product_id: b.product_id,
            on_hand: b.on_hand,
            available: b.available,
            expired: b.expired,
            quarantined: b.quarantined,
            recalled: b.recalled,
            next_expiry: b.next_expiry,
        })
        .collect();
    let mut computed = balances::compute(conn, clinic, today()).unwrap();
    stored.sort_by(|a, b| a.product_id.as_str().cmp(b.product_id.as_str()));
    computed.sort_by(|a, b| a.product_id.as_str().cmp(b.product_id.as_str()));
    (stored, computed)
}

fn assert_in_step(conn: &mut Conn, clinic: &ClinicId, when: &str) {
    let (stored, computed) = both(conn, clinic);
    assert_eq!(stored, computed, "balances {when}");
    let mut kept = balances::daily_use(conn, clinic).unwrap();
    let mut summed = balances::daily_use_from_movements(conn, clinic).unwrap();
    summed.retain(|u| u.2 != Decimal::ZERO);
    kept.sort();
    summed.sort();
    assert_eq!(kept, summed, "daily use {when}");
    // Each row's running window sum is the window's days.
    let since = today() - Duration::days(mesoledger::domain::forecast::RATE_WINDOW_DAYS);
    let mut window: Vec<(String, Decimal)> = balances::use_since(conn, clinic, since)
        .unwrap()
        .into_iter()
        .filter(|u| !u.1.is_zero())
        .map(|(p, q)| (p.to_string(), q))
        .collect();
    let mut running: Vec<(String, Decimal)> = balances::read(conn, clinic, today())
        .unwrap()
        .into_iter()
        .filter(|b| !b.recent_use.is_zero())
        .map(|b| (b.product_id.to_string(), b.recent_use))
        .collect();
    window.sort();
    running.sort();
    assert_eq!(running, window, "recent use {when}");
    assert!(
        !running.is_empty() || when == "after receiving",
        "{when}: no use at all?"
    );
}

async fn waste(app: &TestApp, c: &Clinic, lot: &str, q: &str) {
    let w = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": lot, "kind": "waste", "quantity": q, "reason": "spill"}),
        )
        .await;
    assert_eq!(w.status, 201, "{w:?}");
}

#[actix_web::test]
async fn balances_and_daily_use_follow_every_change_of_stock() {
    let app = spawn_app().await;
    let c = app.clinic("Balances").await;
    let clinic = ClinicId::from(c.id.clone());
    let pool = db::connect(app.db.url(), 1).unwrap();
    let mut conn = pool.get().unwrap();
    let conn = &mut *conn;

    let ha = app.product(&c.manager, json!({"sku": "HA"})).await;
    let needle = app
        .product(
            &c.manager,
            json!({"sku": "N32", "kind": "needle", "stock_unit": "piece", "content": "10"}),
        )
        .await;
    let soon = app
        .receive(&c.manager, s(&ha["id"]), "SOON", &day(5), 1)
        .await;
    let later = app
        .receive(&c.manager, s(&ha["id"]), "LATER", &day(90), 4)
        .await;
    let odd = app
        .receive(&c.manager, s(&ha["id"]), "ODD", &day(40), 2)
        .await;
    let box1 = app
        .receive(&c.manager, s(&needle["id"]), "NB1", &day(300), 2)
        .await;
    assert_in_step(conn, &clinic, "after receiving");

    // Sessions use the first-expiring vial whole (its lot empties: the next expiry moves
    // to a later lot) and needles; one is voided.
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let r = app
            .log_session(
                &c.practitioner,
                json!({"patient_ref": "PAT-1", "area": "face", "method": "injectable", "conditions": [],
                       "items": [{"product_id": ha["id"], "quantity": "1.5"}, {"product_id": needle["id"], "quantity": "2"}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        sessions.push(s(&r.body["id"]).to_string());
    }
    assert_in_step(conn, &clinic, "after sessions");
    let v = app
        .post(
            &format!("/api/v1/sessions/{}/void", sessions[1]),
            &c.manager,
            json!({"reason": "logged twice"}),
        )
        .await;
    assert_eq!(v.status, 200, "{v:?}");
    assert_in_step(conn, &clinic, "after a void");

    // One session taking from two lots of one product: that product's row moves once per
    // lot, in turn, within the same session.
    let vit = app.product(&c.manager, json!({"sku": "VIT"})).await;
    app.receive(&c.manager, s(&vit["id"]), "V1", &day(20), 1)
        .await;
    app.receive(&c.manager, s(&vit["id"]), "V2", &day(60), 2)
        .await;
    let r = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "PAT-2", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": vit["id"], "quantity": "4"}, {"product_id": needle["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mut used: Vec<&str> = r.body["usage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["sku"] == "VIT")
        .map(|u| s(&u["lot_number"]))
        .collect();
    used.sort();
    assert_eq!(used, vec!["V1", "V2"], "{r:?}");
    assert_in_step(
        conn,
        &clinic,
        "after a session across two lots of one product",
    );

    // Status changes move stock between the columns.
    let q = app
        .post(
            &format!("/api/v1/lots/{}/quarantine", s(&odd["id"])),
            &c.manager,
            json!({"reason": "box damaged"}),
        )
        .await;
    assert_eq!(q.status, 200, "{q:?}");
    let r = app
        .post(
            &format!("/api/v1/lots/{}/recall", s(&box1["id"])),
            &c.manager,
            json!({"reason": "supplier notice"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_in_step(conn, &clinic, "after quarantine and recall");
    waste(&app, &c, s(&odd["id"]), "1").await;
    assert_in_step(conn, &clinic, "after wasting quarantined stock");

    // A lot that expired since the last sweep: the next read rebuilds the day's split,
    // and a later change of that lot moves the expired column.
    diesel::sql_query(format!(
        "UPDATE lots SET expires_on = '{}' WHERE id = '{}'",
        today() - Duration::days(1),
        s(&later["id"])
    ))
    .execute(conn)
    .unwrap();
    diesel::sql_query(format!(
        "UPDATE product_balances SET swept_on = '{}', on_hand = 999 WHERE clinic_id = '{}'",
        today() - Duration::days(3),
        c.id
    ))
    .execute(conn)
    .unwrap();
    let stock = app.get("/api/v1/stock", &c.manager).await;
    assert_eq!(stock.status, 200, "{stock:?}");
    assert_in_step(conn, &clinic, "after the sweep");
    let line = stock
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == "HA")
        .cloned()
        .unwrap();
    let stored = both(conn, &clinic).0;
    let ha_row = stored
        .iter()
        .find(|b| b.product_id.as_str() == s(&ha["id"]))
        .unwrap();
    assert_eq!(line["on_hand"], ha_row.on_hand.to_string(), "{line}");
    assert_eq!(
        line["expired_on_hand"],
        ha_row.expired.to_string(),
        "{line}"
    );
    assert_eq!(line["next_expiry"], json!(ha_row.next_expiry), "{line}");
    assert!(ha_row.expired > Decimal::ZERO, "{ha_row:?}");
    waste(&app, &c, s(&later["id"]), "0.5").await;
    assert_in_step(conn, &clinic, "after wasting expired stock");
    let _ = soon;
}
