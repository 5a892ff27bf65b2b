//! GS1 detail kept for traceability: what `/scan` reads.

use serde_json::json;

use crate::helpers::{s, spawn_app, TestApp};

const GTIN: &str = "09501101020917";

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
