//! People sign in: staff management, invitations and passwords, named tokens, browser
//! sessions with CSRF, the sign-in rate limit and the audit trail of all of it.

use std::time::{Duration, Instant};

use awc::http::header::HeaderMap;
use mesoledger::startup::{Application, Settings};
use serde_json::{json, Value};

use crate::helpers::{s, spawn_app, start_instance, TestApp, ADMIN_TOKEN};

/// An HTML answer with its headers.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?} {}", self.status, self.headers, self.text)
    }
}

impl Page {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The session cookie's value from `Set-Cookie`.
    pub fn session_cookie(&self) -> Option<String> {
        let set = self.header("set-cookie")?;
        let value = set.strip_prefix("mesoledger_session=")?.split(';').next()?;
        Some(value.to_string()).filter(|v| !v.is_empty())
    }

    /// The CSRF token of the page's Sign out form.
    pub fn csrf_token(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf_token\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.text));
        let rest = &self.text[at + "name=\"csrf_token\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}

/// What a browser would send besides the body.
#[derive(Default, Clone, Copy)]
pub struct Browser<'a> {
    pub cookie: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub referer: Option<&'a str>,
}

/// Each page, requested with `method` by a signed-out browser, sends it to `/sign-in`.
pub async fn assert_sends_to_sign_in(address: &str, method: &str, paths: &[&str]) {
    for path in paths {
        let r = browse(address, method, path, Browser::default(), &[]).await;
        assert_eq!(r.status, 303, "{method} {path}");
        assert_eq!(
            r.header("location").as_deref(),
            Some("/sign-in"),
            "{method} {path}"
        );
    }
}

