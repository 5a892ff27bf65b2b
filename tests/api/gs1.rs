//! GS1 detail kept for traceability: what `/scan` reads, the serial and raw code stored
//! with scanned receipts and uses, and lot look-ups that forgive case.

use serde_json::json;

use crate::helpers::{s, spawn_app, TestApp};

const GTIN: &str = "09501101020917";

fn rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect()
}

/// The cells of `column` in an export, header excluded.
fn column(all: &[Vec<String>], name: &str) -> Vec<String> {
    let i = all[0].iter().position(|c| c == name).unwrap();
    all[1..].iter().map(|r| r[i].clone()).collect()
}

async fn scan(app: &TestApp, token: &str, code: &str) -> crate::helpers::Answer {
    app.post("/api/v1/scan", token, json!({ "code": code }))
        .await
}

#[actix_web::test]
async fn scan_answers_dates_and_internal_ais_and_refuses_loose_digital_links() {
    let app = spawn_app().await;
    let c = app.clinic("Scan detail").await;
    let r = scan(
        &app,
        &c.practitioner,
        &format!("(01){GTIN}(11)250100(15)301231(10)L1(91)ABC-1/2(99)X"),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["production_date"], "2025-01-31",
        "day 00: month's end"
    );
    assert_eq!(r.body["best_before"], "2030-12-31");
    assert_eq!(
        r.body["internal"],
        json!([{"ai": "91", "value": "ABC-1/2"}, {"ai": "99", "value": "X"}])
    );
    let plain = scan(&app, &c.practitioner, &format!("(01){GTIN}")).await;
    assert_eq!(plain.body["internal"], json!([]));
    assert!(plain.body["best_before"].is_null());

    for bad in [
        format!("HTTPS://id.gs1.org/01/{GTIN}"),
        format!("https://id.gs1.org/01/{GTIN}/"),
        format!("https://id.gs1.org/01/{GTIN}/10/L1/"),
        "https://id.gs1.org/01/9501101020917".to_string(),
        format!("ftp://id.gs1.org/01/{GTIN}"),
    ] {
        let r = scan(&app, &c.practitioner, &bad).await;
        assert_eq!(r.status, 422, "{bad}: {r:?}");
        assert_eq!(r.body["errors"][0]["field"], "code");
        assert!(
            s(&r.body["errors"][0]["message"]).starts_with("GS1 Digital Link:"),
            "{r:?}"
        );
    }
    let ok = scan(
        &app,
        &c.practitioner,
        &format!("https://id.gs1.org/01/{GTIN}/10/L1?17=301231"),
    )
    .await;
    assert_eq!(ok.status, 200, "{ok:?}");
}

#[actix_web::test]
async fn scanned_serial_and_code_go_into_the_movements_and_traceability_exports() {
    let app = spawn_app().await;
    let c = app.clinic("Scan trace").await;
    let p = app
        .product(&c.manager, json!({"sku": "HA-GS1", "gtin": GTIN}))
        .await;
    // A serial that looks like a formula is neutralised in the exports.
    let receipt_code = format!("]d201{GTIN}1730123110LOT-A\u{1d}21=1+2");
    let lot = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"code": receipt_code, "containers": 3}),
        )
        .await;
    assert_eq!(lot.status, 201, "{lot:?}");
    assert_eq!(lot.body["lot_number"], "LOT-A");
    let typed = app
        .post("/api/v1/lots", &c.manager, json!({"product_id": p["id"], "lot_number": "LOT-A", "expires_on": "2030-12-31", "containers": 1}))
        .await;
    assert_eq!(typed.status, 201, "{typed:?}");

    let f = app
        .post("/api/v1/formulations", &c.manager, json!({"name": "Glow", "method": "injectable", "areas": ["face"], "components": [{"product_id": p["id"], "amount": "2"}]}))
        .await;
    assert_eq!(f.status, 201, "{f:?}");
    let use_code = format!("(01){GTIN}(10)LOT-A(21)SN-9(91)BIN-4");
    let session = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "PAT-1", "area": "neck", "method": "injectable", "conditions": [],
                   "formulation_id": f.body["id"], "area_override_reason": "doctor's order",
                   "items": [{"code": use_code}]}),
        )
        .await;
    assert_eq!(session.status, 201, "{session:?}");
    assert_eq!(session.body["usage"][0]["gs1_serial"], "SN-9");
    assert_eq!(session.body["usage"][0]["gs1_raw"], use_code.as_str());
    let ledger = app
        .get(
            &format!("/api/v1/movements?lot_id={}", s(&lot.body["id"])),
            &c.manager,
        )
        .await;
    assert_eq!(
        ledger.body[0]["gs1_serial"], "=1+2",
        "JSON keeps the value as it is"
    );
    assert_eq!(ledger.body[0]["gs1_raw"], receipt_code.as_str());
    assert!(ledger.body[1]["gs1_raw"].is_null());
    let by_hand = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "PAT-2", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"product_id": p["id"], "quantity": "2"}]}),
        )
        .await;
    assert_eq!(by_hand.status, 201, "{by_hand:?}");

    let m = rows(
        &app.get("/api/v1/exports/movements.csv", &c.auditor)
            .await
            .text,
    );
    let n = m[0].len();
    assert_eq!(m[0][n - 2..], ["gs1_serial", "gs1_raw"]);
    assert_eq!(
        column(&m, "kind"),
        ["receive", "receive", "consume", "consume"]
    );
    assert_eq!(column(&m, "gs1_serial"), ["'=1+2", "", "SN-9", ""]);
    assert_eq!(
        column(&m, "gs1_raw"),
        [receipt_code.as_str(), "", &use_code, ""]
    );

    let t = rows(
        &app.get("/api/v1/exports/traceability.csv", &c.auditor)
            .await
            .text,
    );
    let n = t[0].len();
    assert_eq!(
        t[0][n - 4..],
        [
            "gs1_serial",
            "gs1_raw",
            "area_override_reason",
            "excursions"
        ]
    );
    assert_eq!(t.len(), 3);
    assert_eq!(
        t[1][n - 4..],
        ["SN-9", use_code.as_str(), "doctor's order", "0"]
    );
    assert_eq!(t[2][n - 4..], ["", "", "", "0"]);
}

