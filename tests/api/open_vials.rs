//! Open multi-dose vials: listed, discarded by hand, and wasted by the sweep once their
//! beyond-use time has passed, by one instance only when several sweep together.

use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::accounts::{get_page, member, sign_in, PASSWORD};
use crate::helpers::{
    day, field_errors, s, spawn_app, start_instance, start_instance_with, Clinic, TestApp,
};
use crate::ui_manager::post_page;

/// A 10 ml multi-dose product with `bud_days` beyond-use days, a lot of two vials
/// received 5 days ago, and a session `days_ago` days ago that punctured one vial for
/// 1 ml. Answers (product, lot id).
async fn punctured_vial(
    app: &TestApp,
    c: &Clinic,
    bud_days: i64,
    days_ago: i64,
) -> (Value, String) {
    let vial = app
        .product(
            &c.manager,
            json!({"content": "10", "single_use": false, "beyond_use_days": bud_days}),
        )
        .await;
    let lot = app
        .receive_days_ago(&c.manager, s(&vial["id"]), "OV-1", &day(200), 2, 5)
        .await;
    let performed_at = chrono::Utc::now() - chrono::Duration::days(days_ago);
    let r = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "PAT-OV", "area": "face", "method": "injectable",
                   "conditions": [], "performed_at": performed_at.to_rfc3339(),
                   "items": [{"product_id": vial["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    (vial, s(&lot["id"]).to_string())
}

fn waste_reasons(movements: &Value) -> Vec<String> {
    movements
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["kind"] == "waste")
                .map(|m| {
                    format!(
                        "{} {}",
                        m["quantity"].as_str().unwrap_or(""),
                        s(&m["reason"])
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[actix_web::test]
async fn open_vials_are_listed_and_discarded_with_a_waste_movement() {
    let app = spawn_app().await;
    let c = app.clinic("Vials").await;
    let (vial, lot_id) = punctured_vial(&app, &c, 28, 0).await;

    let me = app.get("/api/v1/me", &c.practitioner).await;
    let list = app.get("/api/v1/open-vials", &c.auditor).await;
    assert_eq!(list.status, 200, "{list:?}");
    let open = list.body.as_array().unwrap();
    assert_eq!(open.len(), 1, "{list:?}");
    let v = &open[0];
    assert_eq!(v["product_id"], vial["id"]);
    assert_eq!(v["lot_id"], lot_id.as_str());
    assert_eq!(v["lot_number"], "OV-1");
    assert_eq!(v["remaining"], "9");
    assert!(
        v["opened_at"].is_string() && v["beyond_use_at"].is_string(),
        "{v}"
    );
    assert_eq!(v["opened_by"], me.body["staff_id"], "{me:?}");
    let id = s(&v["id"]).to_string();

    // Practitioners and auditors read; a manager discards, with a reason.
    let path = format!("/api/v1/open-vials/{id}/discard");
    for reader in [&c.auditor, &c.practitioner] {
        let r = app.post(&path, reader, json!({"reason": "dropped"})).await;
        assert_eq!(r.status, 403, "{r:?}");
    }
    let r = app.post(&path, &c.manager, json!({"reason": " "})).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(field_errors(&r), vec!["reason"]);
    let other = app.clinic("Other").await;
    let r = app
        .post(&path, &other.manager, json!({"reason": "x"}))
        .await;
    assert_eq!(r.status, 404, "another clinic's vial is not found: {r:?}");

    let before = app.lot_state(&c.manager, &lot_id).await;
    let r = app
        .post(
            &path,
            &c.manager,
            json!({"reason": "rubber stopper touched"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["remaining"], "9");
    let after = app.lot_state(&c.manager, &lot_id).await;
    assert_eq!(before.on_hand - after.on_hand, Decimal::from(9));
    assert_eq!(after.on_hand, after.ledger_sum);
    let m = app
        .get(&format!("/api/v1/movements?lot_id={lot_id}"), &c.manager)
        .await;
    assert_eq!(
        waste_reasons(&m.body),
        vec!["-9 open vial discarded: rubber stopper touched"]
    );

    let list = app.get("/api/v1/open-vials", &c.practitioner).await;
    assert_eq!(list.body, json!([]));
    let again = app
        .post(&path, &c.manager, json!({"reason": "again"}))
        .await;
    assert_eq!(
        again.status, 404,
        "a closed vial is not discarded twice: {again:?}"
    );
    // The next use punctures the second vial instead of drawing from the discarded one.
    let r = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "PAT-OV2", "area": "face", "method": "injectable",
                   "conditions": [], "items": [{"product_id": vial["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        app.lot_state(&c.manager, &lot_id).await.on_hand,
        Decimal::from(9)
    );
}

#[actix_web::test]
async fn stale_vials_are_wasted_by_the_sweep_once_even_with_several_instances() {
    let app = spawn_app().await;
    let c = app.clinic("Sweep").await;
    // Punctured 3 days ago, 2 beyond-use days: stale for a day, nobody used it since.
    let (_, stale_lot) = punctured_vial(&app, &c, 2, 3).await;
    // Punctured today: still good, the sweep leaves it.
    let (_, fresh_lot) = punctured_vial(&app, &c, 28, 0).await;
    let list = app.get("/api/v1/open-vials", &c.manager).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(2), "{list:?}");

    // Instances starting on the same database sweep at start; only one wastes the vial.
    let url = app.db.url().to_string();
    let starters: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move { start_instance(&url) })
            })
        })
        .collect();
    for t in starters {
        t.join().expect("instance started");
    }

    let list = app.get("/api/v1/open-vials", &c.manager).await;
    let open = list.body.as_array().unwrap();
    assert_eq!(open.len(), 1, "{list:?}");
    assert_eq!(open[0]["lot_id"], fresh_lot.as_str());
    let m = app
        .get(&format!("/api/v1/movements?lot_id={stale_lot}"), &c.manager)
        .await;
    let wastes = waste_reasons(&m.body);
    assert_eq!(wastes.len(), 1, "wasted once: {wastes:?}");
    assert!(
        wastes[0].starts_with("-9 open vial past its beyond-use time")
            && wastes[0].ends_with("(automatic sweep)"),
        "{wastes:?}"
    );
    let state = app.lot_state(&c.manager, &stale_lot).await;
    assert_eq!(state.on_hand, Decimal::from(10));
    assert_eq!(state.on_hand, state.ledger_sum);
    let fresh = app.lot_state(&c.manager, &fresh_lot).await;
    assert_eq!(
        fresh.on_hand,
        Decimal::from(19),
        "the good vial keeps its 9 ml"
    );

    // Two instances sweeping every second: a vial that goes stale later is wasted by one
    // of them without anyone using the product again.
    for _ in 0..2 {
        start_instance_with(&url, |s| s.vial_sweep_seconds = 1);
    }
    let (_, late_lot) = punctured_vial(&app, &c, 1, 2).await;
    let mut left = 1;
    for _ in 0..100 {
        let list = app.get("/api/v1/open-vials", &c.manager).await;
        left = list.body.as_array().map_or(0, |v| {
            v.iter()
                .filter(|v| v["lot_id"] == late_lot.as_str())
                .count()
        });
        if left == 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "the periodic sweep wasted the stale vial");
    // Both sweepers have had their turn at it by now.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1500)).await;
    let m = app
        .get(&format!("/api/v1/movements?lot_id={late_lot}"), &c.manager)
        .await;
    assert_eq!(waste_reasons(&m.body).len(), 1, "{}", m.text);
    let state = app.lot_state(&c.manager, &late_lot).await;
    assert_eq!(
        (state.on_hand, state.ledger_sum),
        (Decimal::from(10), Decimal::from(10))
    );
}

#[actix_web::test]
async fn the_open_vials_page_lists_and_discards_with_a_reason() {
    let app = spawn_app().await;
    let c = app.clinic("Vial page").await;
    let (_, lot_id) = punctured_vial(&app, &c, 28, 0).await;
    member(&app, &c.manager, &c.id, "manager", "max@vials.example").await;
    member(&app, &c.manager, &c.id, "practitioner", "pia@vials.example").await;
    let manager = sign_in(&app, "max@vials.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let practitioner = sign_in(&app, "pia@vials.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();

    let page = get_page(&app, "/open-vials", &manager).await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.text.contains("href=\"/open-vials\""), "in the menu");
    assert!(
        page.text
            .contains(&format!("href=\"/lots/{lot_id}\">OV-1</a>")),
        "{}",
        page.text
    );
    assert!(page.text.contains("<td>9 ml</td>"), "{}", page.text);
    let vial = app.get("/api/v1/open-vials", &c.manager).await;
    let action = format!("/open-vials/{}/discard", s(&vial.body[0]["id"]));
    assert!(page.text.contains(&format!("action=\"{action}\"")));
    let seen = get_page(&app, "/open-vials", &practitioner).await;
    assert!(
        seen.text.contains("href=\"/open-vials\""),
        "in the practitioner's menu"
    );
    assert!(
        seen.text.contains("OV-1") && !seen.text.contains(&action),
        "practitioners only read"
    );

    let csrf = page.csrf_token();
    let forged = post_page(&app, &manager, &action, &[("reason", "x")]).await;
    assert_eq!(forged.status, 403);
    let empty = post_page(
        &app,
        &manager,
        &action,
        &[("csrf_token", &csrf), ("reason", "")],
    )
    .await;
    assert_eq!(empty.status, 422, "{empty:?}");
    assert!(
        empty.text.contains("aria-invalid=\"true\""),
        "{}",
        empty.text
    );
    let done = post_page(
        &app,
        &manager,
        &action,
        &[("csrf_token", &csrf), ("reason", "dropped on the floor")],
    )
    .await;
    assert_eq!(done.status, 303, "{done:?}");
    let to = done.header("location").unwrap();
    let shown = get_page(&app, &to, &manager).await;
    assert!(
        shown.text.contains("Discarded vial of lot OV-1."),
        "{}",
        shown.text
    );
    assert!(shown.text.contains("No vial is open."));
    let m = app
        .get(&format!("/api/v1/movements?lot_id={lot_id}"), &c.manager)
        .await;
    assert_eq!(
        waste_reasons(&m.body),
        vec!["-9 open vial discarded: dropped on the floor"]
    );
}

#[actix_web::test]
async fn a_stale_vial_of_a_lot_wasted_whole_meanwhile_wastes_nothing_more() {
    let app = spawn_app().await;
    let c = app.clinic("Wasted lot").await;
    // Punctured 3 days ago with 2 beyond-use days: 9 ml left in the vial, 19 ml in the lot.
    let (vial, lot_id) = punctured_vial(&app, &c, 2, 3).await;
    let r = app
        .post(
            "/api/v1/movements",
            &c.manager,
            json!({"lot_id": lot_id, "kind": "waste", "quantity": "19", "reason": "fridge failure"}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    app.receive(&c.manager, s(&vial["id"]), "OV-2", &day(300), 1)
        .await;
    // The next session meets the stale vial: it is closed, its lot has nothing left to
    // waste, and the session takes the new lot.
    let r = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "PAT-W", "area": "face", "method": "injectable",
                   "conditions": [], "items": [{"product_id": vial["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["usage"][0]["lot_number"], "OV-2");
    let state = app.lot_state(&c.manager, &lot_id).await;
    assert_eq!(
        (state.on_hand, state.ledger_sum),
        (Decimal::ZERO, Decimal::ZERO)
    );
    let open = app.get("/api/v1/open-vials", &c.manager).await;
    let lots: Vec<&str> = open
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| s(&v["lot_id"]))
        .collect();
    assert!(
        !lots.contains(&lot_id.as_str()),
        "the stale vial is closed: {open:?}"
    );
}
