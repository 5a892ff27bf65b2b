//! The manager's buying and receiving pages: `/receive` (a delivery received by scanning,
//! all lines at once).

use serde_json::{json, Value};

use crate::accounts::{
    assert_sends_to_sign_in, browse, get_page, member, sign_in, Browser, Page, PASSWORD,
};
use crate::helpers::{s, spawn_app, Clinic, TestApp};

const GTIN_HA: &str = "09520123456795";
const GTIN_SI: &str = "04006381333931";

/// A clinic with two products that carry a GTIN, and cookies of a signed-in manager,
/// practitioner and auditor.
pub(crate) struct Desk {
    pub c: Clinic,
    pub ha: String,
    pub si: String,
    pub manager: String,
    pub practitioner: String,
    pub auditor: String,
}

pub(crate) async fn desk(app: &TestApp) -> Desk {
    let c = app.clinic("Clinique Lys").await;
    let ha = app
        .product(
            &c.manager,
            json!({"sku": "HA-SCAN", "name": "Hyaluronic acid scan", "gtin": GTIN_HA}),
        )
        .await;
    let si = app
        .product(
            &c.manager,
            json!({"sku": "SI-SCAN", "name": "Organic silicon scan", "gtin": GTIN_SI}),
        )
        .await;
    member(app, &c.manager, &c.id, "manager", "mia@lys.example").await;
    member(app, &c.manager, &c.id, "practitioner", "pia@lys.example").await;
    member(app, &c.manager, &c.id, "auditor", "aud@lys.example").await;
    let mut cookies = Vec::new();
    for email in ["mia@lys.example", "pia@lys.example", "aud@lys.example"] {
        cookies.push(
            sign_in(app, email, PASSWORD)
                .await
                .session_cookie()
                .unwrap(),
        );
    }
    Desk {
        c,
        ha: s(&ha["id"]).to_string(),
        si: s(&si["id"]).to_string(),
        manager: cookies[0].clone(),
        practitioner: cookies[1].clone(),
        auditor: cookies[2].clone(),
    }
}

pub(crate) async fn post_form(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(String, String)],
) -> Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    browse(
        &app.address,
        "POST",
        path,
        Browser {
            cookie: Some(cookie),
            origin: Some(&app.address),
            ..Browser::default()
        },
        &pairs,
    )
    .await
}

fn unescape(v: &str) -> String {
    v.replace("&#40;", "(")
        .replace("&#41;", ")")
        .replace("&#47;", "/")
        .replace("&#x2f;", "/")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The named inputs and selects of the page's form that posts to `action`, in order
/// (hidden fields included), as a browser would send them.
pub(crate) fn fields(page: &Page, action: &str) -> Vec<(String, String)> {
    let text = &page.text;
    let start = text
        .find(&format!("<form method=\"post\" action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form {action} in {text}"));
    let form = &text[start..start + text[start..].find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(unescape(&tag[at..at + tag[at..].find('"')?]))
    };
    let mut out = Vec::new();
    let mut rest = form;
    loop {
        let input = rest.find("<input");
        let select = rest.find("<select");
        let i = match (input, select) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => break,
        };
        let tag = &rest[i..i + rest[i..].find('>').unwrap()];
        if Some(i) == select {
            // A select sends its selected option, else its first.
            let body = &rest[i..i + rest[i..].find("</select>").unwrap()];
            let options: Vec<&str> = body.split("<option").skip(1).collect();
            let chosen = options
                .iter()
                .find(|o| o[..o.find('>').unwrap()].contains(" selected"))
                .or(options.first());
            if let Some(name) = attr(tag, "name") {
                let value = chosen.and_then(|o| attr(o, "value")).unwrap_or_default();
                out.push((name, value));
            }
        } else if let Some(name) = attr(tag, "name") {
            // An unticked checkbox sends nothing.
            if !tag.contains("type=\"checkbox\"") || tag.contains(" checked") {
                out.push((name, attr(tag, "value").unwrap_or_default()));
            }
        }
        rest = &rest[i + 6..];
    }
    out
}

pub(crate) fn set(form: &mut [(String, String)], name: &str, value: &str) {
    for (n, v) in form.iter_mut() {
        if n == name {
            *v = value.to_string();
        }
    }
}

