//! The cold chain's pages: `/fridges` (list, add), `/fridges/{id}` (chart over a period,
//! lots inside, excursions, a manual reading), the lot page's cold chain and move, and
//! the fridge select of `/receive`.

use serde_json::{json, Value};

use crate::accounts::{assert_sends_to_sign_in, get_page, Page};
use crate::cold_chain::reading;
use crate::helpers::{day, s, spawn_app, TestApp};
use crate::ui_buying::{desk, fields, post_form, scan, set, with, Desk};
use crate::ui_manager::post_page;

/// A GTIN of a refrigerated product for the receive page.
const GTIN_COLD: &str = "09520123456801";

async fn add_fridge(app: &TestApp, d: &Desk, name: &str) -> String {
    let f = app
        .post("/api/v1/fridges", &d.c.manager, json!({"name": name}))
        .await;
    assert_eq!(f.status, 201, "{f:?}");
    s(&f.body["id"]).to_string()
}

async fn cold_product(app: &TestApp, d: &Desk) -> Value {
    app.product(
        &d.c.manager,
        json!({"sku": "HA-COLD", "name": "Cold HA", "storage": "refrigerated", "gtin": GTIN_COLD}),
    )
    .await
}

fn has(page: &Page, words: &str) {
    assert!(page.text.contains(words), "{words:?} in {}", page.text);
}

fn lacks(page: &Page, words: &str) {
    assert!(!page.text.contains(words), "no {words:?} in {}", page.text);
}

#[actix_web::test]
async fn a_manager_lists_and_adds_fridges_others_read() {
    let app = spawn_app().await;
    assert_sends_to_sign_in(&app.address, "GET", &["/fridges", "/fridges/x"]).await;
    assert_sends_to_sign_in(&app.address, "POST", &["/fridges", "/fridges/x/readings"]).await;
    let d = desk(&app).await;

    let empty = get_page(&app, "/fridges", &d.manager).await;
    assert_eq!(empty.status, 200, "{empty:?}");
    has(&empty, "href=\"/fridges\" aria-current=\"page\"");
    has(&empty, "No fridge yet.");
    has(&empty, "<label for=\"min_celsius\">Lowest °C</label>");
    for cookie in [&d.practitioner, &d.auditor] {
        let seen = get_page(&app, "/fridges", cookie).await;
        assert_eq!(seen.status, 200, "every clinic role reads: {seen:?}");
        lacks(&seen, "action=\"/fridges\"");
    }

    let csrf = empty.csrf_token();
    let forged = post_page(&app, &d.manager, "/fridges", &[("name", "A")]).await;
    assert_eq!(forged.status, 403, "no CSRF token: {forged:?}");
    let seen = get_page(&app, "/fridges", &d.practitioner).await;
    let theirs = seen.csrf_token();
    let refused = post_page(
        &app,
        &d.practitioner,
        "/fridges",
        &[("csrf_token", &theirs), ("name", "Mine")],
    )
    .await;
    assert_eq!(refused.status, 403, "a practitioner adds none: {refused:?}");

    // The service's errors and unreadable numbers stay next to their fields.
    let bad = post_page(
        &app,
        &d.manager,
        "/fridges",
        &[
            ("csrf_token", &csrf),
            ("name", "Vaccine fridge"),
            ("min_celsius", "8"),
            ("max_celsius", "2"),
        ],
    )
    .await;
    assert_eq!(bad.status, 422, "{bad:?}");
    has(
        &bad,
        "id=\"max_celsius-error\" class=\"field-error\">the minimum must be below the maximum",
    );
    has(&bad, "value=\"Vaccine fridge\"");
    let unreadable = post_page(
        &app,
        &d.manager,
        "/fridges",
        &[
            ("csrf_token", &csrf),
            ("name", "Vaccine fridge"),
            ("tolerance_minutes", "half an hour"),
        ],
    )
    .await;
    assert_eq!(unreadable.status, 422, "{unreadable:?}");
    has(&unreadable, "id=\"tolerance_minutes-error\"");
    let nameless = post_page(
        &app,
        &d.manager,
        "/fridges",
        &[("csrf_token", &csrf), ("name", " ")],
    )
    .await;
    assert_eq!(nameless.status, 422, "{nameless:?}");
    has(&nameless, "id=\"name-error\"");

    let added = post_page(
        &app,
        &d.manager,
        "/fridges",
        &[
            ("csrf_token", &csrf),
            ("name", "Vaccine fridge"),
            ("min_celsius", "2.5"),
            ("max_celsius", "8"),
            ("tolerance_minutes", "15"),
        ],
    )
    .await;
    assert_eq!(added.status, 303, "{added:?}");
    let to = added.header("location").unwrap();
    assert!(to.starts_with("/fridges/"), "{to}");
    let again = post_page(
        &app,
        &d.manager,
        "/fridges",
        &[("csrf_token", &csrf), ("name", "Vaccine fridge")],
    )
    .await;
    assert_eq!(again.status, 409, "{again:?}");
    has(&again, "role=\"alert\"");

    let list = get_page(&app, "/fridges", &d.auditor).await;
    has(&list, &format!("<a href=\"{to}\">Vaccine fridge</a>"));
    has(&list, "2.5 to 8 °C");
    has(&list, "15 min");
    has(&list, "never");
    lacks(&list, "class=\"flag\">silent");
}

