//! The manager's `/staff` page (invite, role, deactivate, tokens) and the last small
//! gaps: a new product from `/stock`, the recall case's CSV.

use serde_json::{json, Value};

use crate::accounts::{browse, get_page, member, sign_in, Browser, Page, PASSWORD};
use crate::helpers::{s, spawn_app, Clinic, TestApp, ADMIN_TOKEN};
use crate::ui_audit::recalled;
use crate::ui_manager::post_page;

/// A clinic (one member per role, bearer tokens only) with a second manager (Mona), a practitioner (Pia) and an auditor (Ada), all
/// signed in.
struct Team {
    c: Clinic,
    mona_id: String,
    pia_id: String,
    pia_token: String,
    mona: String,
    pia: String,
    ada: String,
}

async fn team(app: &TestApp) -> Team {
    let c = app.clinic("Clinique Iris").await;
    let (mona_id, _) = member(app, &c.manager, &c.id, "manager", "mona@iris.example").await;
    let (pia_id, pia_token) =
        member(app, &c.manager, &c.id, "practitioner", "pia@iris.example").await;
    member(app, &c.manager, &c.id, "auditor", "ada@iris.example").await;
    let mut cookies = Vec::new();
    for email in ["mona@iris.example", "pia@iris.example", "ada@iris.example"] {
        cookies.push(
            sign_in(app, email, PASSWORD)
                .await
                .session_cookie()
                .unwrap(),
        );
    }
    Team {
        c,
        mona_id,
        pia_id,
        pia_token,
        mona: cookies[0].clone(),
        pia: cookies[1].clone(),
        ada: cookies[2].clone(),
    }
}

/// Posts `form` with the CSRF token of the page at `from`.
async fn submit(
    app: &TestApp,
    cookie: &str,
    from: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Page {
    let csrf = get_page(app, from, cookie).await.csrf_token();
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(form);
    post_page(app, cookie, path, &all).await
}

async fn staff_of(app: &TestApp, t: &Team) -> Vec<Value> {
    let list = app
        .get(&format!("/api/v1/clinics/{}/staff", t.c.id), ADMIN_TOKEN)
        .await;
    assert_eq!(list.status, 200, "{list:?}");
    list.body.as_array().unwrap().clone()
}

async fn person(app: &TestApp, t: &Team, id: &str) -> Value {
    staff_of(app, t)
        .await
        .into_iter()
        .find(|m| s(&m["id"]) == id)
        .unwrap()
}

fn see_other(p: &Page, to: &str) {
    assert_eq!(p.status, 303, "{p:?}");
    assert_eq!(p.header("location").as_deref(), Some(to), "{p:?}");
}

#[actix_web::test]
async fn only_a_manager_sees_and_uses_the_staff_page() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let page = get_page(&app, "/staff", &t.mona).await;
    assert_eq!(page.status, 200, "{page:?}");
    for text in [
        "mona@iris.example",
        "pia@iris.example",
        "ada@iris.example",
        "<a href=\"/staff\" aria-current=\"page\">Staff</a>",
        "<label for=\"invite-email\">Email</label>",
        "Role of Pia",
        "API tokens of",
        "Deactivate",
    ] {
        assert!(
            page.text
                .contains(&text.replace("Pia", "practitioner pia@iris.example")),
            "{text} in {}",
            page.text
        );
    }
    // Nobody is offered to deactivate themselves.
    assert!(!page
        .text
        .contains(&format!("action=\"/staff/{}/deactivate\"", t.mona_id)));

    for cookie in [&t.pia, &t.ada] {
        assert!(!get_page(&app, "/", cookie)
            .await
            .text
            .contains("href=\"/staff\""));
        assert_eq!(get_page(&app, "/staff", cookie).await.status, 403);
        for path in [
            "/staff".to_string(),
            format!("/staff/{}/role", t.pia_id),
            format!("/staff/{}/deactivate", t.pia_id),
            format!("/staff/{}/invitation", t.pia_id),
        ] {
            let refused = submit(
                &app,
                cookie,
                "/",
                &path,
                &[
                    ("name", "Eve"),
                    ("email", "eve@iris.example"),
                    ("role", "manager"),
                    ("confirm", "yes"),
                ],
            )
            .await;
            assert_eq!(refused.status, 403, "{path}: {refused:?}");
        }
    }
    assert!(get_page(&app, "/", &t.mona)
        .await
        .text
        .contains("href=\"/staff\""));
    assert_eq!(staff_of(&app, &t).await.len(), 6, "nobody was added");
    assert_eq!(
        s(&person(&app, &t, &t.pia_id).await["role"]),
        "practitioner"
    );
}