/// A GET or a form POST to `address`, redirects not followed.
pub async fn browse(
    address: &str,
    method: &str,
    path: &str,
    b: Browser<'_>,
    form: &[(&str, &str)],
) -> Page {
    let client = awc::Client::builder()
        .disable_redirects()
        .timeout(Duration::from_secs(60))
        .finish();
    let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client
        .request(method.clone(), format!("{address}{path}"))
        .insert_header(("Accept", "text/html,application/xhtml+xml"));
    if let Some(c) = b.cookie {
        req = req.insert_header(("Cookie", format!("mesoledger_session={c}")));
    }
    if let Some(o) = b.origin {
        req = req.insert_header(("Origin", o));
    }
    if let Some(r) = b.referer {
        req = req.insert_header(("Referer", r));
    }
    let mut res = if method == awc::http::Method::POST {
        let body = serde_urlencoded::to_string(form).unwrap();
        req.insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .send_body(body)
            .await
    } else {
        req.send().await
    }
    .expect("request sent");
    let bytes = res.body().await.expect("body");
    Page {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> Page {
    browse(
        &app.address,
        "POST",
        "/sign-in",
        Browser {
            origin: Some(&app.address),
            ..Browser::default()
        },
        &[("email", email), ("password", password)],
    )
    .await
}

pub async fn get_page(app: &TestApp, path: &str, cookie: &str) -> Page {
    browse(
        &app.address,
        "GET",
        path,
        Browser {
            cookie: Some(cookie),
            ..Browser::default()
        },
        &[],
    )
    .await
}

pub const PASSWORD: &str = "correct horse battery staple";

/// A new member of the clinic with an email and a password set through an invitation.
/// Answers (staff id, bearer token).
pub async fn member(
    app: &TestApp,
    by: &str,
    clinic_id: &str,
    role: &str,
    email: &str,
) -> (String, String) {
    let m = app
        .post(
            &format!("/api/v1/clinics/{clinic_id}/staff"),
            by,
            json!({"name": format!("{role} {email}"), "role": role, "email": email}),
        )
        .await;
    assert_eq!(m.status, 201, "{m:?}");
    let id = s(&m.body["id"]).to_string();
    let inv = app
        .request(
            "POST",
            &format!("/api/v1/staff/{id}/invitation"),
            Some(by),
            None,
        )
        .await;
    assert_eq!(inv.status, 201, "{inv:?}");
    let ok = app
        .request(
            "POST",
            "/api/v1/invitations/accept",
            None,
            Some(json!({"code": inv.body["code"], "password": PASSWORD}).to_string()),
        )
        .await;
    assert_eq!(ok.status, 200, "{ok:?}");
    (id, s(&m.body["token"]).to_string())
}

async fn audit_actions(app: &TestApp, token: &str, entity_id: &str) -> Vec<(String, Value)> {
    let log = app
        .get(&format!("/api/v1/audit-log?entity_id={entity_id}"), token)
        .await;
    assert_eq!(log.status, 200, "{log:?}");
    log.body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (s(&e["action"]).to_string(), e["changes"].clone()))
        .collect()
}

#[actix_web::test]
async fn staff_are_listed_and_changed_by_admin_or_their_own_manager() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    let other = app.clinic("Clinique Autre").await;
    let staff_path = format!("/api/v1/clinics/{}/staff", c.id);

    let lea = app
        .post(
            &staff_path,
            &c.manager,
            json!({"name": "Léa", "role": "practitioner", "email": "  Lea.Martin@Clinic.Example "}),
        )
        .await;
    assert_eq!(lea.status, 201, "{lea:?}");
    assert_eq!(lea.body["email"], "lea.martin@clinic.example");
    let lea_id = s(&lea.body["id"]).to_string();
    let same_email = app
        .post(
            &staff_path,
            ADMIN_TOKEN,
            json!({"name": "Other Léa", "role": "auditor", "email": "LEA.MARTIN@clinic.example"}),
        )
        .await;
    assert_eq!(
        same_email.status, 409,
        "emails are unique whatever their case"
    );
    let bad_email = app
        .post(
            &staff_path,
            &c.manager,
            json!({"name": "X", "role": "auditor", "email": "not an email"}),
        )
        .await;
    assert_eq!(bad_email.status, 422);
    assert_eq!(bad_email.body["errors"][0]["field"], "email");

    for token in [&c.manager, ADMIN_TOKEN] {
        let list = app.get(&staff_path, token).await;
        assert_eq!(list.status, 200, "{list:?}");
        let rows = list.body.as_array().unwrap();
        assert_eq!(rows.len(), 4, "three roles and Léa");
        let row = rows.iter().find(|r| r["id"] == lea_id.as_str()).unwrap();
        assert_eq!(row["email"], "lea.martin@clinic.example");
        assert_eq!(row["active"], true);
        assert_eq!(row["has_password"], false);
        assert!(!list.text.contains("token"), "no secrets in the list");
    }
    assert_eq!(app.get(&staff_path, &c.practitioner).await.status, 403);
    assert_eq!(app.get(&staff_path, &c.auditor).await.status, 403);
    assert_eq!(app.get(&staff_path, &other.manager).await.status, 404);

    let lea_path = format!("/api/v1/staff/{lea_id}");
    let renamed = app
        .patch(
            &lea_path,
            &c.manager,
            json!({"name": "Léa Martin", "role": "manager"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{renamed:?}");
    assert_eq!(renamed.body["name"], "Léa Martin");
    assert_eq!(renamed.body["role"], "manager");
    // Never an admin, neither by creation nor by promotion.
    let promote = app
        .patch(&lea_path, &c.manager, json!({"role": "admin"}))
        .await;
    assert_eq!(promote.status, 422, "{promote:?}");
    assert_eq!(promote.body["errors"][0]["field"], "role");
    let create_admin = app
        .post(
            &staff_path,
            &c.manager,
            json!({"name": "Boss", "role": "admin"}),
        )
        .await;
    assert_eq!(create_admin.status, 422);
    assert_eq!(
        app.patch(&lea_path, ADMIN_TOKEN, json!({"role": "admin"}))
            .await
            .status,
        422
    );
    // Another clinic's manager, a practitioner, or an unknown id.
    assert_eq!(
        app.patch(&lea_path, &other.manager, json!({"name": "Spy"}))
            .await
            .status,
        404
    );
    assert_eq!(
        app.patch(&lea_path, &c.practitioner, json!({"name": "Me"}))
            .await
            .status,
        403
    );
    assert_eq!(
        app.patch(
            "/api/v1/staff/00000000-0000-0000-0000-000000000000",
            ADMIN_TOKEN,
            json!({"name": "X"})
        )
        .await
        .status,
        404
    );
    // Nobody locks themself out.
    let me = app.get("/api/v1/me", &c.manager).await;
    let myself = app
        .patch(
            &format!("/api/v1/staff/{}", s(&me.body["staff_id"])),
            &c.manager,
            json!({"active": false}),
        )
        .await;
    assert_eq!(myself.status, 422, "{myself:?}");
    assert_eq!(myself.body["errors"][0]["field"], "active");
    // The new role applies at once.
    let lea_token = s(&lea.body["token"]).to_string();
    let as_manager = app.get("/api/v1/forecast", &lea_token).await;
    assert_eq!(as_manager.status, 200, "{as_manager:?}");
    app.patch(&lea_path, &c.manager, json!({"role": "auditor"}))
        .await;
    assert_eq!(app.get("/api/v1/forecast", &lea_token).await.status, 403);
}

#[actix_web::test]
async fn deactivating_someone_ends_their_tokens_and_browser_sessions_but_keeps_history() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    let (id, token) = member(&app, &c.manager, &c.id, "practitioner", "nina@iris.example").await;
    let second = app
        .post("/api/v1/me/tokens", &token, json!({"name": "tablet"}))
        .await;
    assert_eq!(second.status, 201);
    let second = s(&second.body["token"]).to_string();
    let signed_in = sign_in(&app, "nina@iris.example", PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{signed_in:?}");
    let cookie = signed_in.session_cookie().unwrap();
    assert_eq!(get_page(&app, "/", &cookie).await.status, 200);
    assert_eq!(app.get("/api/v1/me", &token).await.status, 200);

    let off = app
        .patch(
            &format!("/api/v1/staff/{id}"),
            &c.manager,
            json!({"active": false}),
        )
        .await;
    assert_eq!(off.status, 200, "{off:?}");
    assert_eq!(off.body["active"], false);
    for t in [&token, &second] {
        let me = app.get("/api/v1/me", t).await;
        assert_eq!(me.status, 401, "every token stops at once: {me:?}");
    }
    let home = get_page(&app, "/", &cookie).await;
    assert_eq!(home.status, 303, "the browser session is over");
    assert_eq!(home.header("location").as_deref(), Some("/sign-in"));
    assert_eq!(
        sign_in(&app, "nina@iris.example", PASSWORD).await.status,
        401,
        "a deactivated person cannot sign in"
    );
    // Their history stays: the person is still listed, and the audit log names them.
    let list = app
        .get(&format!("/api/v1/clinics/{}/staff", c.id), &c.manager)
        .await;
    assert!(list.text.contains("nina@iris.example"));
    let actions = audit_actions(&app, &c.manager, &id).await;
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    for expected in [
        "create",
        "invite",
        "set-password",
        "sign-in",
        "update",
        "deactivate",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let (_, deactivation) = actions.iter().find(|(a, _)| a == "deactivate").unwrap();
    assert_eq!(deactivation["from"][1], "127.0.0.1");
    assert_eq!(deactivation["tokens_revoked"][1], 2);
    assert_eq!(deactivation["sessions_ended"][1], 1);
    // Reactivated, they sign in again; revoked tokens stay revoked.
    app.patch(
        &format!("/api/v1/staff/{id}"),
        &c.manager,
        json!({"active": true}),
    )
    .await;
    assert_eq!(
        sign_in(&app, "nina@iris.example", PASSWORD).await.status,
        303
    );
    assert_eq!(app.get("/api/v1/me", &token).await.status, 401);
}

#[actix_web::test]
async fn invitations_set_a_password_once_within_72_hours() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    let staff_path = format!("/api/v1/clinics/{}/staff", c.id);
    let m = app
        .post(
            &staff_path,
            &c.manager,
            json!({"name": "Hugo Petit", "role": "auditor"}),
        )
        .await;
    let id = s(&m.body["id"]).to_string();
    let invite_path = format!("/api/v1/staff/{id}/invitation");
    let no_email = app
        .request("POST", &invite_path, Some(&c.manager), None)
        .await;
    assert_eq!(no_email.status, 422, "{no_email:?}");
    assert_eq!(no_email.body["errors"][0]["field"], "email");
    app.patch(
        &format!("/api/v1/staff/{id}"),
        &c.manager,
        json!({"email": "Hugo@Iris.example"}),
    )
    .await;
    assert_eq!(
        app.request("POST", &invite_path, Some(&c.practitioner), None)
            .await
            .status,
        403
    );
    let first = app
        .request("POST", &invite_path, Some(&c.manager), None)
        .await;
    assert_eq!(first.status, 201, "{first:?}");
    let expires: chrono::DateTime<chrono::Utc> = s(&first.body["expires_at"]).parse().unwrap();
    let hours = (expires - chrono::Utc::now()).num_minutes();
    assert!((71 * 60..=72 * 60).contains(&hours), "{hours} minutes");
    // A second invitation replaces the first.
    let second = app
        .request("POST", &invite_path, Some(&c.manager), None)
        .await;
    let code = s(&second.body["code"]).to_string();
    let accept = |code: String, password: &str| {
        let body = json!({"code": code, "password": password}).to_string();
        app.request("POST", "/api/v1/invitations/accept", None, Some(body))
    };
    let old = accept(s(&first.body["code"]).to_string(), PASSWORD).await;
    assert_eq!(old.status, 422, "{old:?}");
    assert_eq!(old.body["errors"][0]["field"], "code");
    for bad in [
        "too short",
        "hugo@iris.example",
        "HUGO PETIT",
        &"x".repeat(129),
    ] {
        let r = accept(code.clone(), bad).await;
        assert_eq!(r.status, 422, "{bad}: {r:?}");
        assert_eq!(r.body["errors"][0]["field"], "password");
    }
    let ok = accept(code.clone(), PASSWORD).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.body["email"], "hugo@iris.example");
    let again = accept(code.clone(), "another long password").await;
    assert_eq!(again.status, 422, "single use: {again:?}");
    assert_eq!(
        sign_in(&app, "HUGO@iris.example", PASSWORD).await.status,
        303
    );
    assert_eq!(
        sign_in(&app, "hugo@iris.example", "another long password")
            .await
            .status,
        401
    );

    // A new invitation ends the person's browser sessions; an expired one does nothing.
    let cookie = sign_in(&app, "hugo@iris.example", PASSWORD)
        .await
        .session_cookie()
        .unwrap();
    assert_eq!(get_page(&app, "/", &cookie).await.status, 200);
    let third = app
        .request("POST", &invite_path, Some(&c.manager), None)
        .await;
    assert_eq!(get_page(&app, "/", &cookie).await.status, 303);
    app.db.execute(&format!(
        "UPDATE invitations SET expires_at = '2000-01-01 00:00:00' WHERE staff_id = '{id}'"
    ));
    let expired = accept(s(&third.body["code"]).to_string(), "a brand new password").await;
    assert_eq!(expired.status, 422, "{expired:?}");
    assert_eq!(expired.body["errors"][0]["field"], "code");
    assert_eq!(
        accept("inv_unknown".into(), PASSWORD).await.status,
        422,
        "an unknown code"
    );
}

#[actix_web::test]
async fn people_have_many_named_tokens_listed_without_secrets_and_revocable() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    let list = app.get("/api/v1/me/tokens", &c.practitioner).await;
    assert_eq!(list.status, 200, "{list:?}");
    assert_eq!(
        list.body.as_array().unwrap().len(),
        1,
        "the token made with the account"
    );
    assert_eq!(list.body[0]["name"], "first token");

    let made = app
        .post(
            "/api/v1/me/tokens",
            &c.practitioner,
            json!({"name": "label printer"}),
        )
        .await;
    assert_eq!(made.status, 201, "{made:?}");
    let secret = s(&made.body["token"]).to_string();
    let token_id = s(&made.body["id"]).to_string();
    assert!(secret.starts_with(s(&made.body["prefix"])));
    assert_eq!(app.get("/api/v1/me", &secret).await.status, 200);
    let blank = app
        .post("/api/v1/me/tokens", &c.practitioner, json!({"name": " "}))
        .await;
    assert_eq!(blank.status, 422);

    let list = app.get("/api/v1/me/tokens", &c.practitioner).await;
    let rows = list.body.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        !list.text.contains(&secret),
        "the secret is shown once only"
    );
    assert!(!list.text.contains(&c.practitioner));
    assert!(rows.iter().all(|r| r.get("token").is_none()));
    let used = rows.iter().find(|r| r["id"] == token_id.as_str()).unwrap();
    assert!(used["last_used_at"].is_string(), "{used}");
    assert!(used["prefix"].as_str().unwrap().len() < 16);

    // Only one's own tokens through /me.
    let foreign = app
        .request(
            "DELETE",
            &format!("/api/v1/me/tokens/{token_id}"),
            Some(&c.manager),
            None,
        )
        .await;
    assert_eq!(foreign.status, 404);
    let gone = app
        .request(
            "DELETE",
            &format!("/api/v1/me/tokens/{token_id}"),
            Some(&c.practitioner),
            None,
        )
        .await;
    assert_eq!(gone.status, 204, "{gone:?}");
    assert_eq!(app.get("/api/v1/me", &secret).await.status, 401);
    assert_eq!(app.get("/api/v1/me", &c.practitioner).await.status, 200);
    let twice = app
        .request(
            "DELETE",
            &format!("/api/v1/me/tokens/{token_id}"),
            Some(&c.practitioner),
            None,
        )
        .await;
    assert_eq!(twice.status, 404);

    // A manager sees and revokes their staff's tokens; a practitioner cannot.
    let me = app.get("/api/v1/me", &c.practitioner).await;
    let pid = s(&me.body["staff_id"]).to_string();
    let theirs = app
        .get(&format!("/api/v1/staff/{pid}/tokens"), &c.manager)
        .await;
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.body.as_array().unwrap().len(), 1);
    let first_id = s(&theirs.body[0]["id"]).to_string();
    let revoke_path = format!("/api/v1/staff/{pid}/tokens/{first_id}");
    assert_eq!(
        app.request("DELETE", &revoke_path, Some(&c.auditor), None)
            .await
            .status,
        403
    );
    let other = app.clinic("Other").await;
    assert_eq!(
        app.request("DELETE", &revoke_path, Some(&other.manager), None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.request("DELETE", &revoke_path, Some(&c.manager), None)
            .await
            .status,
        204
    );
    assert_eq!(app.get("/api/v1/me", &c.practitioner).await.status, 401);

    let actions = audit_actions(&app, &c.manager, &token_id).await;
    assert_eq!(
        actions.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        ["create", "revoke"]
    );
    assert_eq!(actions[0].1["name"][1], "label printer");
    assert_eq!(actions[1].1["from"][1], "127.0.0.1");
    assert!(!actions[0].1.to_string().contains(&secret));
}