/// Sets the `i`-th field called `name`.
fn set_nth(form: &mut [(String, String)], name: &str, i: usize, value: &str) {
    let field = form
        .iter_mut()
        .filter(|(n, _)| n == name)
        .nth(i)
        .unwrap_or_else(|| panic!("no {name} #{i}"));
    field.1 = value.to_string();
}

pub(crate) fn with(form: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f = form.to_vec();
    for (k, v) in extra {
        f.push((k.to_string(), v.to_string()));
    }
    f
}

/// Scans `code` into the receiving form posted to `at` (`/receive`, or an order's
/// `/purchase-orders/{id}/receive`) on the current page, and answers the page with its
/// new line.
pub(crate) async fn scan(
    app: &TestApp,
    cookie: &str,
    current: &Page,
    at: &str,
    code: &str,
) -> Page {
    let mut f = fields(current, at);
    set(&mut f, "scan", code);
    post_form(app, cookie, at, &with(&f, &[("action", "scan")])).await
}

async fn lots_numbered(app: &TestApp, token: &str, number: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/lots?lot_number={number}"), token)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body.as_array().cloned().unwrap_or_default()
}

#[actix_web::test]
async fn the_buying_pages_send_a_signed_out_visitor_to_sign_in() {
    let app = spawn_app().await;
    assert_sends_to_sign_in(&app.address, "GET", &["/receive"]).await;
    assert_sends_to_sign_in(&app.address, "POST", &["/receive"]).await;
}

#[actix_web::test]
async fn a_manager_receives_two_scanned_codes_in_one_go() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let empty = get_page(&app, "/receive", &d.manager).await;
    assert_eq!(empty.status, 200, "{empty:?}");
    assert!(empty
        .text
        .contains("<label for=\"scan\">Scan a code</label>"));
    assert!(empty
        .text
        .contains("href=\"/receive\" aria-current=\"page\""));

    // An unknown product is named next to the field, and adds no line.
    let unknown = scan(
        &app,
        &d.manager,
        &empty,
        "/receive",
        "(01)04006381333948(17)301231(10)X-1",
    )
    .await;
    assert_eq!(unknown.status, 422, "{unknown:?}");
    assert!(
        unknown
            .text
            .contains("no product with GTIN 04006381333948 in this clinic"),
        "{}",
        unknown.text
    );
    assert!(unknown.text.contains("id=\"scan-error\""));
    assert!(!unknown.text.contains("name=\"code\""));

    // Bracketed form, then a Digital Link: each adds a line read from the code.
    let one = scan(
        &app,
        &d.manager,
        &unknown,
        "/receive",
        "(01)09520123456795(17)301231(10)HA-RCV",
    )
    .await;
    assert_eq!(one.status, 200, "{one:?}");
    let two = scan(
        &app,
        &d.manager,
        &one,
        "/receive",
        &format!("https://id.example.com/01/{GTIN_SI}/10/SI-RCV?17=310630"),
    )
    .await;
    assert_eq!(two.status, 200, "{two:?}");
    for words in [
        "Hyaluronic acid scan (HA-SCAN)",
        "HA-RCV",
        "2030-12-31",
        "Organic silicon scan (SI-SCAN)",
        "SI-RCV",
        "2031-06-30",
        "<label for=\"containers1\">Containers</label>",
    ] {
        assert!(two.text.contains(words), "{words} in {}", two.text);
    }
    // Scanning wrote nothing yet.
    assert!(lots_numbered(&app, &d.c.manager, "HA-RCV").await.is_empty());

    let mut f = fields(&two, "/receive");
    set_nth(&mut f, "containers", 0, "3");
    set_nth(&mut f, "containers", 1, "2");
    let done = post_form(
        &app,
        &d.manager,
        "/receive",
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(done.status, 303, "{done:?}");
    let to = done.header("location").unwrap();
    assert!(to.starts_with("/receive?received="), "{to}");

    let ha = lots_numbered(&app, &d.c.manager, "HA-RCV").await;
    assert_eq!(ha.len(), 1, "{ha:?}");
    assert_eq!(ha[0]["containers"], 3, "{ha:?}");
    assert_eq!(ha[0]["expires_on"], "2030-12-31");
    let si = lots_numbered(&app, &d.c.manager, "SI-RCV").await;
    assert_eq!(si.len(), 1, "{si:?}");
    assert_eq!(si[0]["containers"], 2, "{si:?}");

    // The page after the redirect links the lots received; reloading it writes nothing.
    let after = get_page(&app, &to, &d.manager).await;
    assert_eq!(after.status, 200, "{after:?}");
    assert!(after.text.contains("Received 2 lot(s)"), "{}", after.text);
    assert!(after
        .text
        .contains(&format!("href=\"/lots/{}\"", s(&ha[0]["id"]))));
    assert_eq!(lots_numbered(&app, &d.c.manager, "HA-RCV").await.len(), 1);
    assert_eq!(
        lots_numbered(&app, &d.c.manager, "HA-RCV").await[0]["containers"],
        3
    );
}

