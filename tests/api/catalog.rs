//! Suppliers and products: validation, GTIN check digits, partial updates.

use serde_json::json;

use crate::helpers::{field_errors, spawn_app};

#[actix_web::test]
async fn product_round_trip_with_exact_decimals_and_gtin_14() {
    let app = spawn_app().await;
    let c = app.clinic("Catalog").await;
    let sup = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": "MesoPharma", "lead_time_days": 5, "email": "o@meso.example"}),
        )
        .await;
    assert_eq!(sup.status, 201, "{sup:?}");
    let p = app
        .product(
            &c.manager,
            json!({
                "sku": "POLY-10", "kind": "vial", "content": "10", "single_use": false,
                "gtin": "4150000021126", "unit_cost": "42.005", "reorder_point": "12.5",
                "supplier_id": sup.body["id"], "ingredients": ["Hyaluronic Acid", "Vitamins"]
            }),
        )
        .await;
    assert_eq!(p["gtin"], "04150000021126", "GTIN-13 is stored as GTIN-14");
    assert_eq!(p["unit_cost"], "42.005");
    assert_eq!(p["reorder_point"], "12.5");
    assert_eq!(p["content"], "10");
    assert_eq!(p["beyond_use_days"], 28, "multi-dose default (USP <797>)");
    assert_eq!(p["ingredients"], json!(["hyaluronic acid", "vitamins"]));
    let got = app
        .get(
            &format!("/api/v1/products/{}", p["id"].as_str().unwrap()),
            &c.practitioner,
        )
        .await;
    assert_eq!(got.body["unit_cost"], "42.005");
    assert_eq!(got.body["supplier_id"], sup.body["id"]);
}

#[actix_web::test]
async fn gtin_check_digit_is_verified() {
    let app = spawn_app().await;
    let c = app.clinic("GTIN").await;
    let base = json!({"sku": "N30", "name": "Needle 30G", "kind": "needle", "stock_unit": "piece", "single_use": true, "storage": "room"});
    for (gtin, ok) in [
        ("09501101020917", true),
        ("09501101020918", false),
        ("96385074", true),
        ("12345", false),
        ("0950110102091X", false),
    ] {
        let mut body = base.clone();
        body["sku"] = json!(format!("N-{gtin}"));
        body["gtin"] = json!(gtin);
        let a = app.post("/api/v1/products", &c.manager, body).await;
        if ok {
            assert_eq!(a.status, 201, "{gtin}: {a:?}");
        } else {
            assert_eq!(a.status, 422, "{gtin}: {a:?}");
            assert_eq!(field_errors(&a), vec!["gtin"]);
        }
    }
    let bad = app.post("/api/v1/products", &c.manager, json!({"sku": "N-x", "name": "x", "kind": "needle", "stock_unit": "piece", "single_use": true, "storage": "room", "gtin": "09501101020918"})).await;
    assert!(
        bad.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("should end in 7"),
        "{bad:?}"
    );
}

#[actix_web::test]
async fn invalid_products_list_every_bad_field() {
    let app = spawn_app().await;
    let c = app.clinic("Invalid").await;
    let a = app
        .post(
            "/api/v1/products",
            &c.manager,
            json!({"sku": "", "name": "x", "kind": "syringe", "stock_unit": "litre", "single_use": true, "storage": "garage",
                   "reorder_point": "-1", "unit_cost": "0.0000001"}),
        )
        .await;
    assert_eq!(a.status, 422, "{a:?}");
    assert_eq!(a.content_type, "application/problem+json");
    let f = field_errors(&a);
    for expected in [
        "sku",
        "kind",
        "stock_unit",
        "storage",
        "reorder_point",
        "unit_cost",
    ] {
        assert!(
            f.contains(&expected.to_string()),
            "{expected} missing from {f:?}"
        );
    }
    // Rules that join fields: ml products need their content, needles are pieces.
    let no_content = app.post("/api/v1/products", &c.manager, json!({"sku": "A", "name": "A", "kind": "ampoule", "stock_unit": "ml", "single_use": true, "storage": "room"})).await;
    assert_eq!(field_errors(&no_content), vec!["content"]);
    let needle_ml = app.post("/api/v1/products", &c.manager, json!({"sku": "B", "name": "B", "kind": "needle", "stock_unit": "ml", "content": "1", "single_use": true, "storage": "room"})).await;
    assert_eq!(field_errors(&needle_ml), vec!["stock_unit"]);
    let single_bud = app.post("/api/v1/products", &c.manager, json!({"sku": "C", "name": "C", "kind": "vial", "stock_unit": "ml", "content": "2", "single_use": true, "beyond_use_days": 28, "storage": "room"})).await;
    assert_eq!(field_errors(&single_bud), vec!["beyond_use_days"]);
}

#[actix_web::test]
async fn duplicates_conflict_and_patch_changes_only_what_is_sent() {
    let app = spawn_app().await;
    let c = app.clinic("Patch").await;
    let p = app.product(&c.manager, json!({"sku": "HA-2"})).await;
    let id = p["id"].as_str().unwrap();
    let dup = app.post("/api/v1/products", &c.manager, json!({"sku": "HA-2", "name": "x", "kind": "needle", "stock_unit": "piece", "single_use": true, "storage": "room"})).await;
    assert_eq!(dup.status, 409, "{dup:?}");
    assert_eq!(dup.body["type"], "/problems/duplicate");

    let patched = app
        .patch(
            &format!("/api/v1/products/{id}"),
            &c.manager,
            json!({"reorder_point": "6.25", "name": "HA 2 ml vial"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{patched:?}");
    assert_eq!(patched.body["reorder_point"], "6.25");
    assert_eq!(patched.body["name"], "HA 2 ml vial");
    assert_eq!(patched.body["sku"], "HA-2");
    assert_eq!(patched.body["unit_cost"], "14.5");
    let bad = app
        .patch(
            &format!("/api/v1/products/{id}"),
            &c.manager,
            json!({"kind": "roller"}),
        )
        .await;
    assert_eq!(bad.status, 422, "a roller is counted in pieces: {bad:?}");
    let after = app.get(&format!("/api/v1/products/{id}"), &c.manager).await;
    assert_eq!(
        after.body["kind"], "vial",
        "a refused patch changes nothing"
    );

    // Content cannot change under lots already received.
    app.receive(&c.manager, id, "L1", &crate::helpers::day(30), 1)
        .await;
    let content = app
        .patch(
            &format!("/api/v1/products/{id}"),
            &c.manager,
            json!({"content": "3"}),
        )
        .await;
    assert_eq!(content.status, 422, "{content:?}");

    let s1 = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": "One", "lead_time_days": 3}),
        )
        .await;
    app.post(
        "/api/v1/suppliers",
        &c.manager,
        json!({"name": "Two", "lead_time_days": 3}),
    )
    .await;
    let clash = app
        .patch(
            &format!("/api/v1/suppliers/{}", s1.body["id"].as_str().unwrap()),
            &c.manager,
            json!({"name": "Two"}),
        )
        .await;
    assert_eq!(clash.status, 409);
    let lead = app
        .patch(
            &format!("/api/v1/suppliers/{}", s1.body["id"].as_str().unwrap()),
            &c.manager,
            json!({"lead_time_days": 7, "email": "a@b.example"}),
        )
        .await;
    assert_eq!(lead.status, 200);
    assert_eq!(lead.body["lead_time_days"], 7);
    assert_eq!(lead.body["name"], "One");
    let bad_lead = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": "Neg", "lead_time_days": -1}),
        )
        .await;
    assert_eq!(field_errors(&bad_lead), vec!["lead_time_days"]);
}