#[actix_web::test]
async fn a_forged_staff_form_is_refused() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let form = [
        ("csrf_token", "forged"),
        ("name", "Eve"),
        ("email", "eve@iris.example"),
        ("role", "manager"),
    ];
    assert_eq!(post_page(&app, &t.mona, "/staff", &form).await.status, 403);
    // The right token from another site: refused too.
    let csrf = get_page(&app, "/staff", &t.mona).await.csrf_token();
    let cross = browse(
        &app.address,
        "POST",
        "/staff",
        Browser {
            cookie: Some(&t.mona),
            origin: Some("https://evil.example"),
            ..Browser::default()
        },
        &[
            ("csrf_token", &csrf),
            ("name", "Eve"),
            ("email", "eve@iris.example"),
            ("role", "manager"),
        ],
    )
    .await;
    assert_eq!(cross.status, 403, "{cross:?}");
    let revoke = post_page(
        &app,
        &t.mona,
        &format!("/staff/{}/tokens/x/revoke", t.pia_id),
        &[("csrf_token", "forged")],
    )
    .await;
    assert_eq!(revoke.status, 403, "{revoke:?}");
    assert_eq!(staff_of(&app, &t).await.len(), 6);
}

#[actix_web::test]
async fn a_manager_invites_someone_and_sees_the_link_once() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let invited = submit(
        &app,
        &t.mona,
        "/staff",
        "/staff",
        &[
            ("name", "Noa Petit"),
            ("email", " Noa@Iris.example "),
            ("role", "practitioner"),
        ],
    )
    .await;
    assert_eq!(invited.status, 200, "{invited:?}");
    assert!(invited
        .text
        .contains("Invitation for <strong>Noa Petit</strong>"));
    let at = invited.text.find("/invitation?code=").unwrap() + "/invitation?code=".len();
    let code: String = invited.text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(code.starts_with("inv_"), "{code}");
    assert!(invited
        .text
        .contains(&format!("{}/invitation?code={code}", app.address)));

    // Listed, with no token (they sign in with a password), the link not shown again.
    let noa = staff_of(&app, &t)
        .await
        .into_iter()
        .find(|m| m["email"] == "noa@iris.example")
        .unwrap();
    assert_eq!(s(&noa["role"]), "practitioner");
    let tokens = app
        .get(
            &format!("/api/v1/staff/{}/tokens", s(&noa["id"])),
            &t.c.manager,
        )
        .await;
    assert_eq!(tokens.body, json!([]), "{tokens:?}");
    let again = get_page(&app, "/staff", &t.mona).await;
    assert!(again.text.contains("noa@iris.example"));
    assert!(!again.text.contains(&code));

    // The link works: the person sets a password and signs in.
    let accepted = browse(
        &app.address,
        "POST",
        "/invitation",
        Browser {
            origin: Some(&app.address),
            ..Browser::default()
        },
        &[("code", &code), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(accepted.status, 303, "{accepted:?}");
    assert!(sign_in(&app, "noa@iris.example", PASSWORD)
        .await
        .session_cookie()
        .is_some());

    // Bad input: a clear message next to its field, nobody added.
    for (name, email, role, status, field, words) in [
        (
            "Zoé",
            "",
            "practitioner",
            422,
            "invite-email-error",
            "the email is needed",
        ),
        ("Zoé", "zoe", "practitioner", 422, "invite-email-error", ""),
        (
            "",
            "zoe@iris.example",
            "practitioner",
            422,
            "invite-name-error",
            "",
        ),
        (
            "Zoé",
            "zoe@iris.example",
            "admin",
            422,
            "invite-role-error",
            "cannot be given",
        ),
        (
            "Zoé",
            "pia@iris.example",
            "auditor",
            409,
            "invite-email-error",
            "already belongs",
        ),
    ] {
        let bad = submit(
            &app,
            &t.mona,
            "/staff",
            "/staff",
            &[("name", name), ("email", email), ("role", role)],
        )
        .await;
        assert_eq!(bad.status, status, "{email}/{role}: {bad:?}");
        let at = bad
            .text
            .find(&format!("id=\"{field}\""))
            .unwrap_or_else(|| panic!("{field} in {}", bad.text));
        assert!(bad.text[at..].contains(words), "{words}");
        assert!(
            bad.text.contains(&format!("value=\"{name}\"")),
            "kept as typed"
        );
    }
    assert_eq!(staff_of(&app, &t).await.len(), 7);

    // A new invitation for someone listed replaces the earlier one.
    let reinvited = submit(
        &app,
        &t.mona,
        "/staff",
        &format!("/staff/{}/invitation", t.pia_id),
        &[],
    )
    .await;
    assert_eq!(reinvited.status, 200, "{reinvited:?}");
    assert!(reinvited.text.contains("/invitation?code=inv_"));
    assert!(reinvited
        .text
        .contains("Invitation for <strong>practitioner pia@iris.example</strong>"));
    // It ended Pia's browser session.
    see_other(&get_page(&app, "/", &t.pia).await, "/sign-in");
}

#[actix_web::test]
async fn a_manager_changes_a_role_and_deactivates_after_confirming() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let role = format!("/staff/{}/role", t.pia_id);
    see_other(
        &submit(&app, &t.mona, "/staff", &role, &[("role", "auditor")]).await,
        "/staff?done=role",
    );
    assert_eq!(s(&person(&app, &t, &t.pia_id).await["role"]), "auditor");
    let done = get_page(&app, "/staff?done=role", &t.mona).await;
    assert!(done.text.contains("Role changed"), "{done:?}");
    // Her next page already follows the new role.
    assert_eq!(get_page(&app, "/sessions/new", &t.pia).await.status, 403);

    let bad = submit(&app, &t.mona, "/staff", &role, &[("role", "admin")]).await;
    assert_eq!(bad.status, 422, "{bad:?}");
    assert!(bad
        .text
        .contains(&format!("id=\"role-{}-error\"", t.pia_id)));
    assert!(bad.text.contains("cannot be given to clinic staff"));

    // Deactivating asks for the box to be ticked first.
    let deactivate = format!("/staff/{}/deactivate", t.pia_id);
    let unconfirmed = submit(&app, &t.mona, "/staff", &deactivate, &[]).await;
    assert_eq!(unconfirmed.status, 422, "{unconfirmed:?}");
    assert!(unconfirmed.text.contains("tick the box to confirm"));
    assert_eq!(person(&app, &t, &t.pia_id).await["active"], true);
    see_other(
        &submit(&app, &t.mona, "/staff", &deactivate, &[("confirm", "yes")]).await,
        "/staff?done=deactivate",
    );
    assert_eq!(person(&app, &t, &t.pia_id).await["active"], false);
    see_other(&get_page(&app, "/", &t.pia).await, "/sign-in");
    assert_eq!(app.get("/api/v1/me", &t.pia_token).await.status, 401);
    let page = get_page(&app, "/staff", &t.mona).await;
    assert!(page.text.contains("(deactivated)"));
    see_other(
        &submit(
            &app,
            &t.mona,
            "/staff",
            &format!("/staff/{}/reactivate", t.pia_id),
            &[],
        )
        .await,
        "/staff?done=reactivate",
    );
    assert_eq!(person(&app, &t, &t.pia_id).await["active"], true);

    // Not yourself, even by a hand-made form.
    let me = submit(
        &app,
        &t.mona,
        "/staff",
        &format!("/staff/{}/deactivate", t.mona_id),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(me.status, 422, "{me:?}");
    assert!(me.text.contains("you cannot deactivate yourself"));
}

#[actix_web::test]
async fn the_last_active_manager_stays_a_manager() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let first = staff_of(&app, &t)
        .await
        .into_iter()
        .find(|m| m["role"] == "manager" && s(&m["id"]) != t.mona_id)
        .unwrap();
    // Two managers: one may go.
    see_other(
        &submit(
            &app,
            &t.mona,
            "/staff",
            &format!("/staff/{}/deactivate", s(&first["id"])),
            &[("confirm", "yes")],
        )
        .await,
        "/staff?done=deactivate",
    );
    // Mona is the last one now: neither the page nor the API demotes her.
    let demoted = submit(
        &app,
        &t.mona,
        "/staff",
        &format!("/staff/{}/role", t.mona_id),
        &[("role", "practitioner")],
    )
    .await;
    assert_eq!(demoted.status, 409, "{demoted:?}");
    assert!(demoted.text.contains("last active manager"), "{demoted:?}");
    let api = app
        .patch(
            &format!("/api/v1/staff/{}", t.mona_id),
            ADMIN_TOKEN,
            json!({"role": "auditor"}),
        )
        .await;
    assert_eq!(api.status, 409, "{api:?}");
    assert!(api.text.contains("last active manager"), "{api:?}");
    let api = app
        .patch(
            &format!("/api/v1/staff/{}", t.mona_id),
            ADMIN_TOKEN,
            json!({"active": false}),
        )
        .await;
    assert_eq!(api.status, 409, "{api:?}");
    assert_eq!(s(&person(&app, &t, &t.mona_id).await["role"]), "manager");
    // Another manager again: now Mona may change.
    let back = app
        .patch(
            &format!("/api/v1/staff/{}", s(&first["id"])),
            ADMIN_TOKEN,
            json!({"active": true}),
        )
        .await;
    assert_eq!(back.status, 200, "{back:?}");
    let api = app
        .patch(
            &format!("/api/v1/staff/{}", t.mona_id),
            ADMIN_TOKEN,
            json!({"role": "auditor"}),
        )
        .await;
    assert_eq!(api.status, 200, "{api:?}");
}

