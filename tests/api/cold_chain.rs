//! The cold chain: fridges, readings, excursions that quarantine the lots that were
//! inside (by where each lot was at the time), moves, and the alerts.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::{day, field_errors, s, spawn_app, Clinic, TestApp};

async fn fridge(app: &TestApp, c: &Clinic, body: Value) -> Value {
    let f = app.post("/api/v1/fridges", &c.manager, body).await;
    assert_eq!(f.status, 201, "{f:?}");
    f.body
}

/// A reading `minutes_ago` minutes before the current minute (so that one sent twice has
/// the same time).
pub(crate) fn reading(minutes_ago: i64, celsius: &str) -> Value {
    let minute = Utc::now().timestamp() / 60 * 60;
    let at = chrono::DateTime::from_timestamp(minute, 0).unwrap() - Duration::minutes(minutes_ago);
    json!({"at": at.to_rfc3339(), "celsius": celsius})
}

#[actix_web::test]
async fn fridges_have_a_range_and_a_tolerance() {
    let app = spawn_app().await;
    let c = app.clinic("Fridges").await;
    let f = fridge(&app, &c, json!({"name": "Vaccine fridge"})).await;
    assert_eq!(
        (
            &f["min_celsius"],
            &f["max_celsius"],
            &f["tolerance_minutes"]
        ),
        (&json!("2"), &json!("8"), &json!(30)),
        "2–8 °C and 30 minutes by default: {f}"
    );
    let own = fridge(
        &app,
        &c,
        json!({"name": "PRP", "min_celsius": "4", "max_celsius": "25.5", "tolerance_minutes": 10}),
    )
    .await;
    assert_eq!(own["max_celsius"], "25.5");

    for (body, field) in [
        (
            json!({"name": "A", "min_celsius": "8", "max_celsius": "2"}),
            "max_celsius",
        ),
        (
            json!({"name": "A", "tolerance_minutes": -1}),
            "tolerance_minutes",
        ),
        (json!({"name": "A", "min_celsius": "-400"}), "min_celsius"),
        (json!({"name": " "}), "name"),
    ] {
        let r = app.post("/api/v1/fridges", &c.manager, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {r:?}");
        assert_eq!(field_errors(&r), vec![field], "{body}: {r:?}");
    }
    let r = app
        .post(
            "/api/v1/fridges",
            &c.manager,
            json!({"min_celsius": 2, "name": "A"}),
        )
        .await;
    assert_eq!(r.status, 422, "decimals are strings: {r:?}");
    let again = app
        .post(
            "/api/v1/fridges",
            &c.manager,
            json!({"name": "Vaccine fridge"}),
        )
        .await;
    assert_eq!(again.status, 409, "{again:?}");
    let r = app
        .post("/api/v1/fridges", &c.practitioner, json!({"name": "Mine"}))
        .await;
    assert_eq!(r.status, 403);

    let list = app.get("/api/v1/fridges", &c.auditor).await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| s(&f["name"]))
        .collect();
    assert_eq!(names, vec!["PRP", "Vaccine fridge"]);
    let other = app.clinic("Elsewhere").await;
    let r = app
        .get(&format!("/api/v1/fridges/{}", s(&f["id"])), &other.manager)
        .await;
    assert_eq!(r.status, 404, "another clinic's fridge: {r:?}");
}

