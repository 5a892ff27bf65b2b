//! The manager's planning pages: `/forecast` (server-drawn charts and the cover table)
//! and `/cocktails` (versions, the edit form that makes a new version, the clinic's
//! contraindication rules), and the writes other roles may not make.

use serde_json::json;

use crate::accounts::{get_page, Page};
use crate::helpers::{day, s, spawn_app, TestApp};
use crate::ui_buying::{desk, fields, post_form, set, with, Desk};

fn location(p: &Page) -> String {
    p.header("location").unwrap_or_default()
}

/// A cocktail of 2 ml of the hyaluronic acid, made through the API.
async fn cocktail(app: &TestApp, d: &Desk) -> String {
    let f = app
        .post(
            "/api/v1/formulations",
            &d.c.manager,
            json!({"name": "Glow", "method": "injectable", "areas": ["face"],
                "components": [{"product_id": d.ha, "amount": "2"}]}),
        )
        .await;
    assert_eq!(f.status, 201, "{f:?}");
    s(&f.body["id"]).to_string()
}

#[actix_web::test]
async fn the_forecast_draws_a_chart_per_product_and_a_table_of_cover() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    app.receive(&d.c.manager, &d.ha, "HA-L1", &day(200), 10)
        .await;
    app.receive(&d.c.manager, &d.si, "SI-L1", &day(200), 5)
        .await;
    let f = cocktail(&app, &d).await;
    let course = app
        .post(
            "/api/v1/courses",
            &d.c.practitioner,
            json!({"patient_ref": "P-1", "formulation_id": f, "area": "face", "start_on": day(1)}),
        )
        .await;
    assert_eq!(course.status, 201, "{course:?}");
    // Unplanned use of the silicon: 1 ml from a 2 ml single-use vial takes 2 ml, a rate of
    // 2/30 ml a day, which the page must not show as 1.99999 or 2.00001.
    let used = app
        .log_session(
            &d.c.practitioner,
            json!({"patient_ref": "P-2", "area": "face", "method": "injectable", "conditions": [],
                "items": [{"product_id": d.si, "quantity": "1"}]}),
        )
        .await;
    assert_eq!(used.status, 201, "{used:?}");

    let p = get_page(&app, "/forecast", &d.manager).await;
    assert_eq!(p.status, 200, "{p:?}");
    assert!(p.text.contains("href=\"/forecast\" aria-current=\"page\""));
    // One chart per product, each with a path per series and a text alternative.
    assert_eq!(p.text.matches("<svg viewBox=").count(), 2, "{}", p.text);
    assert_eq!(p.text.matches("<path class=\"stock\" d=\"M").count(), 2);
    assert_eq!(p.text.matches("<path class=\"reorder\" d=\"M").count(), 2);
    // Only the hyaluronic acid has planned sessions.
    assert_eq!(p.text.matches("<path class=\"planned\" d=\"M").count(), 1);
    assert!(p
        .text
        .contains("role=\"img\" aria-labelledby=\"chart-1-title\""));
    assert!(p
        .text
        .contains("<title id=\"chart-1-title\">Projected stock of"));
    assert!(p.text.contains("planned session(s): "), "{}", p.text);
    assert!(!p.text.contains("style="), "no inline style (CSP)");
    // The table: the silicon's row, rounded to what can be used.
    let row_start = p
        .text
        .find("Organic silicon scan (SI-SCAN)</a></th>")
        .unwrap();
    let row = &p.text[row_start..row_start + p.text[row_start..].find("</tr>").unwrap()];
    assert!(row.contains(">8 ml<"), "{row}");
    assert!(row.contains(">2 ml<"), "{row}");
    assert!(row.contains(">120 days<"), "{row}");
    assert!(!p.text.contains("2.0000") && !p.text.contains("1.9999"));
    let ha_start = p
        .text
        .find("Hyaluronic acid scan (HA-SCAN)</a></th>")
        .unwrap();
    let ha_row = &p.text[ha_start..ha_start + p.text[ha_start..].find("</tr>").unwrap()];
    assert!(ha_row.contains(">20 ml<"), "{ha_row}");

    // The horizon selector: another horizon, then values the service refuses.
    let sixty = get_page(&app, "/forecast?days=60", &d.manager).await;
    assert_eq!(sixty.status, 200);
    assert!(sixty
        .text
        .contains("<option value=\"60\" selected>60 days</option>"));
    assert!(sixty.text.contains("over 60 days"));
    let words = get_page(&app, "/forecast?days=soon", &d.manager).await;
    assert_eq!(words.status, 422, "{words:?}");
    assert!(words.text.contains("whole number of days"));
    let far = get_page(&app, "/forecast?days=999", &d.manager).await;
    assert_eq!(far.status, 422, "{far:?}");
    assert!(far.text.contains("forecast 1 to 365 days ahead"));
    assert!(!far.text.contains("<svg"));

    // The forecast is the manager's, as in the API.
    assert_eq!(
        get_page(&app, "/forecast", &d.practitioner).await.status,
        403
    );
    assert_eq!(get_page(&app, "/forecast", &d.auditor).await.status, 403);
}