#[actix_web::test]
async fn a_manager_revokes_a_token_of_their_staff() {
    let app = spawn_app().await;
    let t = team(&app).await;
    assert_eq!(app.get("/api/v1/me", &t.pia_token).await.status, 200);
    let tokens = app
        .get(&format!("/api/v1/staff/{}/tokens", t.pia_id), &t.c.manager)
        .await;
    let token_id = s(&tokens.body[0]["id"]).to_string();
    let prefix = s(&tokens.body[0]["prefix"]).to_string();
    let page = get_page(&app, "/staff", &t.mona).await;
    let action = format!("/staff/{}/tokens/{token_id}/revoke", t.pia_id);
    assert!(
        page.text.contains(&format!("action=\"{action}\"")),
        "{page:?}"
    );
    assert!(page.text.contains(&prefix));
    see_other(
        &submit(&app, &t.mona, "/staff", &action, &[]).await,
        "/staff?done=revoke",
    );
    assert_eq!(app.get("/api/v1/me", &t.pia_token).await.status, 401);
    let after = get_page(&app, "/staff?done=revoke", &t.mona).await;
    assert!(after.text.contains("Token revoked"));
    assert!(!after.text.contains(&action));
    // Twice: the token is gone, a clear 404 page.
    let twice = submit(&app, &t.mona, "/staff", &action, &[]).await;
    assert_eq!(twice.status, 404, "{twice:?}");
    // Another role may not.
    let other = app
        .get(&format!("/api/v1/staff/{}/tokens", t.mona_id), &t.c.manager)
        .await;
    let mona_token = s(&other.body[0]["id"]).to_string();
    let refused = submit(
        &app,
        &t.ada,
        "/",
        &format!("/staff/{}/tokens/{mona_token}/revoke", t.mona_id),
        &[],
    )
    .await;
    assert_eq!(refused.status, 403, "{refused:?}");
}