#[actix_web::test]
async fn an_excursion_quarantines_every_lot_that_was_inside_then() {
    let app = spawn_app().await;
    let c = app.clinic("Cold chain").await;
    let a = fridge(&app, &c, json!({"name": "Fridge A"})).await;
    let b = fridge(&app, &c, json!({"name": "Fridge B"})).await;
    let (fa, fb) = (s(&a["id"]).to_string(), s(&b["id"]).to_string());
    let ha = app
        .product(
            &c.manager,
            json!({"sku": "HA-COLD", "storage": "refrigerated"}),
        )
        .await;
    let needle = app
        .product(
            &c.manager,
            json!({"sku": "NDL", "kind": "needle", "stock_unit": "piece", "content": "10"}),
        )
        .await;

    // A refrigerated product goes into a fridge once the clinic has one; a needle need not.
    let r = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"product_id": ha["id"], "lot_number": "HA-1", "expires_on": day(200), "containers": 2}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(field_errors(&r), vec!["fridge_id"]);
    let receive = |number: &str, fridge: &str, hours_ago: i64| {
        json!({"product_id": ha["id"], "lot_number": number, "expires_on": day(200), "containers": 2,
               "fridge_id": fridge, "received_at": (Utc::now() - Duration::hours(hours_ago)).to_rfc3339()})
    };
    // In A all along; in A until moved to B below; in B all along; in B until moved to A.
    let mut ids = Vec::new();
    for (number, fridge, hours) in [
        ("HA-IN-A", &fa, 10),
        ("HA-MOVED", &fa, 10),
        ("HA-IN-B", &fb, 10),
        ("HA-NOW-A", &fb, 10),
    ] {
        let l = app
            .post("/api/v1/lots", &c.manager, receive(number, fridge, hours))
            .await;
        assert_eq!(l.status, 201, "{l:?}");
        ids.push(s(&l.body["id"]).to_string());
    }
    let n = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"product_id": needle["id"], "lot_number": "N-1", "expires_on": day(300), "containers": 1}),
        )
        .await;
    assert_eq!(n.status, 201, "{n:?}");
    let moved = app
        .post(
            &format!("/api/v1/lots/{}/move", ids[1]),
            &c.manager,
            json!({"fridge_id": fb, "reason": "rearranged shelves"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{moved:?}");
    // Put into A only now: it was not there when A warmed up.
    let r = app
        .post(
            &format!("/api/v1/lots/{}/move", ids[3]),
            &c.manager,
            json!({"fridge_id": fa, "reason": "more room"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app
        .post(
            &format!("/api/v1/lots/{}/move", ids[1]),
            &c.manager,
            json!({"fridge_id": fb, "reason": "again"}),
        )
        .await;
    assert_eq!(r.status, 409, "already there: {r:?}");
    let r = app
        .post(
            &format!("/api/v1/lots/{}/move", ids[1]),
            &c.practitioner,
            json!({"fridge_id": fa, "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, 403);

    // Fridge A warmed up from 5 hours ago to 3 hours ago (2 hours > 30 minutes), with a
    // reading sent twice; a 20-minute blip later is within the tolerance.
    let path = format!("/api/v1/fridges/{fa}/readings");
    let readings = json!({"readings": [
        reading(360, "5"), reading(300, "9.5"), reading(240, "12"), reading(240, "12"),
        reading(200, "10.25"), reading(180, "6"), reading(120, "5"),
        reading(100, "8.5"), reading(80, "4")]});
    let r = app.post(&path, &c.practitioner, readings.clone()).await;
    assert_eq!(r.status, 403, "a manager posts readings");
    let r = app.post(&path, &c.manager, readings).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["stored"], 8,
        "the repeated reading is stored once: {r:?}"
    );
    let found = r.body["excursions"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{r:?}");
    let e = &found[0];
    assert_eq!(
        (&e["min_celsius"], &e["max_celsius"]),
        (&json!("9.5"), &json!("12"))
    );
    assert!(
        e["ended_at"].is_string(),
        "back in range at the 6 °C reading: {e}"
    );
    let mut touched: Vec<&str> = e["lots"].as_array().unwrap().iter().map(s).collect();
    touched.sort();
    let mut expected = vec![ids[0].as_str(), ids[1].as_str()];
    expected.sort();
    assert_eq!(
        touched, expected,
        "in A during the excursion, by the move history"
    );

    for (i, want) in [
        (0, "quarantined"),
        (1, "quarantined"),
        (2, "available"),
        (3, "available"),
    ] {
        let lot = app
            .get(&format!("/api/v1/lots/{}", ids[i]), &c.manager)
            .await;
        assert_eq!(lot.body["status"], want, "{lot:?}");
        if want == "quarantined" {
            let reason = s(&lot.body["status_reason"]);
            assert!(
                reason.contains("Fridge A") && reason.contains(s(&e["id"])),
                "{reason}"
            );
        }
    }
    // The lot's view and its trace show where it was kept and what it went through.
    let lot = app
        .get(&format!("/api/v1/lots/{}", ids[1]), &c.manager)
        .await;
    let places = lot.body["cold_chain"]["places"].as_array().unwrap();
    let kept: Vec<(&str, bool)> = places
        .iter()
        .map(|p| (s(&p["fridge"]), p["to"].is_null()))
        .collect();
    assert_eq!(
        kept,
        vec![("Fridge A", false), ("Fridge B", true)],
        "{lot:?}"
    );
    assert_eq!(places[1]["reason"], "rearranged shelves");
    let trace = app
        .get(&format!("/api/v1/lots/{}/trace", ids[1]), &c.auditor)
        .await;
    assert_eq!(
        trace.body["cold_chain"]["excursions"][0]["id"], e["id"],
        "{trace:?}"
    );
    assert_eq!(
        trace.body["cold_chain"]["excursions"][0]["fridge"],
        "Fridge A"
    );

    let listed = app
        .get(&format!("/api/v1/fridges/{fa}/excursions"), &c.auditor)
        .await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1), "{listed:?}");
    assert_eq!(listed.body[0]["id"], e["id"]);
    let from = (Utc::now() - Duration::hours(7)).to_rfc3339();
    let series = app
        .get(
            &format!("/api/v1/fridges/{fa}/readings?from={}", urlencode(&from)),
            &c.practitioner,
        )
        .await;
    assert_eq!(series.status, 200, "{series:?}");
    let temps: Vec<&str> = series
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| s(&r["celsius"]))
        .collect();
    assert_eq!(temps, vec!["5", "9.5", "12", "10.25", "6", "5", "8.5", "4"]);

    // A released lot is not quarantined again by a later reading of the same excursion.
    let r = app
        .post(
            &format!("/api/v1/lots/{}/release", ids[0]),
            &c.manager,
            json!({"reason": "checked with the maker"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app
        .post(&path, &c.manager, json!({"readings": [reading(250, "11")]}))
        .await;
    assert_eq!(
        r.body["excursions"][0]["id"], e["id"],
        "the same excursion: {r:?}"
    );
    let lot = app
        .get(&format!("/api/v1/lots/{}", ids[0]), &c.manager)
        .await;
    assert_eq!(lot.body["status"], "available");

    // Alerts: the excursion, and fridge B which never reported (it is new, so not yet).
    let alerts = app.get("/api/v1/alerts", &c.manager).await;
    assert_eq!(alerts.body["excursions"], 1, "{alerts:?}");
    assert_eq!(alerts.body["silent_fridges"], json!([]), "{alerts:?}");
    // A logger whose last reading is three hours old has gone quiet.
    let quiet = fridge(&app, &c, json!({"name": "Back room"})).await;
    let r = app
        .post(
            &format!("/api/v1/fridges/{}/readings", s(&quiet["id"])),
            &c.manager,
            json!({"readings": [reading(180, "5")]}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let alerts = app.get("/api/v1/alerts", &c.auditor).await;
    let silent = alerts.body["silent_fridges"].as_array().unwrap();
    assert_eq!(silent.len(), 1, "{alerts:?}");
    assert_eq!(silent[0]["name"], "Back room");
    assert!(silent[0]["last_reading_at"].is_string(), "{alerts:?}");
}

#[actix_web::test]
async fn readings_are_checked_and_bounded() {
    let app = spawn_app().await;
    let c = app.clinic("Readings").await;
    let f = fridge(&app, &c, json!({"name": "F"})).await;
    let path = format!("/api/v1/fridges/{}/readings", s(&f["id"]));
    let ahead = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let r = app
        .post(
            &path,
            &c.manager,
            json!({"readings": [reading(10, "4"), {"at": ahead, "celsius": "4"}, reading(5, "400")]}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(
        field_errors(&r),
        vec!["readings[1].at", "readings[2].celsius"]
    );
    let r = app
        .post(
            &path,
            &c.manager,
            json!({"readings": [{"at": "yesterday", "celsius": "4"}]}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    let series = app
        .get(&format!("{path}?from=2026-01-01&to=2026-06-01"), &c.manager)
        .await;
    assert_eq!(series.status, 422, "at most a month at a time: {series:?}");
    assert_eq!(field_errors(&series), vec!["to"]);
    let r = app
        .post(
            "/api/v1/fridges/nope/readings",
            &c.manager,
            json!({"readings": [reading(1, "4")]}),
        )
        .await;
    assert_eq!(r.status, 404, "{r:?}");
}

fn urlencode(v: &str) -> String {
    v.replace('+', "%2B").replace(':', "%3A")
}

/// The lot of `product_id` numbered `number`, as listed.
async fn lot_named(app: &TestApp, c: &Clinic, product_id: &Value, number: &str) -> Value {
    let lots = app
        .get(
            &format!("/api/v1/lots?product_id={}", s(product_id)),
            &c.manager,
        )
        .await;
    lots.body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lot_number"] == number)
        .cloned()
        .unwrap_or_else(|| panic!("no lot {number}: {lots:?}"))
}

/// The fridges a lot was kept in, oldest first.
async fn kept_in(app: &TestApp, c: &Clinic, lot_id: &Value) -> Vec<String> {
    let lot = app
        .get(&format!("/api/v1/lots/{}", s(lot_id)), &c.manager)
        .await;
    lot.body["cold_chain"]["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| s(&p["fridge"]).to_string())
        .collect()
}

#[actix_web::test]
async fn purchase_order_receipts_put_refrigerated_lots_into_a_fridge() {
    let app = spawn_app().await;
    let c = app.clinic("Cold receipts").await;
    let sid = crate::corrections::supplier(&app, &c, "ColdPharma").await;
    let ha = app
        .product(
            &c.manager,
            json!({"sku": "HA-FR", "storage": "refrigerated", "supplier_id": sid}),
        )
        .await;
    let oid = crate::corrections::order(
        &app,
        &c,
        &sid,
        json!([{"product_id": ha["id"], "containers": 6}]),
    )
    .await;
    let path = format!("/api/v1/purchase-orders/{oid}/receive");
    let line = |number: &str| json!({"product_id": ha["id"], "lot_number": number, "expires_on": day(300), "containers": 2});
    // No fridge yet: nothing to require.
    let r = app
        .post(&path, &c.manager, json!({"lines": [line("R-0")]}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let a = fridge(&app, &c, json!({"name": "Main"})).await;
    let b = fridge(&app, &c, json!({"name": "Spare"})).await;

    let r = app
        .post(&path, &c.manager, json!({"lines": [line("R-1")]}))
        .await;
    assert_eq!(r.status, 422, "a refrigerated lot needs its fridge: {r:?}");
    assert_eq!(field_errors(&r), vec!["lines[0].fridge_id"]);
    let r = app
        .post(
            &path,
            &c.manager,
            json!({"lines": [line("R-1")], "fridge_id": "nope"}),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(field_errors(&r), vec!["lines[0].fridge_id"]);

    // One fridge for the receipt, or a line's own.
    let mut own = line("R-2");
    own["fridge_id"] = b["id"].clone();
    let r = app
        .post(
            &path,
            &c.manager,
            json!({"lines": [line("R-1"), own], "fridge_id": a["id"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r1 = lot_named(&app, &c, &ha["id"], "R-1").await;
    let r2 = lot_named(&app, &c, &ha["id"], "R-2").await;
    assert_eq!(kept_in(&app, &c, &r1["id"]).await, vec!["Main"]);
    assert_eq!(kept_in(&app, &c, &r2["id"]).await, vec!["Spare"]);
    let lots_in_a = app
        .get(&format!("/api/v1/fridges/{}", s(&a["id"])), &c.auditor)
        .await;
    assert_eq!(
        lots_in_a.body["lots"][0]["lot_number"], "R-1",
        "{lots_in_a:?}"
    );
}

#[actix_web::test]
async fn the_lots_csv_names_the_fridge() {
    let app = spawn_app().await;
    let c = app.clinic("Cold lots file").await;
    let ha = app
        .product(
            &c.manager,
            json!({"sku": "HA-CSV", "storage": "refrigerated"}),
        )
        .await;
    fridge(&app, &c, json!({"name": "Vaccines"})).await;
    let expires = day(300);
    let file = format!(
        "sku,lot_number,expires_on,containers,fridge\n\
         HA-CSV,C-1,{expires},2,Vaccines\n\
         HA-CSV,C-2,{expires},1,Nowhere\n"
    );
    let r = crate::traceability::import(&app, &c, "lots", &file).await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.body["errors"][0]["line"], 3, "{r:?}");
    assert_eq!(r.body["errors"][0]["field"], "fridge", "{r:?}");
    assert_eq!(app.get("/api/v1/lots", &c.manager).await.body, json!([]));

    let r = crate::traceability::import(
        &app,
        &c,
        "lots",
        &format!("sku,lot_number,expires_on,containers\nHA-CSV,C-1,{expires},2\n"),
    )
    .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(
        (&r.body["errors"][0]["line"], &r.body["errors"][0]["field"]),
        (&json!(2), &json!("fridge")),
        "{r:?}"
    );

    let r =
        crate::traceability::import(&app, &c, "lots", &file.replace("Nowhere", "Vaccines")).await;
    assert_eq!(r.status, 201, "{r:?}");
    let lot = lot_named(&app, &c, &ha["id"], "C-2").await;
    assert_eq!(kept_in(&app, &c, &lot["id"]).await, vec!["Vaccines"]);
}

/// `minutes_ago` minutes before the current minute, RFC 3339.
fn minute(minutes_ago: i64) -> String {
    s(&reading(minutes_ago, "0")["at"]).to_string()
}

#[actix_web::test]
async fn readings_import_from_csv_all_or_nothing() {
    let app = spawn_app().await;
    let c = app.clinic("Readings file").await;
    let f = fridge(&app, &c, json!({"name": "Lab fridge"})).await;
    fridge(&app, &c, json!({"name": "Quiet"})).await;
    let ha = app
        .product(
            &c.manager,
            json!({"sku": "HA-RD", "storage": "refrigerated"}),
        )
        .await;
    let l = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"product_id": ha["id"], "lot_number": "RD-1", "expires_on": day(200), "containers": 1,
                   "fridge_id": f["id"], "received_at": (Utc::now() - Duration::hours(10)).to_rfc3339()}),
        )
        .await;
    assert_eq!(l.status, 201, "{l:?}");

    let session = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": ha["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(session.status, 201, "{session:?}");

    // 5 °C, then 11 °C for an hour (over the 30-minute tolerance), back to 4 °C; the
    // 60-minutes-ago reading is there twice; the quiet fridge reports once.
    let good = format!(
        "fridge,at,celsius\n\
         Lab fridge,{},5\n\
         Lab fridge,{},11\n\
         Lab fridge,{},11.5\n\
         Lab fridge,{},11.5\n\
         Lab fridge,{},4\n\
         Quiet,{},3.25\n",
        minute(180),
        minute(120),
        minute(60),
        minute(60),
        minute(30),
        minute(30),
    );
    let bad = good
        .replacen(",5\n", ",warm\n", 1)
        .replacen("Quiet,", "Garage,", 1)
        .replacen(&minute(30), "yesterday", 1);
    let r = crate::traceability::import(&app, &c, "readings", &bad).await;
    assert_eq!(r.status, 422, "{r:?}");
    let errors: Vec<(u64, &str)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), s(&e["field"])))
        .collect();
    assert_eq!(errors, vec![(2, "celsius"), (6, "at"), (7, "fridge")]);
    let r = crate::traceability::import(
        &app,
        &c,
        "readings",
        &format!(
            "fridge,at,celsius\nLab fridge,{},4\nLab fridge,{},400\n",
            minute(5),
            minute(4)
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(
        (&r.body["errors"][0]["line"], &r.body["errors"][0]["field"]),
        (&json!(3), &json!("celsius")),
        "a probe's range, by line: {r:?}"
    );
    let r =
        crate::traceability::import(&app, &c, "readings", "fridge,celsius\nLab fridge,4\n").await;
    assert_eq!(r.status, 422, "{r:?}");
    assert_eq!(r.body["errors"][0]["field"], "at", "{r:?}");
    let fridges = app.get("/api/v1/fridges", &c.manager).await;
    assert!(
        fridges
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["last_reading_at"].is_null()),
        "nothing stored: {fridges:?}"
    );

    let r = crate::traceability::import(&app, &c, "readings", &good).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["imported"], 6);
    assert_eq!(
        r.body["stored"], 5,
        "the repeated time is stored once: {r:?}"
    );
    let found = r.body["excursions"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{r:?}");
    assert_eq!(found[0]["lots"], json!([l.body["id"]]));
    assert_eq!(found[0]["max_celsius"], "11.5");
    let lot = app
        .get(&format!("/api/v1/lots/{}", s(&l.body["id"])), &c.manager)
        .await;
    assert_eq!(lot.body["status"], "quarantined", "{lot:?}");

    let again = crate::traceability::import(&app, &c, "readings", &good).await;
    assert_eq!(again.status, 201, "{again:?}");
    assert_eq!(
        again.body["stored"], 0,
        "known times are kept once: {again:?}"
    );
    let r = app
        .post("/api/v1/imports/readings", &c.practitioner, json!({}))
        .await;
    assert_eq!(r.status, 403, "a manager imports: {r:?}");

    // The traceability export counts the lot's excursions (used before it was found).
    let csv = app
        .get("/api/v1/exports/traceability.csv", &c.auditor)
        .await;
    let rows: Vec<&str> = csv.text.lines().collect();
    assert!(rows[0].ends_with(",excursions"), "{}", rows[0]);
    assert!(rows[1].ends_with(",1"), "{}", rows[1]);
}