#[actix_web::test]
async fn a_manager_creates_a_cocktail_and_an_edit_makes_version_two() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let list = get_page(&app, "/cocktails", &d.manager).await;
    assert_eq!(list.status, 200, "{list:?}");
    assert!(list.text.contains("No cocktail yet."));
    let mut form = fields(&list, "/cocktails");
    set(&mut form, "name", "Radiance");
    set(&mut form, "method", "injectable");
    set(&mut form, "component_product_1", &d.ha);
    set(&mut form, "component_amount_1", "2");
    let created = post_form(
        &app,
        &d.manager,
        "/cocktails",
        &with(&form, &[("area", "face")]),
    )
    .await;
    assert_eq!(created.status, 303, "{created:?}");
    let to = location(&created);
    let id = to
        .strip_prefix("/cocktails/")
        .and_then(|r| r.split('?').next())
        .unwrap()
        .to_string();

    let show = get_page(&app, &to, &d.manager).await;
    assert_eq!(show.status, 200);
    assert!(show.text.contains("Cocktail created."));
    assert!(show.text.contains("Version 1 (current)"));
    // The edit form starts from the current version; saving adds the silicon.
    let mut edit = fields(&show, &format!("/cocktails/{id}"));
    assert!(
        edit.contains(&("area".to_string(), "face".to_string())),
        "{edit:?}"
    );
    set(&mut edit, "component_amount_1", "3");
    set(&mut edit, "component_product_2", &d.si);
    set(&mut edit, "component_amount_2", "1");
    let saved = post_form(&app, &d.manager, &format!("/cocktails/{id}"), &edit).await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let v2 = get_page(&app, &location(&saved), &d.manager).await;
    assert!(v2.text.contains("Version 2 (current)"), "{}", v2.text);
    assert!(v2.text.contains("Version 1</h3>"));
    assert!(v2.text.contains("Saving makes version 3."));
    // The API sees the same versions: version 1 is as it was.
    let api = app
        .get(&format!("/api/v1/formulations/{id}"), &d.c.auditor)
        .await;
    assert_eq!(api.body["version"], 2);
    assert_eq!(api.body["components"].as_array().unwrap().len(), 2);
    let first = app
        .get(
            &format!("/api/v1/formulations/{id}?version=1"),
            &d.c.auditor,
        )
        .await;
    assert_eq!(first.body["components"][0]["amount"], "2");
    let list = get_page(&app, "/cocktails", &d.manager).await;
    assert!(list.text.contains(&format!(
        "<a href=\"/cocktails/{id}\">Radiance</a></th><td>2</td>"
    )));

    // Bad input: a clear message next to the field, nothing saved, never a 500.
    let mut bad = edit.clone();
    set(&mut bad, "component_amount_1", "lots");
    let words = post_form(&app, &d.manager, &format!("/cocktails/{id}"), &bad).await;
    assert_eq!(words.status, 422, "{words:?}");
    assert!(words.text.contains("must be a number, e.g. 2 or 0.5"));
    assert!(words.text.contains("value=\"lots\""));
    let mut zero = edit.clone();
    set(&mut zero, "component_amount_2", "0");
    set(&mut zero, "name", "");
    let refused = post_form(&app, &d.manager, &format!("/cocktails/{id}"), &zero).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert!(
        refused.text.contains("id=\"name-error\""),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("id=\"component_amount_2-error\""));
    let no_areas: Vec<(String, String)> =
        edit.iter().filter(|(k, _)| k != "area").cloned().collect();
    let areas = post_form(&app, &d.manager, &format!("/cocktails/{id}"), &no_areas).await;
    assert_eq!(areas.status, 422);
    assert!(areas.text.contains("name at least one area"));
    let missing = post_form(&app, &d.manager, "/cocktails/no-such-cocktail", &edit).await;
    assert_eq!(missing.status, 404, "{missing:?}");
    let after = app
        .get(&format!("/api/v1/formulations/{id}"), &d.c.auditor)
        .await;
    assert_eq!(after.body["version"], 2, "nothing saved by refused edits");
}

