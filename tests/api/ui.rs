//! The practitioner's web pages and the session dry run they stand on.

use serde_json::json;

use crate::helpers::{day, dec, s, spawn_app};

#[actix_web::test]
async fn a_dry_run_answers_the_plan_and_writes_nothing() {
    let app = spawn_app().await;
    let c = app.clinic("Dry run").await;
    let silicon = app
        .product(
            &c.manager,
            json!({"sku": "SIL", "ingredients": ["organic silicon"]}),
        )
        .await;
    let late = app
        .receive(&c.manager, s(&silicon["id"]), "L-LATE", &day(300), 3)
        .await;
    let soon = app
        .receive(&c.manager, s(&silicon["id"]), "L-SOON", &day(20), 3)
        .await;
    let body = json!({"patient_ref": "PAT-9", "area": "face", "method": "injectable",
        "conditions": ["diabetes"], "items": [{"product_id": silicon["id"], "quantity": "2"}]});
    let plan = app
        .post(
            "/api/v1/sessions?dry_run=true",
            &c.practitioner,
            body.clone(),
        )
        .await;
    assert_eq!(plan.status, 200, "{plan:?}");
    assert_eq!(plan.body["ok"], false, "diabetes and organic silicon");
    assert_eq!(plan.body["contraindications"][0]["condition"], "diabetes");
    assert_eq!(
        plan.body["usage"][0]["lot_id"], soon["id"],
        "first expiry first out"
    );
    assert_eq!(plan.body["usage"][0]["lot_number"], "L-SOON");
    let mut overridden = body.clone();
    overridden["override_reason"] = json!("doctor's written consent");
    let plan = app
        .post("/api/v1/sessions?dry_run=true", &c.practitioner, overridden)
        .await;
    assert_eq!(plan.body["ok"], true);
    // Nothing was written: no session, no movement, stock unchanged.
    let sessions = app.get("/api/v1/sessions", &c.manager).await;
    assert_eq!(sessions.body.as_array().unwrap().len(), 0);
    for lot in [&soon, &late] {
        let now = app
            .get(&format!("/api/v1/lots/{}", s(&lot["id"])), &c.manager)
            .await;
        assert_eq!(dec(&now.body["on_hand"]), dec(&lot["on_hand"]));
    }
    let moves = app
        .get(
            &format!("/api/v1/movements?lot_id={}", s(&soon["id"])),
            &c.manager,
        )
        .await;
    assert_eq!(moves.body.as_array().unwrap().len(), 1, "only the receipt");
    // The same checks as a real session: an auditor may not, bad fields are 422.
    assert_eq!(
        app.post("/api/v1/sessions?dry_run=true", &c.auditor, body.clone())
            .await
            .status,
        403
    );
    let mut bad = body;
    bad["area"] = json!("elbow");
    let r = app
        .post("/api/v1/sessions?dry_run=true", &c.practitioner, bad)
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "area");
}