#[actix_web::test]
async fn a_revoked_token_answers_401_on_another_instance_within_five_seconds() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    let other_instance = start_instance(app.db.url());
    let made = app
        .post("/api/v1/me/tokens", &c.manager, json!({"name": "script"}))
        .await;
    let secret = s(&made.body["token"]).to_string();
    // Both instances have seen (and cached) the token.
    for address in [&app.address, &other_instance] {
        let me = app
            .request_to(address, "GET", "/api/v1/me", Some(&secret), None)
            .await;
        assert_eq!(me.status, 200);
    }
    let revoked_at = Instant::now();
    let gone = app
        .request(
            "DELETE",
            &format!("/api/v1/me/tokens/{}", s(&made.body["id"])),
            Some(&secret),
            None,
        )
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(
        app.get("/api/v1/me", &secret).await.status,
        401,
        "at once on the instance that revoked it"
    );
    loop {
        let me = app
            .request_to(&other_instance, "GET", "/api/v1/me", Some(&secret), None)
            .await;
        if me.status == 401 {
            break;
        }
        assert_eq!(me.status, 200);
        assert!(
            revoked_at.elapsed() < Duration::from_secs(5),
            "still accepted after 5 s on the other instance"
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    // A deactivation reaches the other instance the same way.
    let me = app.get("/api/v1/me", &c.practitioner).await;
    assert_eq!(
        app.request_to(
            &other_instance,
            "GET",
            "/api/v1/me",
            Some(&c.practitioner),
            None
        )
        .await
        .status,
        200
    );
    let off_at = Instant::now();
    app.patch(
        &format!("/api/v1/staff/{}", s(&me.body["staff_id"])),
        &c.manager,
        json!({"active": false}),
    )
    .await;
    assert_eq!(app.get("/api/v1/me", &c.practitioner).await.status, 401);
    loop {
        let me = app
            .request_to(
                &other_instance,
                "GET",
                "/api/v1/me",
                Some(&c.practitioner),
                None,
            )
            .await;
        if me.status == 401 {
            break;
        }
        assert!(
            off_at.elapsed() < Duration::from_secs(5),
            "deactivation too slow"
        );
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
}

#[actix_web::test]
async fn sign_in_sets_a_strict_cookie_and_every_cookie_post_needs_csrf_and_same_origin() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    let (nina, _) = member(&app, &c.manager, &c.id, "practitioner", "nina@iris.example").await;

    let form = browse(&app.address, "GET", "/sign-in", Browser::default(), &[]).await;
    assert_eq!(form.status, 200);
    assert!(
        form.text.contains("<label for=\"email\">Email</label>"),
        "{}",
        form.text
    );
    assert!(form
        .text
        .contains("<label for=\"password\">Password</label>"));
    assert!(form.text.contains("lang=\"en\""));
    assert_eq!(
        browse(&app.address, "GET", "/", Browser::default(), &[])
            .await
            .header("location")
            .as_deref(),
        Some("/sign-in"),
        "signed out, / sends to the sign-in page"
    );

    // Another site cannot sign a browser in (no Origin, or a foreign one).
    for b in [
        Browser::default(),
        Browser {
            origin: Some("https://evil.example"),
            ..Browser::default()
        },
    ] {
        let r = browse(
            &app.address,
            "POST",
            "/sign-in",
            b,
            &[("email", "nina@iris.example"), ("password", PASSWORD)],
        )
        .await;
        assert_eq!(r.status, 403, "{r:?}");
        assert!(r.session_cookie().is_none());
    }

    let ok = sign_in(&app, "Nina@Iris.example", PASSWORD).await;
    assert_eq!(ok.status, 303, "{ok:?}");
    assert_eq!(ok.header("location").as_deref(), Some("/"));
    let set = ok.header("set-cookie").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.split("; ").any(|p| p == flag), "{flag} in {set}");
    }
    assert!(
        !set.contains("Secure"),
        "plain http without a public https URL"
    );
    let cookie = ok.session_cookie().unwrap();
    assert_eq!(cookie.len(), 64, "256 random bits, hex");

    let home = get_page(&app, "/", &cookie).await;
    assert_eq!(home.status, 200, "{home:?}");
    assert!(home.text.contains("practitioner nina@iris.example"));
    assert!(home.text.contains("Clinique Iris"));
    assert!(home.text.contains("Sign out"));
    assert_eq!(
        get_page(&app, "/sign-in", &cookie).await.status,
        303,
        "signed in, the sign-in page sends home"
    );
    // The cookie never authenticates the JSON API.
    let api = browse(
        &app.address,
        "GET",
        "/api/v1/me",
        Browser {
            cookie: Some(&cookie),
            origin: Some(&app.address),
            ..Browser::default()
        },
        &[],
    )
    .await;
    assert_eq!(api.status, 401);

    let csrf = home.csrf_token();
    let refused = [
        (Some(app.address.as_str()), None, ""),
        (Some(app.address.as_str()), None, "wrong-token"),
        (Some("https://evil.example"), None, csrf.as_str()),
        (None, None, csrf.as_str()),
        (None, Some("https://evil.example/form"), csrf.as_str()),
    ];
    for (origin, referer, token) in refused {
        let r = browse(
            &app.address,
            "POST",
            "/sign-out",
            Browser {
                cookie: Some(&cookie),
                origin,
                referer,
            },
            &[("csrf_token", token)],
        )
        .await;
        assert_eq!(r.status, 403, "{origin:?} {referer:?} {token:?}: {r:?}");
        assert_eq!(
            get_page(&app, "/", &cookie).await.status,
            200,
            "still signed in"
        );
    }
    let referer = format!("{}/", app.address);
    let out = browse(
        &app.address,
        "POST",
        "/sign-out",
        Browser {
            cookie: Some(&cookie),
            origin: None,
            referer: Some(&referer),
        },
        &[("csrf_token", csrf.as_str())],
    )
    .await;
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(out.header("location").as_deref(), Some("/sign-in"));
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(get_page(&app, "/", &cookie).await.status, 303, "signed out");
    let actions = audit_actions(&app, &c.manager, &nina).await;
    let out = actions.iter().find(|(a, _)| a == "sign-out").unwrap();
    assert_eq!(out.1["from"][1], "127.0.0.1");
    assert!(actions.iter().any(|(a, _)| a == "sign-in"));
}