#[actix_web::test]
async fn a_manager_adds_and_edits_a_contraindication_rule() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let f = cocktail(&app, &d).await;
    let list = get_page(&app, "/cocktails", &d.manager).await;
    // The built-in rules are listed, read-only.
    assert!(list.text.contains("Built in"));
    let mut form = fields(&list, "/cocktail-rules");
    set(&mut form, "condition", "Hyaluronic acid allergy");
    set(&mut form, "ingredient", "hyaluronic acid");
    set(
        &mut form,
        "message",
        "Allergic to hyaluronic acid: do not inject it.",
    );
    let added = post_form(&app, &d.manager, "/cocktail-rules", &form).await;
    assert_eq!(added.status, 303, "{added:?}");
    let after = get_page(&app, &location(&added), &d.manager).await;
    assert!(after.text.contains("Rule added."));
    assert!(after
        .text
        .contains("Allergic to hyaluronic acid: do not inject it."));
    assert!(after.text.contains("ingredient hyaluronic acid"));
    // Screening now applies it, through the same service.
    let check = app
        .post(
            &format!("/api/v1/formulations/{f}/check"),
            &d.c.practitioner,
            json!({"conditions": ["hyaluronic_acid_allergy"]}),
        )
        .await;
    assert_eq!(check.body["ok"], false, "{check:?}");

    // Edit: switch it off.
    let rules = app
        .get("/api/v1/contraindication-rules", &d.c.manager)
        .await;
    let own = rules
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["builtin"] == false)
        .unwrap();
    let id = s(&own["id"]).to_string();
    let page = get_page(&app, &format!("/cocktail-rules/{id}"), &d.manager).await;
    assert_eq!(page.status, 200);
    let edit: Vec<(String, String)> = fields(&page, &format!("/cocktail-rules/{id}"))
        .into_iter()
        .filter(|(k, _)| k != "active")
        .collect();
    let saved = post_form(&app, &d.manager, &format!("/cocktail-rules/{id}"), &edit).await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let after = get_page(&app, &location(&saved), &d.manager).await;
    assert!(
        after
            .text
            .contains(&format!("Inactive · <a href=\"/cocktail-rules/{id}\"")),
        "{}",
        after.text
    );
    let check = app
        .post(
            &format!("/api/v1/formulations/{f}/check"),
            &d.c.practitioner,
            json!({"conditions": ["hyaluronic_acid_allergy"]}),
        )
        .await;
    // Switched off, the rule warns of nothing, but its condition is still one a
    // practitioner may declare (not a 422 that would block every session naming it).
    assert_eq!(check.status, 200, "{check:?}");
    assert_eq!(check.body["ok"], true, "{check:?}");

    // Bad input: messages on the page, nothing written.
    let mut bad = fields(&list, "/cocktail-rules");
    set(&mut bad, "condition", "no way!");
    set(&mut bad, "ingredient", "hyaluronic acid");
    set(&mut bad, "product_id", &d.ha);
    let refused = post_form(&app, &d.manager, "/cocktail-rules", &bad).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert!(refused.text.contains("a condition is a short name"));
    assert!(refused
        .text
        .contains("give an ingredient or a product, not both"));
    assert!(refused.text.contains("id=\"message-error\""));
    let mut blank = edit.clone();
    set(&mut blank, "message", " ");
    let blank = post_form(&app, &d.manager, &format!("/cocktail-rules/{id}"), &blank).await;
    assert_eq!(blank.status, 422, "{blank:?}");
    assert!(blank.text.contains("id=\"message-error\""));
    let count = app
        .get("/api/v1/contraindication-rules", &d.c.manager)
        .await;
    assert_eq!(
        count.body.as_array().unwrap().len(),
        rules.body.as_array().unwrap().len()
    );
}

