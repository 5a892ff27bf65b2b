//! The auditor's pages (a manager's too): `/recalls` and `/recalls/{id}` (contacts and
//! closing), `/exports` and its CSV downloads, `/audit-log` and its filters.

use serde_json::json;

use crate::accounts::{
    assert_sends_to_sign_in, browse, get_page, member, sign_in, Browser, Page, PASSWORD,
};
use crate::helpers::{day, s, spawn_app, Clinic, TestApp};

/// A clinic whose lot SI-TRACE was used by PAT-A and PAT-B, then recalled (so one open
/// case with two pending contacts), with a signed-in manager (Max) and auditor (Ada).
pub(crate) struct Recalled {
    pub c: Clinic,
    pub product_id: String,
    pub lot_id: String,
    pub case_id: String,
    /// (patient code, contact id)
    pub contacts: Vec<(String, String)>,
    pub max_id: String,
    pub manager: String,
    pub auditor: String,
}

pub(crate) async fn recalled(app: &TestApp) -> Recalled {
    let c = app.clinic("Clinique Iris").await;
    let product = app
        .product(
            &c.manager,
            json!({"sku": "SIL-OK", "name": "Organic silicon", "ingredients": ["organic silicon"]}),
        )
        .await;
    let other = app
        .product(
            &c.manager,
            json!({"sku": "HA-2", "name": "Hyaluronic acid"}),
        )
        .await;
    let lot = app
        .receive(&c.manager, s(&product["id"]), "SI-TRACE", &day(300), 10)
        .await;
    app.receive(&c.manager, s(&other["id"]), "HA-LOT", &day(200), 3)
        .await;
    for patient in ["PAT-A", "PAT-B"] {
        let logged = app
            .log_session(
                &c.practitioner,
                json!({"patient_ref": patient, "area": "face", "method": "injectable", "conditions": [],
                       "items": [{"product_id": product["id"], "quantity": "2"},
                                 {"product_id": other["id"], "quantity": "1"}]}),
            )
            .await;
        assert_eq!(logged.status, 201, "{logged:?}");
    }
    let lot_id = s(&lot["id"]).to_string();
    let recall = app
        .post(
            &format!("/api/v1/lots/{lot_id}/recall"),
            &c.manager,
            json!({"reason": "supplier notice"}),
        )
        .await;
    assert_eq!(recall.status, 200, "{recall:?}");
    let cases = app.get("/api/v1/recalls", &c.manager).await;
    assert_eq!(cases.status, 200, "{cases:?}");
    let case = &cases.body[0];
    let contacts = case["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (s(&k["patient_ref"]).to_string(), s(&k["id"]).to_string()))
        .collect();
    let (max_id, _) = member(app, &c.manager, &c.id, "manager", "max@iris.example").await;
    member(app, &c.manager, &c.id, "auditor", "ada@iris.example").await;
    let manager = sign_in(app, "max@iris.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    let auditor = sign_in(app, "ada@iris.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    Recalled {
        product_id: s(&product["id"]).to_string(),
        case_id: s(&case["id"]).to_string(),
        c,
        lot_id,
        contacts,
        max_id,
        manager,
        auditor,
    }
}

impl Recalled {
    fn contact(&self, patient: &str) -> &str {
        &self.contacts.iter().find(|(p, _)| p == patient).unwrap().1
    }
}

async fn post_page(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> Page {
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

fn post_forms(page: &Page) -> usize {
    page.text.matches("<form method=\"post\"").count()
}

#[actix_web::test]
async fn the_audit_pages_send_a_signed_out_visitor_to_sign_in() {
    let app = spawn_app().await;
    assert_sends_to_sign_in(
        &app.address,
        "GET",
        &[
            "/recalls",
            "/recalls/x",
            "/exports",
            "/exports.csv?kind=movements",
            "/audit-log",
            "/audit-log?action=open",
        ],
    )
    .await;
    assert_sends_to_sign_in(
        &app.address,
        "POST",
        &["/recalls/x/contacts/y", "/recalls/x/close"],
    )
    .await;
}

#[actix_web::test]
async fn a_manager_records_contacts_and_closes_a_case_only_when_none_is_pending() {
    let app = spawn_app().await;
    let r = recalled(&app).await;
    let list = get_page(&app, "/recalls", &r.manager).await;
    assert_eq!(list.status, 200, "{list:?}");
    for (href, label) in [
        ("/recalls", "Recalls"),
        ("/exports", "Exports"),
        ("/audit-log", "Audit log"),
    ] {
        assert!(
            list.text.contains(&format!(
                "<a href=\"{href}\"{}>{label}</a>",
                if href == "/recalls" {
                    " aria-current=\"page\""
                } else {
                    ""
                }
            )),
            "{label} in the manager's menu: {}",
            list.text
        );
    }
    assert!(
        list.text.contains(&format!(
            "<a href=\"/lots/{}\">SI-TRACE</a></td><td>supplier notice</td>",
            r.lot_id
        )),
        "{}",
        list.text
    );
    assert!(list.text.contains(&format!(
        "<a href=\"/recalls/{}\">Open</a></td><td>2</td>",
        r.case_id
    )));

    let path = format!("/recalls/{}", r.case_id);
    let case = get_page(&app, &path, &r.manager).await;
    assert_eq!(case.status, 200);
    assert!(case.text.contains("<td>PAT-A</td><td>Pending</td>"));
    assert!(case.text.contains("Open · 2 patient(s) pending"));
    assert!(case.text.contains("<label for=\"status-"));
    assert!(case
        .text
        .contains("<option value=\"not_required\">Not required</option>"));
    assert!(case.text.contains("Save contact of PAT-B"));
    // No close form while someone is pending, and a close posted by hand is refused.
    assert!(!case.text.contains("Closing note"));
    let csrf = case.csrf_token();
    let refused = post_page(
        &app,
        &r.manager,
        &format!("{path}/close"),
        &[("csrf_token", &csrf), ("note", "too early")],
    )
    .await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert!(
        refused
            .text
            .contains("cannot close: 2 patient(s) still pending"),
        "{}",
        refused.text
    );

    // A bad status stays next to its field, in the API's words.
    let contact_a = format!("{path}/contacts/{}", r.contact("PAT-A"));
    let bad = post_page(
        &app,
        &r.manager,
        &contact_a,
        &[("csrf_token", &csrf), ("status", "gone"), ("note", "x")],
    )
    .await;
    assert_eq!(bad.status, 422, "{bad:?}");
    let api_bad = app
        .post(
            &format!("/api/v1{contact_a}"),
            &r.c.manager,
            json!({"status": "gone"}),
        )
        .await;
    assert_eq!(api_bad.status, 422);
    let message = s(&api_bad.body["errors"][0]["message"]).to_string();
    assert!(
        bad.text.contains(&format!(
            "id=\"status-{}-error\" class=\"field-error\">{}",
            r.contact("PAT-A"),
            message.replace('"', "&#34;")
        )),
        "{message} in {}",
        bad.text
    );

    // Both patients get a status; each form redirects back to the case.
    for (patient, status, note) in [
        ("PAT-A", "contacted", "phoned on Monday"),
        ("PAT-B", "unreachable", "no answer twice"),
    ] {
        let done = post_page(
            &app,
            &r.manager,
            &format!("{path}/contacts/{}", r.contact(patient)),
            &[("csrf_token", &csrf), ("status", status), ("note", note)],
        )
        .await;
        assert_eq!(done.status, 303, "{done:?}");
        assert_eq!(
            done.header("location").as_deref(),
            Some(format!("{path}?done=contact").as_str())
        );
    }
    let case = get_page(&app, &format!("{path}?done=contact"), &r.manager).await;
    assert!(case.text.contains("Contact status recorded."));
    assert!(case
        .text
        .contains("<td>PAT-A</td><td>Contacted</td><td>phoned on Monday</td>"));
    assert!(case
        .text
        .contains("<td>PAT-B</td><td>Unreachable</td><td>no answer twice</td>"));
    assert!(case
        .text
        .contains("<label for=\"closing_note\">Closing note</label>"));
    let closed = post_page(
        &app,
        &r.manager,
        &format!("{path}/close"),
        &[("csrf_token", &csrf), ("note", "all patients handled")],
    )
    .await;
    assert_eq!(closed.status, 303, "{closed:?}");
    let api = app
        .get(&format!("/api/v1/recalls/{}", r.case_id), &r.c.auditor)
        .await;
    assert_eq!(api.body["status"], "closed");
    assert_eq!(api.body["closing_note"], "all patients handled");
    assert_eq!(api.body["pending"], 0);
    let case = get_page(&app, &format!("{path}?done=close"), &r.manager).await;
    assert!(case.text.contains("Recall case closed."));
    assert!(case.text.contains("(all patients handled)"));
    assert_eq!(post_forms(&case), 1, "a closed case has only Sign out");
    let list = get_page(&app, "/recalls", &r.manager).await;
    assert!(list.text.contains(&format!(
        "<a href=\"/recalls/{}\">Closed</a></td><td>0</td>",
        r.case_id
    )));
}

#[actix_web::test]
async fn an_auditor_reads_a_case_without_write_buttons_and_a_write_by_hand_is_refused() {
    let app = spawn_app().await;
    let r = recalled(&app).await;
    let list = get_page(&app, "/recalls", &r.auditor).await;
    assert_eq!(list.status, 200);
    for href in ["/recalls", "/exports", "/audit-log", "/trace"] {
        assert!(list.text.contains(&format!("<a href=\"{href}\"")), "{href}");
    }
    let path = format!("/recalls/{}", r.case_id);
    let case = get_page(&app, &path, &r.auditor).await;
    assert_eq!(case.status, 200);
    assert!(case.text.contains("<td>PAT-A</td><td>Pending</td>"));
    assert!(case.text.contains("<td>PAT-B</td><td>Pending</td>"));
    assert_eq!(post_forms(&case), 1, "only Sign out: {}", case.text);
    assert!(!case.text.contains("Save contact"));
    let csrf = case.csrf_token();
    let contact = post_page(
        &app,
        &r.auditor,
        &format!("{path}/contacts/{}", r.contact("PAT-A")),
        &[("csrf_token", &csrf), ("status", "contacted"), ("note", "")],
    )
    .await;
    assert_eq!(contact.status, 403, "{contact:?}");
    let close = post_page(
        &app,
        &r.auditor,
        &format!("{path}/close"),
        &[("csrf_token", &csrf), ("note", "")],
    )
    .await;
    assert_eq!(close.status, 403, "{close:?}");
    let api = app
        .get(&format!("/api/v1/recalls/{}", r.case_id), &r.c.auditor)
        .await;
    assert_eq!(api.body["pending"], 2, "nothing was written");
    // A form from another site is refused before anything else.
    let foreign = browse(
        &app.address,
        "POST",
        &format!("{path}/close"),
        Browser {
            cookie: Some(&r.manager),
            origin: Some("http://evil.example"),
            ..Browser::default()
        },
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(foreign.status, 403);
    // Another clinic's case is not found; a practitioner may not read cases.
    assert_eq!(
        get_page(&app, "/recalls/nope", &r.auditor).await.status,
        404
    );
    member(
        &app,
        &r.c.manager,
        &r.c.id,
        "practitioner",
        "pia@iris.example",
    )
    .await;
    let pia = sign_in(&app, "pia@iris.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    for page in [
        "/recalls",
        "/exports",
        "/audit-log",
        "/exports.csv?kind=movements",
    ] {
        assert_eq!(get_page(&app, page, &pia).await.status, 403, "{page}");
    }
}

#[actix_web::test]
async fn an_export_from_the_page_is_the_apis_export_byte_for_byte() {
    let app = spawn_app().await;
    let r = recalled(&app).await;
    let form = get_page(&app, "/exports", &r.auditor).await;
    assert_eq!(form.status, 200);
    for label in [
        "<label for=\"kind\">Export</label>",
        "<label for=\"from\">From</label>",
        "<label for=\"to\">To</label>",
        "<label for=\"product_id\">Product</label>",
        "<label for=\"lot_number\">Lot number</label>",
        "For Excel (BOM)</label>",
    ] {
        assert!(form.text.contains(label), "{label}");
    }
    assert!(form
        .text
        .contains("<form method=\"get\" action=\"/exports.csv\">"));
    assert!(form.text.contains(&format!(
        "<option value=\"{}\">Organic silicon (SIL-OK)</option>",
        r.product_id
    )));
    let (from, to) = (day(-1), day(1));
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("traceability", vec![]),
        (
            "traceability",
            vec![("lot_number", "SI-TRACE"), ("bom", "true")],
        ),
        (
            "movements",
            vec![("from", &from), ("to", &to), ("product_id", &r.product_id)],
        ),
        ("movements", vec![("lot_number", "HA-LOT")]),
        ("variance", vec![("from", &from), ("bom", "true")]),
    ];
    for (kind, filter) in cases {
        let query = serde_urlencoded::to_string(&filter).unwrap();
        let page = get_page(
            &app,
            &format!("/exports.csv?kind={kind}&{query}"),
            &r.auditor,
        )
        .await;
        assert_eq!(page.status, 200, "{kind} {query}: {page:?}");
        assert!(page.header("content-type").unwrap().starts_with("text/csv"));
        assert!(page
            .header("content-disposition")
            .unwrap()
            .contains(&format!("{kind}.csv")));
        let api = app
            .get(&format!("/api/v1/exports/{kind}.csv?{query}"), &r.c.auditor)
            .await;
        assert_eq!(api.status, 200, "{api:?}");
        assert_eq!(page.text, api.text, "{kind} {query}");
        assert!(
            kind == "variance" || page.text.lines().count() > 1,
            "{kind} {query}: rows, not only the header"
        );
        assert_eq!(
            page.text.starts_with('\u{feff}'),
            query.contains("bom=true"),
            "{kind} {query}"
        );
    }
    // Only the lot's rows.
    let one = get_page(
        &app,
        "/exports.csv?kind=movements&lot_number=HA-LOT",
        &r.auditor,
    )
    .await;
    assert!(one.text.lines().skip(1).all(|l| l.contains("HA-LOT")));

    // A bad filter answers the form with the error next to its field, never a CSV.
    let bad = get_page(
        &app,
        "/exports.csv?kind=movements&from=31%2F12%2F2026",
        &r.auditor,
    )
    .await;
    assert_eq!(bad.status, 422, "{bad:?}");
    assert!(bad.header("content-type").unwrap().starts_with("text/html"));
    let api_bad = app
        .get(
            "/api/v1/exports/movements.csv?from=31%2F12%2F2026",
            &r.c.auditor,
        )
        .await;
    assert_eq!(api_bad.status, 422);
    let message = s(&api_bad.body["errors"][0]["message"]).to_string();
    assert!(
        bad.text.contains(&format!(
            "<p id=\"from-error\" class=\"field-error\">{}</p>",
            message.replace('"', "&#34;")
        )),
        "{message} in {}",
        bad.text
    );
    assert!(bad.text.contains("value=\"31/12/2026\""), "the value stays");
    let lot = get_page(&app, "/exports.csv?kind=variance&lot_number=X", &r.auditor).await;
    assert_eq!(lot.status, 422);
    assert!(lot
        .text
        .contains("<p id=\"lot_number-error\" class=\"field-error\">"));
    let kind = get_page(&app, "/exports.csv?kind=stock", &r.auditor).await;
    assert_eq!(kind.status, 422);
    assert!(kind
        .text
        .contains("<p id=\"kind-error\" class=\"field-error\">"));
}

#[actix_web::test]
async fn the_audit_log_filters_by_person_action_and_date_newest_first() {
    let app = spawn_app().await;
    let r = recalled(&app).await;
    // Max (signed in) records a contact; everything else was done with the API token.
    let path = format!("/recalls/{}", r.case_id);
    let case = get_page(&app, &path, &r.manager).await;
    let done = post_page(
        &app,
        &r.manager,
        &format!("{path}/contacts/{}", r.contact("PAT-A")),
        &[
            ("csrf_token", &case.csrf_token()),
            ("status", "contacted"),
            ("note", "phoned"),
        ],
    )
    .await;
    assert_eq!(done.status, 303);

    let all = get_page(&app, "/audit-log", &r.auditor).await;
    assert_eq!(all.status, 200, "{all:?}");
    for label in [
        "<label for=\"person\">Person</label>",
        "<label for=\"action\">Action</label>",
        "<label for=\"from\">From</label>",
        "<label for=\"to\">To</label>",
    ] {
        assert!(all.text.contains(label), "{label}");
    }
    assert!(all.text.contains(&format!(
        "<option value=\"{}\">manager max@iris.example</option>",
        r.max_id
    )));
    // Newest first: the contact, then the case's opening, then the lot's recall.
    let contact_at = all.text.find("<td>Contact</td>").unwrap();
    let open_at = all.text.find("<td>Open</td>").unwrap();
    assert!(contact_at < open_at, "newest first");
    assert!(all
        .text
        .contains(&format!("<a href=\"{path}\">Recall {}</a>", r.case_id)));

    let mine = get_page(&app, &format!("/audit-log?person={}", r.max_id), &r.auditor).await;
    assert_eq!(mine.status, 200);
    let rows = mine.text.matches("<tr><td class=\"nowrap\">").count();
    assert!(rows >= 1);
    assert_eq!(
        mine.text
            .matches("</td><td>manager max@iris.example</td>")
            .count(),
        rows,
        "only Max's entries: {}",
        mine.text
    );
    assert!(mine.text.contains("<td>Contact</td>"));
    // Each change in words: field, before → after.
    assert!(
        mine.text.contains("Status: pending → contacted<br>"),
        "{}",
        mine.text
    );
    assert!(mine.text.contains("Note: – → phoned<br>"));
    assert!(mine
        .text
        .contains(&format!("<option value=\"{}\" selected>", r.max_id)));

    let opened = get_page(&app, "/audit-log?action=open", &r.auditor).await;
    assert!(opened.text.contains("<td>Open</td>"));
    assert!(!opened.text.contains("<td>Contact</td>"));
    assert!(!opened.text.contains("<td>Create</td>"));
    let api = app.get("/api/v1/audit-log", &r.c.auditor).await;
    let opens = api
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "open")
        .count();
    assert!(opens >= 1);
    assert_eq!(
        opened.text.matches("<tr><td class=\"nowrap\">").count(),
        opens
    );

    let today = get_page(
        &app,
        &format!("/audit-log?from={}&to={}", day(0), day(1)),
        &r.auditor,
    )
    .await;
    assert_eq!(
        today.text.matches("<tr><td class=\"nowrap\">").count(),
        api.body.as_array().unwrap().len(),
        "everything happened today"
    );
    let later = get_page(&app, &format!("/audit-log?from={}", day(1)), &r.auditor).await;
    assert!(later.text.contains("No entry matches these filters."));
    let bad = get_page(&app, "/audit-log?from=yesterday", &r.auditor).await;
    assert_eq!(bad.status, 422);
    assert!(bad
        .text
        .contains("<p id=\"from-error\" class=\"field-error\">"));
    assert!(bad
        .text
        .contains("is neither an RFC 3339 time nor a YYYY-MM-DD date"));
}