#[actix_web::test]
async fn a_bad_line_refuses_the_whole_delivery() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let empty = get_page(&app, "/receive", &d.manager).await;
    let one = scan(
        &app,
        &d.manager,
        &empty,
        "/receive",
        "(01)09520123456795(17)301231(10)HA-ALL",
    )
    .await;
    let two = scan(
        &app,
        &d.manager,
        &one,
        "/receive",
        "(01)04006381333931(17)301231(10)SI-ALL",
    )
    .await;
    assert_eq!(two.status, 200, "{two:?}");

    // The second line's count is refused by the service: nothing at all is written.
    let mut f = fields(&two, "/receive");
    set_nth(&mut f, "containers", 0, "3");
    set_nth(&mut f, "containers", 1, "0");
    let refused = post_form(
        &app,
        &d.manager,
        "/receive",
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert!(
        refused.text.contains("id=\"containers1-error\""),
        "{}",
        refused.text
    );
    assert!(!refused.text.contains("id=\"containers0-error\""));
    // The lines stay on the page with what was typed.
    assert!(refused.text.contains("value=\"3\""));
    assert!(lots_numbered(&app, &d.c.manager, "HA-ALL").await.is_empty());
    assert!(lots_numbered(&app, &d.c.manager, "SI-ALL").await.is_empty());

    // A line whose lot is known with another expiry is a conflict: nothing is written.
    app.receive(&d.c.manager, &d.si, "SI-ALL", "2029-01-31", 1)
        .await;
    let mut f = fields(&two, "/receive");
    set_nth(&mut f, "containers", 0, "3");
    set_nth(&mut f, "containers", 1, "1");
    let conflict = post_form(
        &app,
        &d.manager,
        "/receive",
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(conflict.status, 409, "{conflict:?}");
    assert!(conflict.text.contains("line 2:"), "{}", conflict.text);
    assert!(lots_numbered(&app, &d.c.manager, "HA-ALL").await.is_empty());
    let si = lots_numbered(&app, &d.c.manager, "SI-ALL").await;
    assert_eq!(si.len(), 1);
    assert_eq!(si[0]["containers"], 1, "the known lot is untouched");

    // A count that is not a number is named next to its field.
    let mut f = fields(&two, "/receive");
    set_nth(&mut f, "containers", 0, "three");
    let unreadable = post_form(
        &app,
        &d.manager,
        "/receive",
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(unreadable.status, 422);
    assert!(unreadable
        .text
        .contains("must be a whole number of containers"));
}

#[actix_web::test]
async fn practitioners_and_auditors_may_not_receive() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    for cookie in [&d.practitioner, &d.auditor] {
        let page = get_page(&app, "/", cookie).await;
        let csrf = page.csrf_token();
        assert!(!page.text.contains("href=\"/receive\""), "no menu entry");
        let form = vec![
            ("csrf_token".to_string(), csrf),
            (
                "code".to_string(),
                "(01)09520123456795(17)301231(10)HA-NO".to_string(),
            ),
            ("containers".to_string(), "1".to_string()),
            ("action".to_string(), "commit".to_string()),
        ];
        let refused = post_form(&app, cookie, "/receive", &form).await;
        assert_eq!(refused.status, 403, "{refused:?}");
        let shown = get_page(&app, "/receive", cookie).await;
        assert_eq!(shown.status, 403, "{shown:?}");
    }
    assert!(lots_numbered(&app, &d.c.manager, "HA-NO").await.is_empty());
    // Without the CSRF token, even a manager is refused.
    let form = vec![
        (
            "code".to_string(),
            "(01)09520123456795(17)301231(10)HA-NO".to_string(),
        ),
        ("containers".to_string(), "1".to_string()),
        ("action".to_string(), "commit".to_string()),
    ];
    let refused = post_form(&app, &d.manager, "/receive", &form).await;
    assert_eq!(refused.status, 403);
    assert!(lots_numbered(&app, &d.c.manager, "HA-NO").await.is_empty());
}

/// A supplier (MesoPharma) whose product HA-SCAN is below its reorder point.
async fn low_stock(app: &TestApp, d: &Desk) -> String {
    let sup = app
        .post(
            "/api/v1/suppliers",
            &d.c.manager,
            json!({"name": "MesoPharma", "lead_time_days": 10}),
        )
        .await;
    assert_eq!(sup.status, 201, "{sup:?}");
    let sid = s(&sup.body["id"]).to_string();
    let patched = app
        .patch(
            &format!("/api/v1/products/{}", d.ha),
            &d.c.manager,
            json!({"supplier_id": sid, "unit_cost": "10.50"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{patched:?}");
    app.receive(&d.c.manager, &d.ha, "HA-OLD", "2030-01-31", 1)
        .await;
    sid
}

#[actix_web::test]
async fn the_order_pages_send_a_signed_out_visitor_to_sign_in() {
    let app = spawn_app().await;
    assert_sends_to_sign_in(
        &app.address,
        "GET",
        &[
            "/reorder",
            "/purchase-orders",
            "/purchase-orders/x",
            "/purchase-orders/x.csv",
        ],
    )
    .await;
    assert_sends_to_sign_in(
        &app.address,
        "POST",
        &[
            "/reorder",
            "/purchase-orders/x/send",
            "/purchase-orders/x/receive",
        ],
    )
    .await;
}

#[actix_web::test]
async fn suggestions_become_an_order_that_is_sent_downloaded_and_received() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let sid = low_stock(&app, &d).await;
    let api = app.get("/api/v1/reorder-suggestions", &d.c.manager).await;
    assert_eq!(api.status, 200, "{api:?}");
    let line = &api.body["suppliers"][0]["lines"][0];
    let reason = s(&line["reason"]).to_string();

    let reorder = get_page(&app, "/reorder", &d.manager).await;
    assert_eq!(reorder.status, 200, "{reorder:?}");
    for words in [
        "<h2>MesoPharma</h2>",
        "Hyaluronic acid scan (HA-SCAN)",
        &reason,
    ] {
        assert!(reorder.text.contains(words), "{words} in {}", reorder.text);
    }
    assert!(reorder.text.contains("Create purchase order"));
    let mut f = fields(&reorder, "/reorder");
    assert!(
        f.contains(&("supplier_id".to_string(), sid.clone())),
        "{f:?}"
    );
    f.retain(|(n, _)| n == "csrf_token" || n == "supplier_id");
    let created = post_form(&app, &d.manager, "/reorder", &f).await;
    assert_eq!(created.status, 303, "{created:?}");
    let to = created.header("location").unwrap();
    let oid = to.strip_prefix("/purchase-orders/").unwrap().to_string();
    let order = app
        .get(&format!("/api/v1/purchase-orders/{oid}"), &d.c.manager)
        .await;
    assert_eq!(order.body["status"], "draft", "{order:?}");
    let total = s(&order.body["total"]).to_string();

    let shown = get_page(&app, &to, &d.manager).await;
    assert_eq!(shown.status, 200, "{shown:?}");
    assert!(shown.text.contains("Draft"));
    assert!(
        shown
            .text
            .contains(&format!("{:.2}", total.parse::<f64>().unwrap())),
        "{}",
        shown.text
    );
    assert!(shown
        .text
        .contains(&format!("href=\"/purchase-orders/{oid}.csv\"")));
    let list = get_page(&app, "/purchase-orders", &d.manager).await;
    assert!(list
        .text
        .contains(&format!("href=\"/purchase-orders/{oid}\"")));
    assert!(list.text.contains("MesoPharma"));

    // Send, then the CSV is byte for byte the API's.
    let send = fields(&shown, &format!("/purchase-orders/{oid}/send"));
    let sent = post_form(
        &app,
        &d.manager,
        &format!("/purchase-orders/{oid}/send"),
        &send,
    )
    .await;
    assert_eq!(sent.status, 303, "{sent:?}");
    assert_eq!(
        app.get(&format!("/api/v1/purchase-orders/{oid}"), &d.c.manager)
            .await
            .body["status"],
        "sent"
    );
    let again = post_form(
        &app,
        &d.manager,
        &format!("/purchase-orders/{oid}/send"),
        &send,
    )
    .await;
    assert_eq!(
        again.status, 409,
        "sending twice is refused in the API's words"
    );
    let csv = get_page(&app, &format!("/purchase-orders/{oid}.csv"), &d.manager).await;
    assert_eq!(csv.status, 200, "{csv:?}");
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let api_csv = app
        .get(&format!("/api/v1/purchase-orders/{oid}.csv"), &d.c.manager)
        .await;
    assert_eq!(csv.text, api_csv.text);
    assert!(
        csv.text.starts_with("sku,gtin,name,containers"),
        "{}",
        csv.text
    );
    assert!(csv.text.contains("HA-SCAN,09520123456795"), "{}", csv.text);

    // Receiving against the order by scanning the delivered box.
    let page = get_page(&app, &to, &d.manager).await;
    let receive_at = format!("/purchase-orders/{oid}/receive");
    let scanned = scan(
        &app,
        &d.manager,
        &page,
        &receive_at,
        "(01)09520123456795(17)301231(10)HA-PO",
    )
    .await;
    assert_eq!(scanned.status, 200, "{scanned:?}");
    assert!(scanned.text.contains("HA-PO"));
    let ordered = order.body["lines"][0]["containers"].as_i64().unwrap();
    let mut f = fields(&scanned, &receive_at);
    set_nth(&mut f, "containers", 0, &ordered.to_string());
    let done = post_form(
        &app,
        &d.manager,
        &receive_at,
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(done.status, 303, "{done:?}");
    let after = app
        .get(&format!("/api/v1/purchase-orders/{oid}"), &d.c.manager)
        .await;
    assert_eq!(after.body["status"], "received", "{after:?}");
    let lots = lots_numbered(&app, &d.c.manager, "HA-PO").await;
    assert_eq!(lots.len(), 1);
    assert_eq!(lots[0]["containers"], ordered);
    assert_eq!(lots[0]["unit_cost"], "10.5", "{lots:?}");
    let page = get_page(&app, &to, &d.manager).await;
    assert!(page.text.contains("Received"));
    assert!(
        !page.text.contains(&receive_at),
        "a received order takes no more boxes"
    );
}

#[actix_web::test]
async fn a_product_not_on_the_order_is_refused_next_to_its_line() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let sid = low_stock(&app, &d).await;
    let order = app
        .post(
            "/api/v1/purchase-orders",
            &d.c.manager,
            json!({"supplier_id": sid, "from_suggestions": true}),
        )
        .await;
    assert_eq!(order.status, 201, "{order:?}");
    let oid = s(&order.body["id"]).to_string();
    let receive_at = format!("/purchase-orders/{oid}/receive");
    let page = get_page(&app, &format!("/purchase-orders/{oid}"), &d.manager).await;
    let scanned = scan(
        &app,
        &d.manager,
        &page,
        &receive_at,
        "(01)04006381333931(17)301231(10)SI-PO",
    )
    .await;
    let mut f = fields(&scanned, &receive_at);
    set_nth(&mut f, "containers", 0, "1");
    let refused = post_form(
        &app,
        &d.manager,
        &receive_at,
        &with(&f, &[("action", "commit")]),
    )
    .await;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert!(
        refused.text.contains("this product is not on the order"),
        "{}",
        refused.text
    );
    assert!(refused.text.contains("id=\"line0-error\""));
    assert!(lots_numbered(&app, &d.c.manager, "SI-PO").await.is_empty());
}

#[actix_web::test]
async fn practitioners_and_auditors_may_not_order() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let sid = low_stock(&app, &d).await;
    let order = app
        .post(
            "/api/v1/purchase-orders",
            &d.c.manager,
            json!({"supplier_id": sid, "from_suggestions": true}),
        )
        .await;
    let oid = s(&order.body["id"]).to_string();
    for cookie in [&d.practitioner, &d.auditor] {
        let csrf = get_page(&app, "/", cookie).await.csrf_token();
        for path in [
            "/reorder",
            "/purchase-orders",
            &format!("/purchase-orders/{oid}"),
        ] {
            assert_eq!(get_page(&app, path, cookie).await.status, 403, "{path}");
        }
        for (path, form) in [
            ("/reorder".to_string(), vec![("supplier_id", sid.as_str())]),
            (format!("/purchase-orders/{oid}/send"), vec![]),
            (
                format!("/purchase-orders/{oid}/receive"),
                vec![
                    ("code", "(01)09520123456795(17)301231(10)HA-NO"),
                    ("containers", "1"),
                    ("action", "commit"),
                ],
            ),
        ] {
            let mut f: Vec<(String, String)> = form
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            f.push(("csrf_token".into(), csrf.clone()));
            let refused = post_form(&app, cookie, &path, &f).await;
            assert_eq!(refused.status, 403, "{path}: {refused:?}");
        }
    }
    let after = app
        .get(&format!("/api/v1/purchase-orders/{oid}"), &d.c.manager)
        .await;
    assert_eq!(after.body["status"], "draft");
    let all = app.get("/api/v1/purchase-orders", &d.c.manager).await;
    assert_eq!(all.body.as_array().unwrap().len(), 1);
    assert!(lots_numbered(&app, &d.c.manager, "HA-NO").await.is_empty());
}

#[actix_web::test]
async fn a_manager_reads_and_edits_a_product_with_errors_next_to_fields() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let r = browse(
        &app.address,
        "GET",
        &format!("/products/{}", d.ha),
        Browser::default(),
        &[],
    )
    .await;
    assert_eq!(r.header("location").as_deref(), Some("/sign-in"));
    let r = browse(
        &app.address,
        "POST",
        &format!("/products/{}", d.ha),
        Browser::default(),
        &[],
    )
    .await;
    assert_eq!(r.header("location").as_deref(), Some("/sign-in"));
    let lot = app
        .receive(&d.c.manager, &d.ha, "HA-P1", "2030-01-31", 2)
        .await;

    // /stock links the product; its page shows details and links its lots.
    let stock = get_page(&app, "/stock", &d.manager).await;
    let at = format!("/products/{}", d.ha);
    assert!(
        stock.text.contains(&format!("href=\"{at}\"")),
        "{}",
        stock.text
    );
    let shown = get_page(&app, &at, &d.manager).await;
    assert_eq!(shown.status, 200, "{shown:?}");
    assert!(shown.text.contains("Hyaluronic acid scan (HA-SCAN)"));
    assert!(shown.text.contains(GTIN_HA));
    assert!(shown
        .text
        .contains(&format!("href=\"/lots/{}\"", s(&lot["id"]))));
    assert!(shown
        .text
        .contains("<label for=\"reorder_point\">Reorder point</label>"));

    // A bad value is named next to its field in the API's words; nothing changes.
    let mut f = fields(&shown, &at);
    set(&mut f, "sku", "");
    let refused = post_form(&app, &d.manager, &at, &f).await;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert!(
        refused.text.contains("id=\"sku-error\""),
        "{}",
        refused.text
    );
    let mut g = fields(&shown, &at);
    set(&mut g, "reorder_point", "lots");
    let refused = post_form(&app, &d.manager, &at, &g).await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("id=\"reorder_point-error\""));
    let api = app
        .get(&format!("/api/v1/products/{}", d.ha), &d.c.manager)
        .await;
    assert_eq!(api.body["sku"], "HA-SCAN");

    // A good edit is saved through the API's use case, then back to the page.
    let mut f = fields(&shown, &at);
    set(&mut f, "name", "Hyaluronic acid renamed");
    set(&mut f, "reorder_point", "6");
    let saved = post_form(&app, &d.manager, &at, &f).await;
    assert_eq!(saved.status, 303, "{saved:?}");
    let api = app
        .get(&format!("/api/v1/products/{}", d.ha), &d.c.manager)
        .await;
    assert_eq!(api.body["name"], "Hyaluronic acid renamed");
    assert_eq!(api.body["reorder_point"], "6");
    assert_eq!(api.body["gtin"], GTIN_HA, "untouched fields stay");

    // The auditor reads it without the form and is refused a write.
    let audited = get_page(&app, &at, &d.auditor).await;
    assert_eq!(audited.status, 200);
    assert!(!audited
        .text
        .contains("<button type=\"submit\">Save</button>"));
    let csrf = audited.csrf_token();
    let refused = post_form(
        &app,
        &d.auditor,
        &at,
        &[
            ("csrf_token".into(), csrf),
            ("name".into(), "Hacked".into()),
            ("sku".into(), "X".into()),
            ("reorder_point".into(), "1".into()),
            ("reorder_quantity".into(), "1".into()),
            ("unit_cost".into(), "1".into()),
        ],
    )
    .await;
    assert_eq!(refused.status, 403);
    let api = app
        .get(&format!("/api/v1/products/{}", d.ha), &d.c.manager)
        .await;
    assert_eq!(api.body["name"], "Hyaluronic acid renamed");
}