#[actix_web::test]
async fn lot_look_ups_ignore_case_when_the_exact_number_finds_nothing() {
    let app = spawn_app().await;
    let c = app.clinic("Lot case").await;
    let p = app
        .product(&c.manager, json!({"sku": "HA-CASE", "gtin": GTIN}))
        .await;
    let mixed = app
        .receive(&c.manager, s(&p["id"]), "AbC-1", "2030-12-31", 3)
        .await;

    let traced = app.get("/api/v1/trace?lot_number=abc-1", &c.auditor).await;
    assert_eq!(traced.status, 200, "{traced:?}");
    assert_eq!(traced.body.as_array().unwrap().len(), 1);
    assert_eq!(traced.body[0]["lot"]["id"], mixed["id"]);
    let scanned = scan(&app, &c.practitioner, &format!("(01){GTIN}(10)ABC-1")).await;
    assert_eq!(scanned.body["lot"]["id"], mixed["id"], "{scanned:?}");
    let used = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "PAT-1", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"code": format!("(01){GTIN}(10)abc-1"), "quantity": "2"}]}),
        )
        .await;
    assert_eq!(used.status, 201, "{used:?}");
    assert_eq!(used.body["usage"][0]["lot_id"], mixed["id"]);

    // A second lot spelt the same but for case: the exact spelling still finds its own,
    // another spelling is ambiguous.
    let upper = app
        .receive(&c.manager, s(&p["id"]), "ABC-1", "2031-01-31", 1)
        .await;
    assert_ne!(upper["id"], mixed["id"]);
    let exact = scan(&app, &c.practitioner, &format!("(01){GTIN}(10)ABC-1")).await;
    assert_eq!(exact.body["lot"]["id"], upper["id"]);
    let exact = app.get("/api/v1/trace?lot_number=AbC-1", &c.auditor).await;
    assert_eq!(exact.body[0]["lot"]["id"], mixed["id"]);
    for ambiguous in [
        scan(&app, &c.practitioner, &format!("(01){GTIN}(10)abc-1")).await,
        app.get("/api/v1/trace?lot_number=abc-1", &c.auditor).await,
        app.log_session(
            &c.practitioner,
            json!({"patient_ref": "PAT-2", "area": "face", "method": "injectable", "conditions": [],
                   "items": [{"code": format!("(01){GTIN}(10)abc-1"), "quantity": "2"}]}),
        )
        .await,
    ] {
        assert_eq!(ambiguous.status, 409, "{ambiguous:?}");
        assert_eq!(ambiguous.body["type"], "/problems/ambiguous-lot");
        let detail = s(&ambiguous.body["detail"]);
        assert!(
            detail.contains("ABC-1") && detail.contains("AbC-1"),
            "{detail}"
        );
    }
    // Receiving matches exactly: a box scanned with a third spelling is a lot of its own,
    // not refused for the others' sake.
    let third = app
        .post(
            "/api/v1/lots",
            &c.manager,
            json!({"code": format!("(01){GTIN}(17)301231(10)abc-1"), "containers": 1}),
        )
        .await;
    assert_eq!(third.status, 201, "{third:?}");
    assert_eq!(third.body["lot_number"], "abc-1");
    let exact = scan(&app, &c.practitioner, &format!("(01){GTIN}(10)abc-1")).await;
    assert_eq!(exact.body["lot"]["id"], third.body["id"]);
}
