//! The manager's and the auditor's pages: the home overview, `/stock`, `/lots/{id}` with
//! its status changes, `/trace` and its CSV (the browser tests drive them in Chromium).

use serde_json::{json, Value};

use crate::accounts::{
    assert_sends_to_sign_in, browse, get_page, member, sign_in, Browser, Page, PASSWORD,
};
use crate::helpers::{day, s, spawn_app, Clinic, TestApp};

/// A clinic with a low product (HA-LOW: 2 ml, reorder point 4), a well-stocked one
/// (SIL-OK) whose lot SI-TRACE was used by two sessions (one voided), and cookies of a
/// signed-in manager and auditor.
struct Shop {
    c: Clinic,
    low: Value,
    lot_id: String,
    manager: String,
    auditor: String,
}

async fn shop(app: &TestApp) -> Shop {
    let c = app.clinic("Clinique Rose").await;
    let low = app
        .product(
            &c.manager,
            json!({"sku": "HA-LOW", "name": "Hyaluronic acid low"}),
        )
        .await;
    app.receive(&c.manager, s(&low["id"]), "HA-1", &day(200), 1)
        .await;
    let ok = app
        .product(
            &c.manager,
            json!({"sku": "SIL-OK", "name": "Organic silicon plenty", "ingredients": ["organic silicon"]}),
        )
        .await;
    let lot = app
        .receive(&c.manager, s(&ok["id"]), "SI-TRACE", &day(300), 10)
        .await;
    for patient in ["PAT-A", "PAT-B"] {
        let logged = app
            .log_session(
                &c.practitioner,
                json!({"patient_ref": patient, "area": "face", "method": "injectable", "conditions": [],
                       "items": [{"product_id": ok["id"], "quantity": "2"}]}),
            )
            .await;
        assert_eq!(logged.status, 201, "{logged:?}");
        if patient == "PAT-B" {
            let void = app
                .post(
                    &format!("/api/v1/sessions/{}/void", s(&logged.body["id"])),
                    &c.manager,
                    json!({"reason": "wrong patient"}),
                )
                .await;
            assert_eq!(void.status, 200, "{void:?}");
        }
    }
    member(app, &c.manager, &c.id, "manager", "max@rose.example").await;
    member(app, &c.manager, &c.id, "auditor", "ada@rose.example").await;
    let manager = sign_in(app, "max@rose.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let auditor = sign_in(app, "ada@rose.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    Shop {
        c,
        low,
        lot_id: s(&lot["id"]).to_string(),
        manager,
        auditor,
    }
}

pub(crate) async fn post_page(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Page {
    browse(
        &app.address,
        "POST",
        path,
        Browser {
            cookie: Some(cookie),
            origin: Some(&app.address),
            ..Browser::default()
        },
        form,
    )
    .await
}

#[actix_web::test]
async fn the_new_pages_send_a_signed_out_visitor_to_sign_in() {
    let app = spawn_app().await;
    assert_sends_to_sign_in(
        &app.address,
        "GET",
        &[
            "/stock",
            "/lots/x",
            "/trace",
            "/trace?lot_number=A",
            "/trace.csv",
        ],
    )
    .await;
    assert_sends_to_sign_in(
        &app.address,
        "POST",
        &["/lots/x/quarantine", "/lots/x/release", "/lots/x/recall"],
    )
    .await;
}

#[actix_web::test]
async fn the_managers_home_counts_alerts_and_lists_open_orders_and_recalls() {
    let app = spawn_app().await;
    let shop = shop(&app).await;
    let home = get_page(&app, "/", &shop.manager).await;
    assert_eq!(home.status, 200, "{home:?}");
    // The menu of a manager; the counts are the API's alerts, each a link to the list.
    for (href, label) in [("/", "Home"), ("/stock", "Stock"), ("/trace", "Trace")] {
        assert!(
            home.text.contains(&format!("href=\"{href}\"")) && home.text.contains(label),
            "{label}"
        );
    }
    let alerts = app.get("/api/v1/alerts", &shop.c.manager).await;
    assert_eq!(alerts.status, 200);
    assert_eq!(alerts.body["low"], 1, "{alerts:?}");
    for (key, code) in [
        ("low", "low"),
        ("out", "out"),
        ("expiring", "expiring"),
        ("expired_stock", "expired_stock"),
        ("at_risk", "at_risk"),
        ("reorder", "reorder"),
    ] {
        let link = format!(
            "href=\"/stock?flag={code}\"><strong>{}</strong>",
            alerts.body[key]
        );
        assert!(home.text.contains(&link), "{link} in {}", home.text);
    }
    assert!(home.text.contains("No open purchase order"));
    assert!(home.text.contains("No open recall case"));
    assert!(
        home.text.contains("Planned for today"),
        "a manager treats too"
    );

    // An order and a recall appear; a received order would not.
    let supplier = app
        .post(
            "/api/v1/suppliers",
            &shop.c.manager,
            json!({"name": "Meso Supplies", "lead_time_days": 3}),
        )
        .await;
    assert_eq!(supplier.status, 201, "{supplier:?}");
    let order = app
        .post(
            "/api/v1/purchase-orders",
            &shop.c.manager,
            json!({"supplier_id": supplier.body["id"],
                   "lines": [{"product_id": shop.low["id"], "containers": 5}]}),
        )
        .await;
    assert_eq!(order.status, 201, "{order:?}");
    let recall = app
        .post(
            &format!("/api/v1/lots/{}/recall", shop.lot_id),
            &shop.c.manager,
            json!({"reason": "supplier notice"}),
        )
        .await;
    assert_eq!(recall.status, 200, "{recall:?}");
    let home = get_page(&app, "/", &shop.manager).await;
    assert!(
        home.text.contains("<td>Meso Supplies</td><td>Draft</td>"),
        "{}",
        home.text
    );
    assert!(home.text.contains(&format!(
        "<a href=\"/lots/{}\">SI-TRACE</a></td><td>supplier notice</td>",
        shop.lot_id
    )));

    // The practitioner's home stays today's work, without the stock overview.
    let (_, _) = member(
        &app,
        &shop.c.manager,
        &shop.c.id,
        "practitioner",
        "pia@rose.example",
    )
    .await;
    let pia = sign_in(&app, "pia@rose.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let today = get_page(&app, "/", &pia).await;
    assert!(today.text.contains("Planned for today"));
    assert!(!today.text.contains("Stock alerts") && !today.text.contains("href=\"/stock\""));
}

#[actix_web::test]
async fn the_stock_list_filters_by_flag_and_searches_sku_or_name() {
    let app = spawn_app().await;
    let shop = shop(&app).await;
    let all = get_page(&app, "/stock", &shop.manager).await;
    assert_eq!(all.status, 200, "{all:?}");
    assert!(all.text.contains(">SKU or name</label>") && all.text.contains(">Flag</label>"));
    assert!(all.text.contains("HA-LOW") && all.text.contains("SIL-OK"));
    // On hand, available and the lot link of the used product: 20 − 2 − 2 + 2 (void).
    assert!(all.text.contains("18 ml"), "{}", all.text);
    assert!(all
        .text
        .contains(&format!("href=\"/lots/{}\">SI-TRACE</a>", shop.lot_id)));

    let low = get_page(&app, "/stock?flag=low", &shop.manager).await;
    assert_eq!(low.status, 200);
    assert!(low.text.contains("HA-LOW") && !low.text.contains("SIL-OK"));
    assert!(low.text.contains("<option value=\"low\" selected>"));
    assert!(low.text.contains("<span class=\"flag\">Low</span>"));

    let found = get_page(&app, "/stock?q=silicon", &shop.manager).await;
    assert!(found.text.contains("SIL-OK") && !found.text.contains("HA-LOW"));
    let by_sku = get_page(&app, "/stock?q=ha-low", &shop.manager).await;
    assert!(by_sku.text.contains("HA-LOW") && !by_sku.text.contains("SIL-OK"));
    assert!(
        by_sku.text.contains("value=\"ha-low\""),
        "the search is kept"
    );
    let none = get_page(&app, "/stock?q=silicon&flag=low", &shop.manager).await;
    assert!(none.text.contains("No product matches"));

    let bad = get_page(&app, "/stock?flag=soon", &shop.manager).await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("id=\"flag-error\"") && bad.text.contains("unknown flag soon"));
    // Practitioners read stock too (the API's rule); the admin may not.
    let (_, _) = member(
        &app,
        &shop.c.manager,
        &shop.c.id,
        "practitioner",
        "pia@rose.example",
    )
    .await;
    let pia = sign_in(&app, "pia@rose.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    assert_eq!(get_page(&app, "/stock", &pia).await.status, 200);
}

#[actix_web::test]
async fn a_manager_quarantines_releases_and_recalls_only_after_confirming() {
    let app = spawn_app().await;
    let shop = shop(&app).await;
    let path = format!("/lots/{}", shop.lot_id);
    let lot = get_page(&app, &path, &shop.manager).await;
    assert_eq!(lot.status, 200, "{lot:?}");
    let csrf = lot.csrf_token();
    assert!(lot.text.contains("<h1>Lot SI-TRACE</h1>"));
    assert!(lot.text.contains("Organic silicon plenty (SIL-OK)"));
    // The ledger: the receipt, two consumptions and the void's reversal.
    for kind in ["Receive", "Consume", "Reversal"] {
        assert!(
            lot.text.contains(&format!("<td>{kind}</td>")),
            "{kind}: {}",
            lot.text
        );
    }
    // The trace: both sessions, the voided one marked.
    assert!(lot.text.contains("<td>PAT-A</td>") && lot.text.contains("<td>PAT-B</td>"));
    assert!(lot.text.contains("<td>voided</td>"));
    assert!(lot
        .text
        .contains("<button type=\"submit\">Quarantine</button>"));
    assert!(
        !lot.text
            .contains("<button type=\"submit\">Release</button>"),
        "not quarantined"
    );
    assert!(lot.text.contains(">I confirm the recall</label>"));
    assert_eq!(lot.text.matches(">Reason</label>").count(), 2);

    // A missing reason is shown next to the field in the API's words.
    let empty = post_page(
        &app,
        &shop.manager,
        &format!("{path}/quarantine"),
        &[("csrf_token", &csrf), ("reason", "")],
    )
    .await;
    assert_eq!(empty.status, 422, "{empty:?}");
    assert!(empty.text.contains("id=\"quarantine_reason-error\""));
    assert!(empty.text.contains("must not be empty"));
    // Without the CSRF token: 403, nothing changes.
    let forged = post_page(
        &app,
        &shop.manager,
        &format!("{path}/quarantine"),
        &[("reason", "fridge")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let q = post_page(
        &app,
        &shop.manager,
        &format!("{path}/quarantine"),
        &[("csrf_token", &csrf), ("reason", "fridge alarm")],
    )
    .await;
    assert_eq!(q.status, 303, "{q:?}");
    let to = q.header("location").unwrap();
    assert_eq!(to, format!("{path}?done=quarantine"));
    let shown = get_page(&app, &to, &shop.manager).await;
    assert!(shown.text.contains("Lot quarantined"));
    assert!(shown.text.contains("Quarantined (fridge alarm)"));
    assert!(shown
        .text
        .contains("<button type=\"submit\">Release</button>"));
    // The same change again is a conflict, said in the API's words.
    let again = post_page(
        &app,
        &shop.manager,
        &format!("{path}/quarantine"),
        &[("csrf_token", &csrf), ("reason", "twice")],
    )
    .await;
    assert_eq!(again.status, 409);
    assert!(again.text.contains("already quarantined"), "{}", again.text);

    // A recall needs the box ticked: nothing happens without it, the reason is kept.
    let unconfirmed = post_page(
        &app,
        &shop.manager,
        &format!("{path}/recall"),
        &[("csrf_token", &csrf), ("reason", "supplier notice")],
    )
    .await;
    assert_eq!(unconfirmed.status, 422);
    assert!(unconfirmed.text.contains("id=\"confirm-error\""));
    assert!(unconfirmed.text.contains("value=\"supplier notice\""));
    let api_lot = app
        .get(&format!("/api/v1/lots/{}", shop.lot_id), &shop.c.manager)
        .await;
    assert_eq!(api_lot.body["status"], "quarantined");
    let recalled = post_page(
        &app,
        &shop.manager,
        &format!("{path}/recall"),
        &[
            ("csrf_token", &csrf),
            ("reason", "supplier notice"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(recalled.status, 303, "{recalled:?}");
    let to = recalled.header("location").unwrap();
    let after = get_page(&app, &to, &shop.manager).await;
    assert!(after.text.contains("Lot recalled"));
    assert!(after.text.contains("Recalled (supplier notice)"));
    assert!(
        after.text.contains("<td>PAT-A</td>"),
        "the affected patients"
    );
    assert!(
        !after.text.contains("<form method=\"post\" action=\"/lots/"),
        "a recall is final"
    );
    let cases = app.get("/api/v1/recalls", &shop.c.manager).await;
    assert_eq!(cases.body.as_array().map(Vec::len), Some(1), "{cases:?}");
    // A reload of the answer recalls nothing twice.
    let reload = get_page(&app, &to, &shop.manager).await;
    assert_eq!(reload.status, 200);
    let cases = app.get("/api/v1/recalls", &shop.c.manager).await;
    assert_eq!(cases.body.as_array().map(Vec::len), Some(1));
    // An unknown lot is a page, not a 500.
    let missing = get_page(&app, "/lots/nope", &shop.manager).await;
    assert_eq!(missing.status, 404);
}

#[actix_web::test]
async fn an_auditor_traces_a_lot_downloads_the_csv_and_may_not_write() {
    let app = spawn_app().await;
    let shop = shop(&app).await;
    let home = get_page(&app, "/", &shop.auditor).await;
    assert!(home.text.contains("href=\"/trace\">Trace</a></li>"));
    assert!(home.text.contains("href=\"/sessions\">Sessions</a></li>"));
    assert!(!home.text.contains("href=\"/stock\">Stock</a></li>"));

    let form = get_page(&app, "/trace", &shop.auditor).await;
    assert_eq!(form.status, 200);
    assert!(form
        .text
        .contains("<label for=\"lot_number\">Lot number</label>"));
    let traced = get_page(&app, "/trace?lot_number=SI-TRACE", &shop.auditor).await;
    assert_eq!(traced.status, 200, "{traced:?}");
    for cell in [
        "<td>PAT-A</td>",
        "<td>PAT-B</td>",
        "<td>voided</td>",
        "<td>no</td>",
    ] {
        assert!(traced.text.contains(cell), "{cell} in {}", traced.text);
    }
    assert!(traced.text.contains("2 ml"), "the amount with its unit");
    assert!(traced.text.contains("practitioner of Clinique Rose"));
    assert!(traced
        .text
        .contains("href=\"/trace.csv?lot_number=SI-TRACE\""));
    assert!(traced.text.contains(">Download CSV</a>"));
    let unknown = get_page(&app, "/trace?lot_number=NOPE", &shop.auditor).await;
    assert!(unknown.text.contains("No lot with number NOPE"));

    // The page's CSV is the API's export, byte for byte.
    let csv = get_page(&app, "/trace.csv?lot_number=SI-TRACE", &shop.auditor).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("trace-SI-TRACE.csv"));
    let api = app
        .get(
            "/api/v1/exports/traceability.csv?lot_number=SI-TRACE",
            &shop.c.auditor,
        )
        .await;
    assert_eq!(api.status, 200);
    assert_eq!(csv.text, api.text);
    assert_eq!(csv.text.lines().count(), 3, "header and two sessions");

    // No button that writes; a write posted by hand is refused.
    let lot = get_page(&app, &format!("/lots/{}", shop.lot_id), &shop.auditor).await;
    assert_eq!(lot.status, 200);
    assert!(lot.text.contains("<td>PAT-A</td>"));
    let csrf = lot.csrf_token();
    for page in [&form, &traced, &lot] {
        assert_eq!(
            page.text.matches("<form method=\"post\"").count(),
            1,
            "only Sign out: {}",
            page.text
        );
    }
    for action in ["quarantine", "recall"] {
        let refused = post_page(
            &app,
            &shop.auditor,
            &format!("/lots/{}/{action}", shop.lot_id),
            &[
                ("csrf_token", &csrf),
                ("reason", "by hand"),
                ("confirm", "yes"),
            ],
        )
        .await;
        assert_eq!(refused.status, 403, "{action}: {refused:?}");
    }
    let api_lot = app
        .get(&format!("/api/v1/lots/{}", shop.lot_id), &shop.c.manager)
        .await;
    assert_eq!(api_lot.body["status"], "available");
    // A practitioner may not trace (the API's rule), on the page as in the CSV.
    let (_, _) = member(
        &app,
        &shop.c.manager,
        &shop.c.id,
        "practitioner",
        "pia@rose.example",
    )
    .await;
    let pia = sign_in(&app, "pia@rose.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    assert_eq!(get_page(&app, "/trace", &pia).await.status, 403);
    assert_eq!(
        get_page(&app, "/trace?lot_number=SI-TRACE", &pia)
            .await
            .status,
        403
    );
    assert_eq!(
        get_page(&app, "/trace.csv?lot_number=SI-TRACE", &pia)
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn a_long_stock_list_links_lots_only_once_searched() {
    let app = spawn_app().await;
    let shop = shop(&app).await;
    for i in 0..49 {
        app.product(&shop.c.manager, json!({"sku": format!("BULK-{i:02}")}))
            .await;
    }
    let all = get_page(&app, "/stock", &shop.manager).await;
    assert_eq!(all.status, 200);
    assert!(all.text.contains("BULK-48") && all.text.contains("SIL-OK"));
    assert!(
        all.text
            .contains("51 products: search or filter to see their lots"),
        "{}",
        all.text
    );
    assert!(!all.text.contains("href=\"/lots/"));
    let one = get_page(&app, "/stock?q=SIL-OK", &shop.manager).await;
    assert!(one
        .text
        .contains(&format!("href=\"/lots/{}\">SI-TRACE</a>", shop.lot_id)));
}

/// Issue 13, point 4 in the manager's stock page: expired and recalled stock on the shelf
/// is offered for waste in one step; the reason is required and stays next to its field.
#[actix_web::test]
async fn a_manager_wastes_expired_and_recalled_stock_from_the_stock_page() {
    let app = spawn_app().await;
    let shop = shop(&app).await;
    let page = get_page(&app, "/stock", &shop.manager).await;
    assert!(
        !page.text.contains("/stock/waste-unusable"),
        "nothing unusable yet: no form"
    );
    let old = app
        .receive(&shop.c.manager, s(&shop.low["id"]), "HA-OLD", &day(-2), 1)
        .await;
    let page = get_page(&app, "/stock", &shop.manager).await;
    assert!(
        page.text.contains("action=\"/stock/waste-unusable\""),
        "{}",
        page.text
    );
    assert!(page
        .text
        .contains("1 product(s) have expired or recalled units"));
    let csrf = page.csrf_token();
    let auditor = get_page(&app, "/stock", &shop.auditor).await;
    assert!(
        !auditor.text.contains("/stock/waste-unusable"),
        "auditors never write"
    );

    let empty = post_page(
        &app,
        &shop.manager,
        "/stock/waste-unusable",
        &[("csrf_token", &csrf), ("reason", "")],
    )
    .await;
    assert_eq!(empty.status, 422, "{empty:?}");
    assert!(empty.text.contains("id=\"waste_reason-error\""));
    let forged = post_page(
        &app,
        &shop.manager,
        "/stock/waste-unusable",
        &[("reason", "x")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let done = post_page(
        &app,
        &shop.manager,
        "/stock/waste-unusable",
        &[("csrf_token", &csrf), ("reason", "shelf check")],
    )
    .await;
    assert_eq!(done.status, 303, "{done:?}");
    let to = done.header("location").unwrap();
    assert_eq!(to, "/stock?wasted=1");
    let shown = get_page(&app, &to, &shop.manager).await;
    assert!(shown
        .text
        .contains("Wasted the expired and recalled stock of 1 lot(s)."));
    assert!(!shown.text.contains("action=\"/stock/waste-unusable\""));
    let lot = app
        .get(&format!("/api/v1/lots/{}", s(&old["id"])), &shop.c.manager)
        .await;
    assert_eq!(lot.body["on_hand"], "0", "{lot:?}");
}