#[actix_web::test]
async fn a_delivery_entered_late_keeps_the_time_it_arrived() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let empty = get_page(&app, "/receive", &d.manager).await;
    assert!(empty
        .text
        .contains("<label for=\"received_at\">Arrived (UTC)</label>"));
    let one = scan(
        &app,
        &d.manager,
        &empty,
        "/receive",
        "(01)09520123456795(17)301231(10)HA-LATE",
    )
    .await;
    let commit = |at: String| {
        let mut f = fields(&one, "/receive");
        set_nth(&mut f, "containers", 0, "2");
        set(&mut f, "received_at", &at);
        with(&f, &[("action", "commit")])
    };
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M").to_string();
    for (typed, words) in [
        ("yesterday".to_string(), "is not a date and time"),
        (
            fmt(chrono::Utc::now() - chrono::Duration::days(120)),
            "90 days",
        ),
    ] {
        let refused = post_form(&app, &d.manager, "/receive", &commit(typed.clone())).await;
        assert_eq!(refused.status, 422, "{refused:?}");
        assert!(
            refused.text.contains("id=\"received_at-error\""),
            "{}",
            refused.text
        );
        assert!(refused.text.contains(words), "{words} in {}", refused.text);
        assert!(
            refused.text.contains(&format!("value=\"{typed}\"")),
            "kept as typed"
        );
        assert!(lots_numbered(&app, &d.c.manager, "HA-LATE")
            .await
            .is_empty());
    }
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let done = post_form(&app, &d.manager, "/receive", &commit(fmt(yesterday))).await;
    assert_eq!(done.status, 303, "{done:?}");
    let lot = lots_numbered(&app, &d.c.manager, "HA-LATE").await;
    assert_eq!(lot.len(), 1, "{lot:?}");
    assert!(
        s(&lot[0]["received_at"]).starts_with(&yesterday.format("%Y-%m-%dT%H:%M").to_string()),
        "{lot:?}"
    );
}