#[actix_web::test]
async fn the_cookie_is_secure_behind_a_public_https_url() {
    let db = crate::helpers::TestDb::new();
    let mut settings = Settings::new(db.url(), "127.0.0.1:0");
    settings.admin_token = Some(ADMIN_TOKEN.into());
    settings.workers = Some(1);
    settings.public_url = Some("https://stock.clinic.example".into());
    let built = Application::build(&settings).unwrap();
    let address = format!("http://127.0.0.1:{}", built.port);
    actix_web::rt::spawn(built.run());
    let app = TestApp {
        address,
        client: awc::Client::default(),
        db,
    };
    let c = app.clinic("Clinique Iris").await;
    member(&app, &c.manager, &c.id, "manager", "ana@iris.example").await;
    let form = [("email", "ana@iris.example"), ("password", PASSWORD)];
    let own_host = browse(
        &app.address,
        "POST",
        "/sign-in",
        Browser {
            origin: Some(&app.address),
            ..Browser::default()
        },
        &form,
    )
    .await;
    assert_eq!(own_host.status, 403, "only the public origin counts");
    let ok = browse(
        &app.address,
        "POST",
        "/sign-in",
        Browser {
            origin: Some("https://stock.clinic.example"),
            ..Browser::default()
        },
        &form,
    )
    .await;
    assert_eq!(ok.status, 303, "{ok:?}");
    assert!(ok.header("set-cookie").unwrap().ends_with("; Secure"));
}