#[actix_web::test]
async fn a_manager_creates_a_product_from_the_stock_page() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let stock = get_page(&app, "/stock", &t.mona).await;
    assert!(stock.text.contains("href=\"/products/new\""), "{stock:?}");
    assert!(!get_page(&app, "/stock", &t.ada)
        .await
        .text
        .contains("href=\"/products/new\""));
    assert_eq!(get_page(&app, "/products/new", &t.ada).await.status, 403);
    let form = get_page(&app, "/products/new", &t.mona).await;
    assert_eq!(form.status, 200, "{form:?}");
    // The Stock group is open; no menu link claims to be this page.
    assert!(form
        .text
        .contains("<a href=\"/stock\" aria-current=\"true\">Stock</a>"));
    assert!(form.text.contains("<a href=\"/receive\">Receive</a>"));
    assert!(!form.text.contains("aria-current=\"page\""));
    for label in ["SKU", "Name", "Kind", "Stock unit", "Unit cost", "Supplier"] {
        assert!(form.text.contains(&format!(">{label}</label>")), "{label}");
    }

    let good = [
        ("sku", "VIT-C"),
        ("name", "Vitamin C 5 ml"),
        ("kind", "ampoule"),
        ("ingredients", "vitamin C, water"),
        ("gtin", ""),
        ("stock_unit", "ml"),
        ("content", "5"),
        ("single_use", "yes"),
        ("storage", "refrigerated"),
        ("reorder_point", "10"),
        ("reorder_quantity", "6"),
        ("unit_cost", "7.25"),
        ("supplier_id", ""),
    ];
    let created = submit(&app, &t.mona, "/products/new", "/products/new", &good).await;
    assert_eq!(created.status, 303, "{created:?}");
    let to = created.header("location").unwrap();
    assert!(to.ends_with("?done=new"), "{to}");
    let shown = get_page(&app, &to, &t.mona).await;
    assert!(shown.text.contains("Product created"), "{shown:?}");
    // As the API's answer does, the page warns of an ingredient screening does not know.
    assert!(
        shown
            .text
            .contains("Warning: ingredient &#34;water&#34; is named by no screening rule")
            || shown
                .text
                .contains("Warning: ingredient &quot;water&quot; is named by no screening rule"),
        "{}",
        shown.text
    );
    assert!(!shown.text.contains("ingredient &#34;vitamin c&#34;"));
    let id = to
        .trim_start_matches("/products/")
        .trim_end_matches("?done=new");
    let api = app
        .get(&format!("/api/v1/products/{id}"), &t.c.manager)
        .await;
    assert_eq!(api.status, 200, "{api:?}");
    assert_eq!(api.body["unit_cost"], "7.25");
    assert_eq!(api.body["ingredients"], json!(["vitamin c", "water"]));
    assert_eq!(api.body["storage"], "refrigerated");

    // Bad input: each error next to its field, the form kept as typed, nothing written.
    let with = |changes: &[(&'static str, &'static str)]| {
        let mut f = good.to_vec();
        for (k, v) in changes {
            for (n, old) in f.iter_mut() {
                if n == k {
                    *old = v;
                }
            }
        }
        f
    };
    for (changes, status, field) in [
        (vec![("content", "five")], 422, "content-error"),
        (
            vec![("reorder_quantity", "1.5")],
            422,
            "reorder_quantity-error",
        ),
        (vec![("sku", "VIT-D"), ("gtin", "12345")], 422, "gtin-error"),
        (vec![("sku", ""), ("name", "")], 422, "sku-error"),
        (vec![("sku", "VIT-D"), ("kind", "jar")], 422, "kind-error"),
    ] {
        let bad = submit(
            &app,
            &t.mona,
            "/products/new",
            "/products/new",
            &with(&changes),
        )
        .await;
        assert_eq!(bad.status, status, "{changes:?}: {bad:?}");
        assert!(
            bad.text.contains(&format!("id=\"{field}\"")),
            "{field}: {bad:?}"
        );
        assert!(bad.text.contains("aria-invalid=\"true\""));
    }
    let duplicate = submit(&app, &t.mona, "/products/new", "/products/new", &good).await;
    assert_eq!(duplicate.status, 409, "{duplicate:?}");
    assert!(duplicate.text.contains("class=\"alert\""), "{duplicate:?}");
    let all = app.get("/api/v1/products", &t.c.manager).await;
    assert_eq!(all.body.as_array().unwrap().len(), 1, "{all:?}");

    let refused = submit(&app, &t.ada, "/", "/products/new", &good).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    let forged = post_page(&app, &t.mona, "/products/new", &good).await;
    assert_eq!(forged.status, 403, "no CSRF token: {forged:?}");
    assert_eq!(
        get_page(&app, "/products/new", &t.pia).await.status,
        403,
        "a practitioner neither"
    );
}