#[actix_web::test]
async fn practitioners_and_auditors_read_cocktails_but_may_not_write() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let id = cocktail(&app, &d).await;
    let manager_page = get_page(&app, &format!("/cocktails/{id}"), &d.manager).await;
    let edit = fields(&manager_page, &format!("/cocktails/{id}"));
    for cookie in [&d.practitioner, &d.auditor] {
        let list = get_page(&app, "/cocktails", cookie).await;
        assert_eq!(list.status, 200, "{list:?}");
        assert!(list.text.contains("Glow"));
        assert!(!list
            .text
            .contains("<form method=\"post\" action=\"/cocktails\""));
        assert!(!list.text.contains("Add rule"));
        let show = get_page(&app, &format!("/cocktails/{id}"), cookie).await;
        assert_eq!(show.status, 200);
        assert!(show.text.contains("Version 1 (current)"));
        assert!(!show
            .text
            .contains("<form method=\"post\" action=\"/cocktails/"));
        // Posting the manager's form by hand, with their own valid CSRF token: refused.
        let mut form = edit.clone();
        set(&mut form, "csrf_token", &show.csrf_token());
        set(&mut form, "component_amount_1", "5");
        let refused = post_form(&app, cookie, &format!("/cocktails/{id}"), &form).await;
        assert_eq!(refused.status, 403, "{refused:?}");
        let created = post_form(&app, cookie, "/cocktails", &form).await;
        assert_eq!(created.status, 403);
        let rule = post_form(
            &app,
            cookie,
            "/cocktail-rules",
            &[
                ("csrf_token".to_string(), show.csrf_token()),
                ("condition".to_string(), "pregnancy".to_string()),
                ("message".to_string(), "no".to_string()),
            ],
        )
        .await;
        assert_eq!(rule.status, 403);
    }
    // Without the CSRF token even the manager is refused.
    let mut forged = edit.clone();
    set(&mut forged, "csrf_token", "forged");
    let forged = post_form(&app, &d.manager, &format!("/cocktails/{id}"), &forged).await;
    assert_eq!(forged.status, 403);
    let api = app
        .get(&format!("/api/v1/formulations/{id}"), &d.c.auditor)
        .await;
    assert_eq!(api.body["version"], 1);
    let rules = app
        .get("/api/v1/contraindication-rules", &d.c.manager)
        .await;
    assert!(rules
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["builtin"] == true));
    // Signed out: to the sign-in page.
    let out = get_page(&app, "/cocktails", "nobody").await;
    assert_eq!(out.status, 303);
    assert_eq!(location(&out), "/sign-in");
}