#[actix_web::test]
async fn the_sixth_failure_is_429_and_unknown_emails_look_like_wrong_passwords() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    member(&app, &c.manager, &c.id, "practitioner", "nina@iris.example").await;

    let timed = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let start = Instant::now();
            let page = sign_in(app, email, password).await;
            (page, start.elapsed())
        }
    };
    let (unknown, unknown_time) = timed("nobody@iris.example", "wrong password!").await;
    let (wrong, wrong_time) = timed("nina@iris.example", "wrong password!").await;
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.status, 401);
    assert_eq!(
        unknown.text.replace("nobody@iris.example", "E"),
        wrong.text.replace("nina@iris.example", "E"),
        "the same answer"
    );
    assert!(unknown.session_cookie().is_none() && wrong.session_cookie().is_none());
    // Both run one argon2 verification: an unknown email is not answered faster.
    assert!(
        unknown_time * 3 >= wrong_time,
        "unknown {unknown_time:?} vs wrong {wrong_time:?}"
    );

    for _ in 0..4 {
        assert_eq!(
            sign_in(&app, "nina@iris.example", "wrong password!")
                .await
                .status,
            401
        );
    }
    // The sixth attempt within 15 minutes is refused, even with the right password.
    let limited = sign_in(&app, "NINA@iris.example", PASSWORD).await;
    assert_eq!(limited.status, 429, "{limited:?}");
    let retry: i64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert!(limited.session_cookie().is_none());
    // Unknown emails are limited the same way, so the limit tells nothing either.
    for _ in 0..4 {
        sign_in(&app, "nobody@iris.example", "wrong password!").await;
    }
    assert_eq!(
        sign_in(&app, "nobody@iris.example", "wrong password!")
            .await
            .status,
        429
    );

    // The limit is kept in the database: it holds for a second instance too.
    let other = start_instance(app.db.url());
    let there = browse(
        &other,
        "POST",
        "/sign-in",
        Browser {
            origin: Some(&other),
            ..Browser::default()
        },
        &[("email", "nina@iris.example"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(there.status, 429);

    // When the window has passed, the right password works again.
    app.db
        .execute("UPDATE sign_in_failures SET at = '2000-01-01 00:00:00'");
    assert_eq!(
        sign_in(&app, "nina@iris.example", PASSWORD).await.status,
        303
    );

    let log = app.get("/api/v1/audit-log", &c.manager).await;
    assert_eq!(log.status, 200);
    let failures = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sign-in-failed")
        .count();
    assert_eq!(
        failures, 5,
        "each failure on Nina's account, with where from"
    );
    assert!(log.text.contains("\"from\":[null,\"127.0.0.1\"]"));
}

#[actix_web::test]
async fn one_address_gets_twenty_failures_whatever_the_emails() {
    let app = spawn_app().await;
    for i in 0..20 {
        let email = format!("guess{i}@iris.example");
        let r = sign_in(&app, &email, "wrong password!").await;
        assert_eq!(r.status, 401, "attempt {i}");
    }
    let r = sign_in(&app, "fresh@iris.example", "wrong password!").await;
    assert_eq!(r.status, 429, "{r:?}");
    assert!(r.header("retry-after").is_some());
}

#[actix_web::test]
async fn the_demo_prints_a_sign_in_per_role_and_the_admin_invites_themself() {
    let db = crate::helpers::TestDb::new();
    let mut settings = Settings::new(db.url(), "127.0.0.1:0");
    settings.admin_token = Some(ADMIN_TOKEN.into());
    settings.demo = true;
    settings.workers = Some(1);
    let built = Application::build(&settings).unwrap();
    let logins = built.demo.as_ref().unwrap().logins.clone();
    let address = format!("http://127.0.0.1:{}", built.port);
    actix_web::rt::spawn(built.run());
    let app = TestApp {
        address,
        client: awc::Client::default(),
        db,
    };
    let roles: Vec<&str> = logins.iter().map(|(r, _, _)| r.as_str()).collect();
    assert_eq!(roles, ["manager", "practitioner", "auditor"]);
    for (role, email, password) in &logins {
        assert!(password.chars().count() >= 12);
        let page = sign_in(&app, email, password).await;
        assert_eq!(page.status, 303, "{role}: {page:?}");
        let home = get_page(&app, "/", &page.session_cookie().unwrap()).await;
        assert!(home.text.contains("Demo Aesthetic Clinic"));
        assert!(home.text.contains(&format!("({})", role.as_str())));
    }
    // A restart prints new passwords; the old ones stop working.
    let again = Application::build(&settings).unwrap();
    let new_logins = again.demo.as_ref().unwrap().logins.clone();
    assert_eq!(new_logins[0].1, logins[0].1, "same emails");
    assert_ne!(new_logins[0].2, logins[0].2, "new passwords");
    assert_eq!(sign_in(&app, &logins[0].1, &logins[0].2).await.status, 401);
    assert_eq!(
        sign_in(&app, &new_logins[0].1, &new_logins[0].2)
            .await
            .status,
        303
    );

    // `mesoledger invite --email E`: the admin gets an email and a code.
    let (code, _) =
        mesoledger::commands::invite_admin(app.db.url(), "Admin@Clinic.example").unwrap();
    let set = app
        .request(
            "POST",
            "/api/v1/invitations/accept",
            None,
            Some(json!({"code": code, "password": PASSWORD}).to_string()),
        )
        .await;
    assert_eq!(set.status, 200, "{set:?}");
    let page = sign_in(&app, "admin@clinic.example", PASSWORD).await;
    assert_eq!(page.status, 303);
    let home = get_page(&app, "/", &page.session_cookie().unwrap()).await;
    assert!(home.text.contains("(admin)"), "{}", home.text);
    assert!(
        mesoledger::commands::invite_admin(app.db.url(), &logins[0].1).is_err(),
        "an email another person has"
    );
}

#[actix_web::test]
async fn an_invited_person_sets_their_password_on_the_invitation_page() {
    let app = spawn_app().await;
    let c = app.clinic("Clinique Iris").await;
    let m = app
        .post(
            &format!("/api/v1/clinics/{}/staff", c.id),
            &c.manager,
            json!({"name": "Zoé Blanc", "role": "practitioner", "email": "zoe@iris.example"}),
        )
        .await;
    let inv = app
        .request(
            "POST",
            &format!("/api/v1/staff/{}/invitation", s(&m.body["id"])),
            Some(&c.manager),
            None,
        )
        .await;
    let code = s(&inv.body["code"]).to_string();
    let link = s(&inv.body["accept_path"]).to_string();
    assert_eq!(link, format!("/invitation?code={code}"));
    let page = browse(&app.address, "GET", &link, Browser::default(), &[]).await;
    assert_eq!(page.status, 200);
    assert!(page
        .text
        .contains("<label for=\"code\">Invitation code</label>"));
    assert!(page
        .text
        .contains("<label for=\"password\">New password</label>"));
    assert!(
        page.text.contains(&format!("value=\"{code}\"")),
        "the code is filled in"
    );

    let send = |origin: Option<&'static str>, password: &'static str| {
        let app = &app;
        let code = code.clone();
        async move {
            browse(
                &app.address,
                "POST",
                "/invitation",
                Browser {
                    origin: Some(origin.unwrap_or(&app.address)),
                    ..Browser::default()
                },
                &[("code", code.as_str()), ("password", password)],
            )
            .await
        }
    };
    assert_eq!(
        send(Some("https://evil.example"), PASSWORD).await.status,
        403
    );
    let short = send(None, "short").await;
    assert_eq!(short.status, 422);
    assert!(short.text.contains("must be at least 12 characters"));
    assert!(short.text.contains("id=\"password-error\""));
    let ok = send(None, PASSWORD).await;
    assert_eq!(ok.status, 303, "{ok:?}");
    let to = ok.header("location").unwrap();
    assert_eq!(to, "/sign-in?welcome=zoe%40iris.example");
    let welcome = browse(&app.address, "GET", &to, Browser::default(), &[]).await;
    assert!(welcome
        .text
        .contains("Your password is set. Sign in with zoe@iris.example"));
    let again = send(None, PASSWORD).await;
    assert_eq!(again.status, 422);
    assert!(again.text.contains("id=\"code-error\""));
    assert_eq!(
        sign_in(&app, "zoe@iris.example", PASSWORD).await.status,
        303
    );
}