#[actix_web::test]
async fn deliveries_naming_the_same_products_in_opposite_orders_take_turns() {
    let app = spawn_app().await;
    let d = desk(&app).await;
    let ha = "(01)09520123456795(17)301231(10)HA-TURN";
    let si = format!("(01){GTIN_SI}(17)310630(10)SI-TURN");
    let empty = get_page(&app, "/receive", &d.manager).await;
    let mut forms = Vec::new();
    for order in [[ha, si.as_str()], [si.as_str(), ha]] {
        let one = scan(&app, &d.manager, &empty, "/receive", order[0]).await;
        let two = scan(&app, &d.manager, &one, "/receive", order[1]).await;
        let mut f = fields(&two, "/receive");
        set_nth(&mut f, "containers", 0, "1");
        set_nth(&mut f, "containers", 1, "1");
        forms.push(with(&f, &[("action", "commit")]));
    }
    // Each delivery writes both lots in its own order; without one lock order two of them
    // deadlock on PostgreSQL and one gets a 500.
    let answers = futures_util::future::join_all((0..16).map(|i| {
        let form = forms[i % 2].clone();
        let (app, cookie) = (&app, d.manager.clone());
        async move { post_form(app, &cookie, "/receive", &form).await.status }
    }))
    .await;
    assert!(answers.iter().all(|s| *s == 303), "{answers:?}");
    for number in ["HA-TURN", "SI-TURN"] {
        let lots = lots_numbered(&app, &d.c.manager, number).await;
        assert_eq!(lots[0]["containers"], 16, "{lots:?}");
    }
}