#[actix_web::test]
async fn the_fridge_page_charts_readings_and_shades_an_excursion() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let fridge = add_fridge(&app, &d, "Vaccine fridge").await;
    let cold = cold_product(&app, &d).await;
    let lot = app
        .post(
            "/api/v1/lots",
            &d.c.manager,
            json!({"product_id": cold["id"], "lot_number": "HA-IN", "expires_on": day(200),
                   "containers": 2, "fridge_id": fridge,
                   "received_at": (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339()}),
        )
        .await;
    assert_eq!(lot.status, 201, "{lot:?}");
    let lot_id = s(&lot.body["id"]).to_string();
    // Warm for 45 minutes, beyond the 30 minutes' tolerance.
    let r = app
        .post(
            &format!("/api/v1/fridges/{fridge}/readings"),
            &d.c.manager,
            json!({"readings": [reading(70, "5"), reading(60, "9.5"), reading(30, "10.5"),
                                reading(15, "5.5"), reading(5, "4")]}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    let path = format!("/fridges/{fridge}");
    let page = get_page(&app, &path, &d.manager).await;
    assert_eq!(page.status, 200, "{page:?}");
    has(&page, "<polyline class=\"temperature\" points=\"");
    has(&page, "<rect class=\"range\"");
    has(&page, "<rect class=\"excursion\"");
    has(&page, "<title>Excursion from ");
    has(&page, " UTC</text>");
    has(&page, "href=\"/fridges/");
    has(&page, &format!("<a href=\"/lots/{lot_id}\">HA-IN</a>"));
    has(&page, "9.5 to 10.5 °C");
    has(&page, &format!("action=\"/fridges/{fridge}/readings\""));
    has(&page, "aria-current=\"true\">Last 24 h");
    // The manager's home points at it.
    let home = get_page(&app, "/", &d.manager).await;
    has(&home, "<h2>Cold chain</h2>");
    has(
        &home,
        "<strong>1</strong> fridge excursion(s) in the last 7 days",
    );
    let seen = get_page(&app, &path, &d.practitioner).await;
    assert_eq!(seen.status, 200);
    has(&seen, "<rect class=\"excursion\"");
    lacks(&seen, "/readings\"");

    // The lot page tells the cold chain and the quarantine.
    let lot_page = get_page(&app, &format!("/lots/{lot_id}"), &d.auditor).await;
    assert_eq!(lot_page.status, 200, "{lot_page:?}");
    has(&lot_page, "<h2 id=\"cold-chain\">Cold chain</h2>");
    has(
        &lot_page,
        &format!("<a href=\"/fridges/{fridge}\">Vaccine fridge</a>"),
    );
    has(&lot_page, "Excursions it went through");
    has(
        &lot_page,
        "<td>Quarantined (fridge Vaccine fridge: excursion",
    );
    lacks(&lot_page, "Move to fridge");

    // Periods: presets, dates, and the service's bound shown next to the field.
    let week = get_page(&app, &format!("{path}?hours=168"), &d.manager).await;
    assert_eq!(week.status, 200);
    has(&week, "aria-current=\"true\">Last 7 days");
    let dated = get_page(
        &app,
        &format!("{path}?from={}&to={}", day(-1), day(0)),
        &d.manager,
    )
    .await;
    assert_eq!(dated.status, 200, "{dated:?}");
    has(&dated, "<rect class=\"excursion\"");
    let long = get_page(
        &app,
        &format!("{path}?from=2026-01-01&to=2026-03-01"),
        &d.manager,
    )
    .await;
    assert_eq!(long.status, 422, "{long:?}");
    has(
        &long,
        "id=\"to-error\" class=\"field-error\">ask for at most",
    );
    lacks(&long, "<svg");
    let backwards = get_page(
        &app,
        &format!("{path}?from=2026-03-01&to=2026-01-01"),
        &d.manager,
    )
    .await;
    assert_eq!(backwards.status, 422);
    has(&backwards, "id=\"from-error\"");
    let unreadable = get_page(&app, &format!("{path}?from=yesterday"), &d.manager).await;
    assert_eq!(unreadable.status, 422);
    has(&unreadable, "give a date as YYYY-MM-DD");

    // A manual reading: CSRF, errors next to fields, then stored.
    let csrf = page.csrf_token();
    let action = format!("{path}/readings");
    let forged = post_page(&app, &d.manager, &action, &[("celsius", "4")]).await;
    assert_eq!(forged.status, 403);
    let theirs = seen.csrf_token();
    let refused = post_page(
        &app,
        &d.practitioner,
        &action,
        &[("csrf_token", &theirs), ("celsius", "4")],
    )
    .await;
    assert_eq!(refused.status, 403, "{refused:?}");
    let warm = post_page(
        &app,
        &d.manager,
        &action,
        &[("csrf_token", &csrf), ("celsius", "warm")],
    )
    .await;
    assert_eq!(warm.status, 422, "{warm:?}");
    has(&warm, "id=\"celsius-error\"");
    has(&warm, "value=\"warm\"");
    let ahead = post_page(
        &app,
        &d.manager,
        &action,
        &[
            ("csrf_token", &csrf),
            ("at", "2099-01-01T00:00"),
            ("celsius", "4"),
        ],
    )
    .await;
    assert_eq!(ahead.status, 422, "{ahead:?}");
    has(
        &ahead,
        "id=\"at-error\" class=\"field-error\">is ahead of time",
    );
    let stored = post_page(
        &app,
        &d.manager,
        &action,
        &[("csrf_token", &csrf), ("celsius", "4.5")],
    )
    .await;
    assert_eq!(stored.status, 303, "{stored:?}");
    let shown = get_page(&app, &stored.header("location").unwrap(), &d.manager).await;
    has(&shown, "Reading stored.");
    has(&shown, "4.5 °C");

    let other = app.clinic("Elsewhere").await;
    crate::accounts::member(&app, &other.manager, &other.id, "manager", "o@else.example").await;
    let cookie = crate::accounts::sign_in(&app, "o@else.example", crate::accounts::PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let hidden = get_page(&app, &path, &cookie).await;
    assert_eq!(hidden.status, 404, "another clinic's fridge");
}

#[actix_web::test]
async fn a_manager_moves_a_lot_between_fridges_from_its_page() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let a = add_fridge(&app, &d, "Fridge A").await;
    let b = add_fridge(&app, &d, "Fridge B").await;
    let cold = cold_product(&app, &d).await;
    let lot = app
        .post(
            "/api/v1/lots",
            &d.c.manager,
            json!({"product_id": cold["id"], "lot_number": "HA-MOVE", "expires_on": day(200),
                   "containers": 1, "fridge_id": a}),
        )
        .await;
    assert_eq!(lot.status, 201, "{lot:?}");
    let path = format!("/lots/{}", s(&lot.body["id"]));
    let page = get_page(&app, &path, &d.manager).await;
    has(&page, "<h3>Move to fridge</h3>");
    has(&page, &format!("<option value=\"{b}\">Fridge B</option>"));
    lacks(&page, &format!("<option value=\"{a}\">"));
    has(&page, "<td>received</td>");
    has(&page, "No excursion while this lot was inside.");

    let action = format!("{path}/move");
    let csrf = page.csrf_token();
    let forged = post_page(
        &app,
        &d.manager,
        &action,
        &[("fridge_id", &b), ("reason", "x")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let auditor = get_page(&app, &path, &d.auditor).await;
    lacks(&auditor, "Move to fridge");
    let refused = post_page(
        &app,
        &d.auditor,
        &action,
        &[
            ("csrf_token", &auditor.csrf_token()),
            ("fridge_id", &b),
            ("reason", "x"),
        ],
    )
    .await;
    assert_eq!(refused.status, 403, "{refused:?}");
    let unchosen = post_page(
        &app,
        &d.manager,
        &action,
        &[
            ("csrf_token", &csrf),
            ("fridge_id", ""),
            ("reason", "defrost"),
        ],
    )
    .await;
    assert_eq!(unchosen.status, 422, "{unchosen:?}");
    has(
        &unchosen,
        "id=\"move_fridge_id-error\" class=\"field-error\">choose the fridge",
    );
    has(&unchosen, "value=\"defrost\"");
    let reasonless = post_page(
        &app,
        &d.manager,
        &action,
        &[("csrf_token", &csrf), ("fridge_id", &b), ("reason", " ")],
    )
    .await;
    assert_eq!(reasonless.status, 422, "{reasonless:?}");
    has(&reasonless, "id=\"move_reason-error\"");
    has(
        &reasonless,
        &format!("<option value=\"{b}\" selected>Fridge B</option>"),
    );

    let moved = post_page(
        &app,
        &d.manager,
        &action,
        &[
            ("csrf_token", &csrf),
            ("fridge_id", &b),
            ("reason", "defrosting A"),
        ],
    )
    .await;
    assert_eq!(moved.status, 303, "{moved:?}");
    let shown = get_page(&app, &moved.header("location").unwrap(), &d.manager).await;
    has(&shown, "Lot moved");
    has(&shown, "<td>defrosting A</td>");
    has(
        &shown,
        &format!("<a href=\"/fridges/{b}\">Fridge B</a></td>"),
    );
    has(&shown, &format!("<option value=\"{a}\">Fridge A</option>"));
}

#[actix_web::test]
async fn the_receive_page_puts_a_refrigerated_delivery_into_a_fridge() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    cold_product(&app, &d).await;
    let without = get_page(&app, "/receive", &d.manager).await;
    lacks(&without, "id=\"fridge_id\"");
    let fridge = add_fridge(&app, &d, "Vaccine fridge").await;
    let page = get_page(&app, "/receive", &d.manager).await;
    has(&page, "<label for=\"fridge_id\">Fridge</label>");
    has(
        &page,
        &format!("<option value=\"{fridge}\">Vaccine fridge</option>"),
    );

    let one = scan(
        &app,
        &d.manager,
        &page,
        "/receive",
        &format!("(01){GTIN_COLD}(17)301231(10)HA-FRIDGE"),
    )
    .await;
    assert_eq!(one.status, 200, "{one:?}");
    let mut f = fields(&one, "/receive");
    set(&mut f, "containers", "2");
    let refused = post_form(
        &app,
        &d.manager,
        "/receive",
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(refused.status, 422, "{refused:?}");
    has(&refused, "id=\"fridge_id-error\" class=\"field-error\">HA-COLD is kept refrigerated: give the fridge");

    let mut f = fields(&refused, "/receive");
    set(&mut f, "fridge_id", &fridge);
    let done = post_form(
        &app,
        &d.manager,
        "/receive",
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(done.status, 303, "{done:?}");
    let fridge_page = get_page(&app, &format!("/fridges/{fridge}"), &d.manager).await;
    has(&fridge_page, "HA-FRIDGE</a>");
}

#[actix_web::test]
async fn a_long_period_lists_at_most_500_readings_and_charts_them_all() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let fridge = add_fridge(&app, &d, "Busy logger").await;
    let readings: Vec<Value> = (1..=501).map(|m| reading(m, "5")).collect();
    let r = app
        .post(
            &format!("/api/v1/fridges/{fridge}/readings"),
            &d.c.manager,
            json!({ "readings": readings }),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let page = get_page(&app, &format!("/fridges/{fridge}"), &d.manager).await;
    assert_eq!(page.status, 200);
    has(&page, "<summary>Readings (501)</summary>");
    has(&page, "The first 500 are listed");
    assert_eq!(
        page.text.matches("<td class=\"nowrap\">5 °C</td>").count(),
        500
    );
    let points = page.text.split("points=\"").nth(1).unwrap();
    let points = &points[..points.find('"').unwrap()];
    assert_eq!(points.split(' ').count(), 501, "the chart draws them all");
    lacks(&page, "<rect class=\"excursion\"");
}

#[actix_web::test]
async fn the_order_page_receives_a_refrigerated_line_into_a_fridge() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let cold = cold_product(&app, &d).await;
    let fridge = add_fridge(&app, &d, "Order fridge").await;
    let supplier = app
        .post(
            "/api/v1/suppliers",
            &d.c.manager,
            json!({"name": "Cold Supplies", "lead_time_days": 3}),
        )
        .await;
    assert_eq!(supplier.status, 201, "{supplier:?}");
    let order = app
        .post(
            "/api/v1/purchase-orders",
            &d.c.manager,
            json!({"supplier_id": supplier.body["id"], "lines": [{"product_id": cold["id"], "containers": 2}]}),
        )
        .await;
    assert_eq!(order.status, 201, "{order:?}");
    let oid = s(&order.body["id"]).to_string();
    let sent = app
        .post(
            &format!("/api/v1/purchase-orders/{oid}/send"),
            &d.c.manager,
            json!({}),
        )
        .await;
    assert_eq!(sent.status, 200, "{sent:?}");

    let receive_at = format!("/purchase-orders/{oid}/receive");
    let page = get_page(&app, &format!("/purchase-orders/{oid}"), &d.manager).await;
    has(
        &page,
        &format!("<option value=\"{fridge}\">Order fridge</option>"),
    );
    let scanned = scan(
        &app,
        &d.manager,
        &page,
        &receive_at,
        &format!("(01){GTIN_COLD}(17)301231(10)HA-PO-COLD"),
    )
    .await;
    assert_eq!(scanned.status, 200, "{scanned:?}");
    let mut f = fields(&scanned, &receive_at);
    set(&mut f, "containers", "2");
    let refused = post_form(
        &app,
        &d.manager,
        &receive_at,
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(refused.status, 422, "{refused:?}");
    has(
        &refused,
        "id=\"fridge_id-error\" class=\"field-error\">HA-COLD is kept refrigerated",
    );

    let mut f = fields(&refused, &receive_at);
    set(&mut f, "fridge_id", &fridge);
    let done = post_form(
        &app,
        &d.manager,
        &receive_at,
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(done.status, 303, "{done:?}");
    let inside = app
        .get(&format!("/api/v1/fridges/{fridge}"), &d.c.manager)
        .await;
    assert_eq!(
        inside.body["lots"][0]["lot_number"], "HA-PO-COLD",
        "{inside:?}"
    );
}