#[actix_web::test]
async fn the_recall_case_page_links_its_csv() {
    let app = spawn_app().await;
    let r = recalled(&app).await;
    let case = get_page(&app, &format!("/recalls/{}", r.case_id), &r.auditor).await;
    let href = format!("/recalls/{}.csv", r.case_id);
    assert!(case.text.contains(&format!("href=\"{href}\"")), "{case:?}");
    assert!(case.text.contains(">Download CSV</a>"));
    for cookie in [&r.auditor, &r.manager] {
        let csv = get_page(&app, &href, cookie).await;
        assert_eq!(csv.status, 200, "{csv:?}");
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let api = app
            .get(
                &format!("/api/v1/exports/recall/{}.csv", r.lot_id),
                &r.c.auditor,
            )
            .await;
        assert_eq!(csv.text, api.text, "the API's bytes");
        assert!(csv.text.contains("PAT-A") && csv.text.contains("PAT-B"));
    }
    let missing = get_page(&app, "/recalls/nope.csv", &r.auditor).await;
    assert_eq!(missing.status, 404, "{missing:?}");
    // A practitioner may not.
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
    assert_eq!(get_page(&app, &href, &pia).await.status, 403);
}

#[actix_web::test]
async fn the_api_invites_a_new_member_as_the_page_does() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    let path = format!("/api/v1/clinics/{}/invitations", c.id);
    let invited = app
        .post(
            &path,
            &c.manager,
            json!({"name": "Noa Petit", "role": "practitioner", "email": "Noa@Iris.example"}),
        )
        .await;
    assert_eq!(invited.status, 201, "{invited:?}");
    assert_eq!(invited.body["staff"]["email"], "noa@iris.example");
    assert_eq!(invited.body["staff"]["has_password"], false);
    let code = s(&invited.body["code"]);
    assert_eq!(
        s(&invited.body["accept_path"]),
        format!("/invitation?code={code}")
    );
    let tokens = app
        .get(
            &format!("/api/v1/staff/{}/tokens", s(&invited.body["staff"]["id"])),
            &c.manager,
        )
        .await;
    assert_eq!(tokens.body, json!([]), "no bearer token: {tokens:?}");
    let accepted = app
        .request(
            "POST",
            "/api/v1/invitations/accept",
            None,
            Some(json!({"code": code, "password": PASSWORD}).to_string()),
        )
        .await;
    assert_eq!(accepted.status, 200, "{accepted:?}");

    let no_email = app
        .post(
            &path,
            &c.manager,
            json!({"name": "Zoé", "role": "auditor", "email": " "}),
        )
        .await;
    assert_eq!(no_email.status, 422, "{no_email:?}");
    assert_eq!(crate::helpers::field_errors(&no_email), ["email"]);
    let taken = app
        .post(
            &path,
            &c.manager,
            json!({"name": "Zoé", "role": "auditor", "email": "noa@iris.example"}),
        )
        .await;
    assert_eq!(taken.status, 409, "{taken:?}");
    let refused = app
        .post(
            &path,
            &c.practitioner,
            json!({"name": "Zoé", "role": "manager", "email": "zoe@iris.example"}),
        )
        .await;
    assert_eq!(refused.status, 403, "{refused:?}");
}
