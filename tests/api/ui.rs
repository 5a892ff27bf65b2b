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

mod pages {
    //! The practitioner's pages over HTTP (the browser tests drive the same pages in
    //! Chromium behind the `browser` feature).

    use serde_json::json;

    use crate::accounts::{
        assert_sends_to_sign_in, browse, get_page, member, sign_in, Browser, Page, PASSWORD,
    };
    use crate::helpers::{day, s, spawn_app, Clinic, TestApp};

    /// A clinic with an organic-silicon cocktail, two lots (one expiring first), and a
    /// signed-in practitioner. Answers (clinic, cocktail id, product, cookie).
    async fn chair(app: &TestApp) -> (Clinic, String, serde_json::Value, String) {
        let c = app.clinic("Clinique Iris").await;
        let sil = app
            .product(
                &c.manager,
                json!({"sku": "SIL-5", "name": "Organic silicon 5 ml", "ingredients": ["organic silicon"],
                       "content": "5", "gtin": "09520123456788"}),
            )
            .await;
        app.receive(&c.manager, s(&sil["id"]), "SI-LATE", &day(200), 4)
            .await;
        app.receive(&c.manager, s(&sil["id"]), "SI-SOON", &day(30), 4)
            .await;
        let f = app
            .post(
                "/api/v1/formulations",
                &c.manager,
                json!({"name": "Body firming", "method": "injectable", "areas": ["belly"],
                       "components": [{"product_id": sil["id"], "amount": "5"}]}),
            )
            .await;
        assert_eq!(f.status, 201, "{f:?}");
        member(app, &c.manager, &c.id, "practitioner", "nina@iris.example").await;
        let cookie = sign_in(app, "nina@iris.example", PASSWORD)
            .await
            .session_cookie()
            .unwrap();
        (c, s(&f.body["id"]).to_string(), sil, cookie)
    }

    /// The hidden and visible values of the page's form, as a browser would send them.
    fn fields(page: &Page) -> Vec<(String, String)> {
        let text = &page.text;
        let form = &text[text
            .find("<form method=\"post\" action=\"/sessions/new\"")
            .unwrap()..];
        let mut out = Vec::new();
        let attr = |tag: &str, name: &str| -> Option<String> {
            let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
            Some(tag[at..at + tag[at..].find('"')?].replace("&#38;", "&"))
        };
        let mut rest = form;
        while let Some(i) = rest.find("<input") {
            let tag = &rest[i..i + rest[i..].find('>').unwrap()];
            if let Some(name) = attr(tag, "name") {
                if !tag.contains("type=\"checkbox\"") || tag.contains(" checked") {
                    out.push((name, attr(tag, "value").unwrap_or_default()));
                }
            }
            rest = &rest[i + 6..];
        }
        let mut rest = form;
        while let Some(i) = rest.find("<select") {
            let end = i + rest[i..].find("</select>").unwrap();
            let tag = &rest[i..end];
            let name = attr(tag, "name").unwrap();
            let value = tag
                .split("<option ")
                .find(|o| o.contains(" selected"))
                .and_then(|o| attr(o, "value"))
                .unwrap_or_default();
            out.push((name, value));
            rest = &rest[end..];
        }
        out
    }

    fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
        fields.retain(|(n, _)| n != name);
        fields.push((name.to_string(), value.to_string()));
    }

    async fn post_form(app: &TestApp, cookie: &str, fields: &[(String, String)]) -> Page {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        browse(
            &app.address,
            "POST",
            "/sessions/new",
            Browser {
                cookie: Some(cookie),
                origin: Some(&app.address),
                ..Browser::default()
            },
            &pairs,
        )
        .await
    }

    #[actix_web::test]
    async fn an_unknown_page_is_a_page_for_browsers_and_a_problem_for_the_api() {
        let app = spawn_app().await;
        let page = browse(
            &app.address,
            "GET",
            "/stock-nowhere",
            Browser::default(),
            &[],
        )
        .await;
        assert_eq!(page.status, 404);
        assert!(page.text.contains("Page not found") && page.text.contains("lang=\"en\""));
        let api = browse(
            &app.address,
            "GET",
            "/api/v1/nowhere",
            Browser::default(),
            &[],
        )
        .await;
        assert_eq!(api.status, 404);
        assert!(api.text.contains("\"status\":404"), "{}", api.text);
    }

    #[actix_web::test]
    async fn every_page_sends_a_signed_out_visitor_to_sign_in() {
        let app = spawn_app().await;
        assert_sends_to_sign_in(
            &app.address,
            "GET",
            &["/", "/sessions/new", "/sessions", "/sessions/x", "/courses"],
        )
        .await;
        assert_sends_to_sign_in(&app.address, "POST", &["/sessions/new"]).await;
    }

    #[actix_web::test]
    async fn assets_are_embedded_hashed_and_cached_for_a_year() {
        let app = spawn_app().await;
        let (_, _, _, cookie) = chair(&app).await;
        let home = get_page(&app, "/", &cookie).await;
        for ext in ["css", "js"] {
            let marker = "/static/app.";
            let at = home
                .text
                .match_indices(marker)
                .map(|(i, _)| &home.text[i..])
                .find(|rest| rest.split('"').next().unwrap().ends_with(ext))
                .unwrap_or_else(|| panic!("no {ext} link"));
            let path = at.split('"').next().unwrap();
            assert_eq!(
                path.len(),
                "/static/app.".len() + 12 + 1 + ext.len(),
                "{path}"
            );
            let asset = browse(&app.address, "GET", path, Browser::default(), &[]).await;
            assert_eq!(asset.status, 200);
            assert_eq!(
                asset.header("cache-control").as_deref(),
                Some("public, max-age=31536000, immutable")
            );
            assert!(asset.text.len() > 100);
        }
        let stale = browse(
            &app.address,
            "GET",
            "/static/app.000000000000.css",
            Browser::default(),
            &[],
        )
        .await;
        assert_eq!(stale.status, 404);
        assert!(
            home.text.len() + 20_000 < 100_000,
            "a page and its assets stay small"
        );
        assert!(home.text.contains("lang=\"en\""));
        assert!(home.text.contains("<main id=\"main\">"));
        assert!(home.text.contains("Sign out"));
        assert!(home.text.contains("Clinique Iris"));
    }

    #[actix_web::test]
    async fn a_practitioner_checks_scans_and_logs_a_session_once() {
        let app = spawn_app().await;
        let (c, cocktail, sil, cookie) = chair(&app).await;
        let course = app
            .post(
                "/api/v1/courses",
                &c.practitioner,
                json!({"patient_ref": "PAT-77", "formulation_id": cocktail, "area": "belly", "start_on": day(0)}),
            )
            .await;
        assert_eq!(course.status, 201, "{course:?}");

        // Today's planned course session starts the form with everything filled in.
        let home = get_page(&app, "/", &cookie).await;
        assert!(home.text.contains("PAT-77") && home.text.contains("Body firming"));
        let start = home.text.split("href=\"/sessions/new?").nth(1).unwrap();
        let start = format!(
            "/sessions/new?{}",
            start.split('"').next().unwrap().replace("&#38;", "&")
        );
        let form = get_page(&app, &start, &cookie).await;
        assert_eq!(form.status, 200);
        for label in [
            "Patient code",
            "Area",
            "Method",
            "Cocktail",
            "Conditions",
            "Product",
            "Amount",
            "Lot",
            "Scan a code",
        ] {
            assert!(form.text.contains(&format!(">{label}")), "label {label}");
        }
        assert!(
            form.text.contains(">Pregnancy</label>"),
            "human condition names"
        );
        let mut f = fields(&form);
        assert!(f.contains(&("patient_ref".into(), "PAT-77".into())));
        assert!(f.contains(&("item_product_0".into(), s(&sil["id"]).into())));
        assert!(f.contains(&("item_amount_0".into(), "5".into())));

        // Field errors are listed at the top too, each a link to its field.
        for (field, value, link) in [
            (
                "item_amount_0",
                "abc",
                "href=\"#item_amount_0\">Item 1, amount:",
            ),
            ("patient_ref", "", "href=\"#patient_ref\">Patient code:"),
        ] {
            let mut g = f.clone();
            set(&mut g, field, value);
            set(&mut g, "action", "log");
            let wrong = post_form(&app, &cookie, &g).await;
            assert_eq!(wrong.status, 422, "{wrong:?}");
            assert!(
                wrong.text.contains("id=\"error-summary\""),
                "{}",
                wrong.text
            );
            assert!(wrong.text.contains(link), "{}", wrong.text);
        }

        // Check: screening and FEFO lots, nothing written.
        f.push(("condition".into(), "diabetes".into()));
        set(&mut f, "action", "check");
        let checked = post_form(&app, &cookie, &f).await;
        assert_eq!(checked.status, 200, "{checked:?}");
        assert!(checked.text.contains("Contraindicated"));
        assert!(checked.text.contains("organic silicon with Diabetes"));
        assert!(checked.text.contains("SI-SOON"), "first expiry first out");
        assert!(checked.text.contains(">Override reason</label>"));
        assert_eq!(
            app.get("/api/v1/sessions", &c.manager)
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            0
        );

        // Logging a contraindicated session is refused in plain words.
        set(&mut f, "action", "log");
        let refused = post_form(&app, &cookie, &f).await;
        assert_eq!(refused.status, 409);
        assert!(refused.text.contains("do not treat"));
        f.retain(|(n, v)| !(n == "condition" && v == "diabetes"));
        // Nothing ticked is no answer: the practitioner must say the patient was asked.
        let unanswered = post_form(&app, &cookie, &f).await;
        assert_eq!(unanswered.status, 422, "{unanswered:?}");
        assert!(
            unanswered.text.contains("answer the screening"),
            "{}",
            unanswered.text
        );
        assert!(unanswered
            .text
            .contains("I asked the patient about each of these"));
        set(&mut f, "screened", "1");

        // A scanned code picks its lot into the matching item.
        set(&mut f, "scan", "(01)09520123456788(17)991231(10)SI-LATE");
        set(&mut f, "action", "check");
        let scanned = post_form(&app, &cookie, &f).await;
        assert_eq!(scanned.status, 200, "{scanned:?}");
        assert!(
            scanned.text.contains("Scanned lot SI-LATE"),
            "{}",
            scanned.text
        );
        let mut f = fields(&scanned);
        let late = app
            .get(
                &format!(
                    "/api/v1/lots?lot_number=SI-LATE&product_id={}",
                    s(&sil["id"])
                ),
                &c.manager,
            )
            .await;
        let late_id = s(&late.body[0]["id"]).to_string();
        assert!(f.contains(&("item_lot_0".into(), late_id.clone())), "{f:?}");
        let bad = {
            let mut g = f.clone();
            set(&mut g, "scan", "(01)09520123456788(10)NOPE");
            post_form(&app, &cookie, &g).await
        };
        assert!(bad.text.contains("Lot NOPE of SIL-5 was never received"));
        // A lot that may not be used is refused and changes nothing in the items.
        let soon = app
            .get(
                &format!(
                    "/api/v1/lots?lot_number=SI-SOON&product_id={}",
                    s(&sil["id"])
                ),
                &c.manager,
            )
            .await;
        let soon_id = s(&soon.body[0]["id"]).to_string();
        let lot_path = format!("/api/v1/lots/{soon_id}");
        let q = app
            .post(
                &format!("{lot_path}/quarantine"),
                &c.manager,
                json!({"reason": "fridge check"}),
            )
            .await;
        assert_eq!(q.status, 200, "{q:?}");
        let blocked = {
            let mut g = f.clone();
            set(&mut g, "scan", "(01)09520123456788(10)SI-SOON");
            post_form(&app, &cookie, &g).await
        };
        assert!(
            blocked.text.contains("cannot be used: quarantined"),
            "{}",
            blocked.text
        );
        let after = fields(&blocked);
        assert!(after.contains(&("item_lot_0".into(), late_id.clone())));
        assert!(!after
            .iter()
            .any(|(n, v)| n.starts_with("item_lot_") && *v == soon_id));
        let released = app
            .post(
                &format!("{lot_path}/release"),
                &c.manager,
                json!({"reason": "fridge fine"}),
            )
            .await;
        assert_eq!(released.status, 200, "{released:?}");

        // Log, then a double tap and a reload: one session only.
        set(&mut f, "action", "log");
        let logged = post_form(&app, &cookie, &f).await;
        assert_eq!(logged.status, 303, "{logged:?}");
        let location = logged.header("location").unwrap();
        let again = post_form(&app, &cookie, &f).await;
        assert_eq!(
            again.header("location").unwrap(),
            location,
            "the same session"
        );
        let shown = get_page(&app, &location, &cookie).await;
        assert_eq!(shown.status, 200);
        assert!(shown.text.contains("Session logged"));
        assert!(shown.text.contains("SI-LATE"), "the scanned lot was used");
        assert!(shown.text.contains("Body firming (version 1)"));
        assert!(
            !shown.text.contains(">Void</button>"),
            "practitioners do not void"
        );
        let reload = get_page(&app, &location, &cookie).await;
        assert_eq!(reload.status, 200);
        let all = app.get("/api/v1/sessions", &c.manager).await;
        assert_eq!(all.body.as_array().unwrap().len(), 1, "one session only");
        let home = get_page(&app, "/", &cookie).await;
        assert!(
            !home.text.contains("Start session"),
            "the course date is done"
        );
        assert!(
            home.text.contains("PAT-77"),
            "listed under my sessions today"
        );

        // The list filters by patient code; a bad date is explained, not a 500.
        let list = get_page(&app, "/sessions?patient_ref=PAT-77", &cookie).await;
        assert!(list
            .text
            .contains(&location.split('?').next().unwrap().to_string()));
        let none = get_page(&app, "/sessions?patient_ref=OTHER", &cookie).await;
        assert!(none.text.contains("No session matches"));
        let bad_date = get_page(&app, "/sessions?from=yesterday", &cookie).await;
        assert_eq!(bad_date.status, 422);
        assert!(bad_date.text.contains("use a date such as"));

        // Field errors appear next to the field, in the API's words.
        let fresh = get_page(&app, "/sessions/new", &cookie).await;
        let mut g = fields(&fresh);
        set(&mut g, "item_product_0", s(&sil["id"]));
        set(&mut g, "item_amount_0", "2");
        set(&mut g, "area", "belly");
        set(&mut g, "method", "injectable");
        set(&mut g, "action", "log");
        let missing = post_form(&app, &cookie, &g).await;
        assert_eq!(missing.status, 422, "{missing:?}");
        assert!(
            missing.text.contains("id=\"patient_ref-error\""),
            "{}",
            missing.text
        );
        // Without the CSRF token or from another origin: 403, nothing written.
        g.retain(|(n, _)| n != "csrf_token");
        assert_eq!(post_form(&app, &cookie, &g).await.status, 403);
    }

    #[actix_web::test]
    async fn a_manager_voids_from_the_session_page_and_anyone_plans_a_course() {
        let app = spawn_app().await;
        let (c, cocktail, sil, _) = chair(&app).await;
        let logged = app
            .post(
                "/api/v1/sessions",
                &c.practitioner,
                json!({"patient_ref": "PAT-5", "area": "belly", "method": "injectable", "conditions": [],
                       "items": [{"product_id": sil["id"], "quantity": "5"}]}),
            )
            .await;
        let id = s(&logged.body["id"]).to_string();
        member(&app, &c.manager, &c.id, "manager", "mia@iris.example").await;
        let cookie = sign_in(&app, "mia@iris.example", PASSWORD)
            .await
            .session_cookie()
            .unwrap();
        let page = get_page(&app, &format!("/sessions/{id}"), &cookie).await;
        assert!(page.text.contains(">Void</button>"));
        let csrf = page.csrf_token();
        let void = |reason: &'static str, csrf: String| {
            let app = &app;
            let cookie = cookie.clone();
            let id = id.clone();
            async move {
                browse(
                    &app.address,
                    "POST",
                    &format!("/sessions/{id}/void"),
                    Browser {
                        cookie: Some(&cookie),
                        origin: Some(&app.address),
                        ..Browser::default()
                    },
                    &[("csrf_token", csrf.as_str()), ("reason", reason)],
                )
                .await
            }
        };
        let no_reason = void("", csrf.clone()).await;
        assert_eq!(no_reason.status, 422);
        assert!(no_reason.text.contains("must not be empty"));
        assert_eq!(void("wrong patient", "bad".into()).await.status, 403);
        let done = void("wrong patient", csrf.clone()).await;
        assert_eq!(done.status, 303, "{done:?}");
        let after = get_page(&app, &format!("/sessions/{id}"), &cookie).await;
        assert!(after.text.contains("voided (wrong patient)"));
        // An auditor reads the same page, without Void, and has no treatment menu.
        member(&app, &c.manager, &c.id, "auditor", "aud@iris.example").await;
        let auditor = sign_in(&app, "aud@iris.example", PASSWORD)
            .await
            .session_cookie()
            .unwrap();
        let read = get_page(&app, &format!("/sessions/{id}"), &auditor).await;
        assert_eq!(read.status, 200);
        assert!(read.text.contains("PAT-5") && !read.text.contains(">Void</button>"));
        assert!(!read
            .text
            .contains("href=\"/sessions/new\">New session</a></li>"));
        let no_form = get_page(&app, "/sessions/new", &auditor).await;
        assert_eq!(no_form.status, 403, "auditors never write");

        let courses = get_page(&app, "/courses", &cookie).await;
        assert!(courses.text.contains(">Start date</label>"));
        let plan = browse(
            &app.address,
            "POST",
            "/courses",
            Browser {
                cookie: Some(&cookie),
                origin: Some(&app.address),
                ..Browser::default()
            },
            &[
                ("csrf_token", csrf.as_str()),
                ("patient_ref", "PAT-9"),
                ("formulation_id", cocktail.as_str()),
                ("area", "belly"),
                ("start_on", &day(1)),
                ("sessions", ""),
                ("interval_days", ""),
                ("maintenance_every_days", "60"),
            ],
        )
        .await;
        // Post, redirect, get: reloading the answer plans nothing a second time.
        assert_eq!(plan.status, 303, "{plan:?}");
        let to = plan.header("location").unwrap();
        assert!(to.starts_with("/courses?planned="), "{to}");
        for _ in 0..2 {
            let shown = get_page(&app, &to, &cookie).await;
            assert!(shown.text.contains("Course planned for PAT-9"));
            assert!(shown.text.contains(&day(1)));
        }
        let planned = app
            .get("/api/v1/courses?patient_ref=PAT-9", &c.manager)
            .await;
        assert_eq!(planned.status, 200, "{planned:?}");
        assert_eq!(
            planned.body.as_array().map(Vec::len),
            Some(1),
            "{planned:?}"
        );
        assert_eq!(
            planned.body[0]["maintenance_every_days"], 60,
            "the page's maintenance interval overrides the area's: {planned:?}"
        );
        let bad = browse(
            &app.address,
            "POST",
            "/courses",
            Browser {
                cookie: Some(&cookie),
                origin: Some(&app.address),
                ..Browser::default()
            },
            &[
                ("csrf_token", csrf.as_str()),
                ("patient_ref", ""),
                ("start_on", "soon"),
                ("maintenance_every_days", "often"),
            ],
        )
        .await;
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains("use a date such as"));
        assert!(bad
            .text
            .contains(">Maintenance every … days after the course"));
        assert!(bad.text.contains("enter a whole number"), "{}", bad.text);
    }
}
