//! Safety first (issue 13, points 1–3): screening cannot be skipped or dodged by
//! spelling; patient codes stay codes; what was scanned is what is used.

use serde_json::{json, Value};

use crate::helpers::{ago, day, field_errors, s, spawn_app, TestApp};

/// A GS1 bracketed code for `gtin`, lot `lot` and the expiry `expires_on` (YYYY-MM-DD).
fn code(gtin: &str, expires_on: &str, lot: &str) -> String {
    let yymmdd = format!(
        "{}{}{}",
        &expires_on[2..4],
        &expires_on[5..7],
        &expires_on[8..10]
    );
    format!("(01){gtin}(17){yymmdd}(10){lot}")
}

async fn cocktail(app: &TestApp, token: &str, areas: Value, components: Value) -> String {
    let f = app
        .post(
            "/api/v1/formulations",
            token,
            json!({"name": "Body firming", "method": "injectable", "areas": areas, "components": components}),
        )
        .await;
    assert_eq!(f.status, 201, "{f:?}");
    s(&f.body["id"]).to_string()
}

#[actix_web::test]
async fn screening_cannot_be_skipped_or_dodged_by_spelling() {
    let app = spawn_app().await;
    let c = app.clinic("Screening first").await;
    // Spellings and synonyms are one ingredient.
    let mmst = app
        .product(
            &c.manager,
            json!({"sku": "MMST", "kind": "ampoule", "content": "5",
            "ingredients": ["Monomethylsilanetriol", "organic_silicon"]}),
        )
        .await;
    assert_eq!(mmst["ingredients"], json!(["organic silicon"]));
    assert!(mmst.get("warnings").is_none(), "{mmst}");
    let ha = app
        .product(
            &c.manager,
            json!({"sku": "NaHA", "ingredients": ["Sodium-Hyaluronate"]}),
        )
        .await;
    assert_eq!(ha["ingredients"], json!(["hyaluronic acid"]));
    // An ingredient no rule knows is accepted, with a warning in the answer.
    let typo = app
        .product(
            &c.manager,
            json!({"sku": "TYPO", "ingredients": ["organic silicone"]}),
        )
        .await;
    assert!(
        s(&typo["warnings"][0]).contains("organic silicone"),
        "{typo}"
    );
    for (p, n) in [(&mmst, "M-1"), (&ha, "H-1")] {
        app.receive(&c.manager, s(&p["id"]), n, &day(200), 10).await;
    }
    let body = cocktail(
        &app,
        &c.manager,
        json!(["belly"]),
        json!([{"product_id": mmst["id"], "amount": "5"}]),
    )
    .await;
    let with = |extra: Value| {
        let mut b = json!({"patient_ref": "P-0042", "area": "belly", "method": "injectable",
                           "formulation_id": body});
        crate::helpers::merge(&mut b, extra);
        b
    };

    // No screening answer: refused, with a cocktail or without one.
    let skipped = app.log_session(&c.practitioner, with(json!({}))).await;
    assert_eq!(skipped.status, 422, "{skipped:?}");
    assert_eq!(field_errors(&skipped), ["conditions"]);
    assert!(s(&skipped.body["errors"][0]["message"]).contains("answer the screening"));
    let plain = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-0042", "area": "face", "method": "injectable",
            "items": [{"product_id": ha["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(plain.status, 422, "{plain:?}");
    assert_eq!(field_errors(&plain), ["conditions"]);
    let null = app
        .log_session(&c.practitioner, with(json!({"conditions": null})))
        .await;
    assert_eq!(null.status, 422, "{null:?}");

    // Synonyms of conditions are the condition; anticoagulants stop a treatment.
    for (said, condition, ingredient) in [
        ("Breastfeeding", "lactation", "organic silicon"),
        ("flu", "acute_illness", "any"),
        ("cough", "acute_illness", "any"),
        ("anticoagulant treatment", "anticoagulants", "any"),
    ] {
        let r = app
            .log_session(&c.practitioner, with(json!({"conditions": [said]})))
            .await;
        assert_eq!(r.status, 409, "{said}: {r:?}");
        assert_eq!(r.body["type"], "/problems/contraindicated");
        let found = &r.body["contraindications"][0];
        assert_eq!(
            (s(&found["condition"]), s(&found["ingredient"])),
            (condition, ingredient),
            "{said}: {r:?}"
        );
    }

    // A cocktail's areas bind: another area needs a reason, recorded.
    let face = app
        .log_session(
            &c.practitioner,
            with(json!({"conditions": [], "area": "face"})),
        )
        .await;
    assert_eq!(face.status, 409, "{face:?}");
    assert_eq!(face.body["type"], "/problems/area-not-planned");
    assert!(s(&face.body["detail"]).contains("is for belly, not face"));
    let overridden = app
        .log_session(
            &c.practitioner,
            with(
                json!({"conditions": [], "area": "legs", "area_override_reason": "doctor's order"}),
            ),
        )
        .await;
    assert_eq!(overridden.status, 201, "{overridden:?}");
    assert_eq!(overridden.body["area_override_reason"], "doctor's order");
    let asked = app
        .log_session(&c.practitioner, with(json!({"conditions": []})))
        .await;
    assert_eq!(asked.status, 201, "{asked:?}");
    assert_eq!(asked.body["conditions"], json!([]));

    // The known conditions, with names people read.
    let known = app.get("/api/v1/conditions", &c.practitioner).await;
    assert_eq!(known.status, 200, "{known:?}");
    let lactation = known
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["condition"] == "lactation")
        .cloned()
        .unwrap();
    assert_eq!(lactation["label"], "Breast-feeding (lactation)");
    assert!(lactation["synonyms"]
        .as_array()
        .unwrap()
        .contains(&json!("breastfeeding")));
    assert!(known.text.contains("\"Anticoagulant treatment\""));
    let admin = app
        .get("/api/v1/conditions", crate::helpers::ADMIN_TOKEN)
        .await;
    assert_eq!(admin.status, 403, "{admin:?}");
    let doc = app.get("/api/v1/openapi.json", &c.auditor).await;
    let responses = &doc.body["paths"]["/conditions"]["get"]["responses"];
    for status in ["200", "401", "403"] {
        assert!(responses.get(status).is_some(), "{status}: {responses}");
    }
}

#[actix_web::test]
async fn patient_codes_stay_codes() {
    let app = spawn_app().await;
    let c = app.clinic("Codes").await;
    let ha = app.product(&c.manager, json!({})).await;
    app.receive(&c.manager, s(&ha["id"]), "H", &day(100), 10)
        .await;
    let f = cocktail(
        &app,
        &c.manager,
        json!(["face"]),
        json!([{"product_id": ha["id"], "amount": "2"}]),
    )
    .await;
    let session = |patient: &str| {
        json!({"patient_ref": patient, "area": "face", "method": "injectable", "conditions": [],
               "formulation_id": f})
    };
    let named = app
        .log_session(&c.practitioner, session("Marie Dupont"))
        .await;
    assert_eq!(named.status, 422, "{named:?}");
    assert_eq!(named.body["type"], "/problems/invalid-fields");
    assert_eq!(field_errors(&named), ["patient_ref"]);
    let why = s(&named.body["errors"][0]["message"]);
    assert!(
        why.contains("never a name") && why.contains("without spaces"),
        "{why}"
    );
    let course = app
        .post(
            "/api/v1/courses",
            &c.practitioner,
            json!({"patient_ref": "Marie Dupont", "formulation_id": f, "area": "face", "start_on": day(1)}),
        )
        .await;
    assert_eq!(course.status, 422, "{course:?}");
    assert_eq!(field_errors(&course), ["patient_ref"]);

    // The clinic's own pattern, itself checked when set.
    let clinic = format!("/api/v1/clinics/{}", c.id);
    for bad in ["[0-9", &"a".repeat(201)] {
        let r = app
            .patch(&clinic, &c.manager, json!({"patient_code_pattern": bad}))
            .await;
        assert_eq!(r.status, 422, "{r:?}");
        assert_eq!(field_errors(&r), ["patient_code_pattern"]);
    }
    let denied = app
        .patch(
            &clinic,
            &c.practitioner,
            json!({"patient_code_pattern": ".*"}),
        )
        .await;
    assert_eq!(denied.status, 403);
    let set = app
        .patch(
            &clinic,
            &c.manager,
            json!({"patient_code_pattern": "MC-[0-9]{4}"}),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(set.body["patient_code_pattern"], "MC-[0-9]{4}");
    let other = app.log_session(&c.practitioner, session("P-0042")).await;
    assert_eq!(other.status, 422, "{other:?}");
    assert!(s(&other.body["errors"][0]["message"]).contains("MC-[0-9]{4}"));
    let ok = app.log_session(&c.practitioner, session("MC-0042")).await;
    assert_eq!(ok.status, 201, "{ok:?}");
    let reset = app
        .patch(&clinic, &c.manager, json!({"patient_code_pattern": ""}))
        .await;
    assert_eq!(reset.body["patient_code_pattern"], "[A-Za-z0-9._-]{1,40}");
    let ok = app.log_session(&c.practitioner, session("P-0042")).await;
    assert_eq!(ok.status, 201, "{ok:?}");
}

#[actix_web::test]
async fn what_was_scanned_is_what_is_used() {
    let app = spawn_app().await;
    let c = app.clinic("Scanned").await;
    let gtin = "09520123456788";
    let ha = app
        .product(&c.manager, json!({"sku": "HA", "gtin": gtin}))
        .await;
    let needle = app
        .product(
            &c.manager,
            json!({"sku": "N32", "kind": "needle", "stock_unit": "piece", "content": "100", "ingredients": []}),
        )
        .await;
    let expires = day(200);
    // Received three days ago, entered today.
    let old = app
        .receive_days_ago(&c.manager, s(&ha["id"]), "L-OLD", &expires, 5, 3)
        .await;
    assert!(s(&old["received_at"]).starts_with(&day(-3)), "{old}");
    app.receive(&c.manager, s(&needle["id"]), "N-1", &day(300), 1)
        .await;
    let f = cocktail(
        &app,
        &c.manager,
        json!(["face"]),
        json!([{"product_id": ha["id"], "amount": "2"}, {"product_id": needle["id"], "amount": "2"}]),
    )
    .await;
    let session = |items: Value| {
        json!({"patient_ref": "P-1", "area": "face", "method": "injectable", "conditions": [],
               "formulation_id": f, "items": items})
    };

    // A code whose expiry is not the lot's: 409 naming both dates.
    let other_day = day(150);
    let wrong = app
        .log_session(
            &c.practitioner,
            session(json!([{"code": code(gtin, &other_day, "L-OLD")}])),
        )
        .await;
    assert_eq!(wrong.status, 409, "{wrong:?}");
    assert_eq!(wrong.body["type"], "/problems/expiry-mismatch");
    let detail = s(&wrong.body["detail"]);
    assert!(
        detail.contains(&expires) && detail.contains(&other_day),
        "{detail}"
    );

    // One scanned item overrides its component; the rest of the cocktail stays.
    let scanned = app
        .log_session(
            &c.practitioner,
            session(json!([{"code": code(gtin, &expires, "L-OLD")}])),
        )
        .await;
    assert_eq!(scanned.status, 201, "{scanned:?}");
    let used: Vec<(&str, &str)> = scanned.body["usage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (s(&u["sku"]), s(&u["quantity"])))
        .collect();
    assert_eq!(used, [("HA", "2"), ("N32", "2")]);
    // Leaving a component out is explicit, and the variance shows it.
    for omit in [json!({"omit": true}), json!({"quantity": "0"})] {
        let mut item = json!({"product_id": needle["id"]});
        crate::helpers::merge(&mut item, omit.clone());
        let r = app
            .log_session(&c.practitioner, session(json!([item])))
            .await;
        assert_eq!(r.status, 201, "{omit}: {r:?}");
        let needle_line = r.body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["product_id"] == needle["id"])
            .cloned()
            .unwrap();
        assert_eq!(
            (s(&needle_line["planned"]), s(&needle_line["actual"])),
            ("2", "0")
        );
        assert_eq!(r.body["usage"].as_array().unwrap().len(), 1, "{r:?}");
    }
    let stray = app.product(&c.manager, json!({"sku": "STRAY"})).await;
    let bad = app
        .log_session(
            &c.practitioner,
            session(json!([{"product_id": stray["id"], "omit": true}])),
        )
        .await;
    assert_eq!(bad.status, 422, "{bad:?}");
    assert_eq!(field_errors(&bad), ["items[0].omit"]);

    // A back-dated session may only use lots received before it.
    let new = app
        .receive(&c.manager, s(&ha["id"]), "L-NEW", &day(100), 5)
        .await;
    let two_days_ago = ago(2);
    let named = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-2", "area": "face", "method": "injectable",
            "conditions": [], "performed_at": two_days_ago,
            "items": [{"product_id": ha["id"], "quantity": "1", "lot_id": new["id"]}]}),
        )
        .await;
    assert_eq!(named.status, 409, "{named:?}");
    assert_eq!(named.body["type"], "/problems/lot-blocked");
    assert!(s(&named.body["detail"]).contains("L-NEW"), "{named:?}");
    let fefo = app
        .log_session(
            &c.practitioner,
            json!({"patient_ref": "P-2", "area": "face", "method": "injectable",
            "conditions": [], "performed_at": two_days_ago,
            "items": [{"product_id": ha["id"], "quantity": "1"}]}),
        )
        .await;
    assert_eq!(fefo.status, 201, "{fefo:?}");
    assert_eq!(
        fefo.body["usage"][0]["lot_number"], "L-OLD",
        "L-NEW expires first but was not there yet"
    );

    // received_at keeps the sessions' back-dating window.
    for (when, field) in [(ago(91), "received_at"), (ago(-1), "received_at")] {
        let r = app
            .post(
                "/api/v1/lots",
                &c.manager,
                json!({"product_id": ha["id"], "lot_number": "L-X",
                "expires_on": day(100), "containers": 1, "received_at": when}),
            )
            .await;
        assert_eq!(r.status, 422, "{r:?}");
        assert_eq!(field_errors(&r), [field]);
    }

    // A purchase order received yesterday, entered today.
    let supplier = app
        .post(
            "/api/v1/suppliers",
            &c.manager,
            json!({"name": "Dermaline", "lead_time_days": 3}),
        )
        .await;
    let order = app
        .post(
            "/api/v1/purchase-orders",
            &c.manager,
            json!({"supplier_id": supplier.body["id"],
            "lines": [{"product_id": ha["id"], "containers": 2}]}),
        )
        .await;
    assert_eq!(order.status, 201, "{order:?}");
    let id = s(&order.body["id"]).to_string();
    let sent = app
        .post(
            &format!("/api/v1/purchase-orders/{id}/send"),
            &c.manager,
            json!({}),
        )
        .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    let received = app
        .post(&format!("/api/v1/purchase-orders/{id}/receive"), &c.manager, json!({
            "received_at": ago(1),
            "lines": [{"product_id": ha["id"], "lot_number": "PO-1", "expires_on": day(120), "containers": 2}]}))
        .await;
    assert_eq!(received.status, 200, "{received:?}");
    let lot = app
        .get(
            &format!("/api/v1/lots?lot_number=PO-1&product_id={}", s(&ha["id"])),
            &c.manager,
        )
        .await;
    assert!(
        s(&lot.body[0]["received_at"]).starts_with(&day(-1)),
        "{lot:?}"
    );
}
