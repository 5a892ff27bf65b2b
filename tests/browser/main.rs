#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Browser tests: the real service (demo clinic) on a random port, driven through
//! Debian's `chromium` by `chromedriver` with fantoccini, at tablet size (768 × 1024).
//! Behind the `browser` feature: `cargo test --features browser --test browser`.
//! Each page's screenshot is saved in `docs/screenshots/`.

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use mesoledger::domain::role::Role;
use mesoledger::startup::{Application, Settings};
use serde_json::{json, Value};

use helpers::{TestDb, ADMIN_TOKEN};

/// The demo's SIL-5 ampoule (GTIN) and its later-expiring lot.
const SCAN_CODE: &str = "(01)03760123450034(10)SI25-0142";

/// A chromedriver process on a free port, in a process group of its own with the
/// browsers it starts; the whole group is ended on drop, also when a test fails before
/// closing its browser.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_driver() -> Driver {
    let port = free_port();
    let child =
        Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium chromium-driver)");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// The demo clinic served on a random port, and its printed logins.
struct Demo {
    address: String,
    logins: Vec<(Role, String, String)>,
    db: TestDb,
}

fn start_demo() -> Demo {
    let db = TestDb::new();
    let mut settings = Settings::new(db.url(), "127.0.0.1:0");
    settings.admin_token = Some(ADMIN_TOKEN.into());
    settings.demo = true;
    settings.workers = Some(2);
    let app = Application::build(&settings).expect("service starts");
    let logins = app.demo.as_ref().unwrap().logins.clone();
    let address = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run());
    Demo {
        address,
        logins,
        db,
    }
}

impl Demo {
    fn login(&self, role: Role) -> (String, String) {
        let (_, email, password) = self.logins.iter().find(|(r, _, _)| *r == role).unwrap();
        (email.clone(), password.clone())
    }
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                        "--disable-gpu", "--window-size=768,1024", "--lang=en"]}),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let client = ClientBuilder::native()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session");
    client.set_window_size(768, 1024).await.unwrap();
    client
}

/// The browser console's errors since the last call (chromedriver's log endpoint).
async fn console_errors(driver: &Driver, client: &Client) -> Vec<String> {
    let id = client.session_id().await.unwrap().unwrap();
    let mut res = awc::Client::default()
        .post(format!("{}/session/{id}/se/log", driver.url))
        .send_json(&json!({"type": "browser"}))
        .await
        .unwrap();
    let body: Value = res.json().limit(10 * 1024 * 1024).await.unwrap();
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("chromedriver answered no browser log: {body}"))
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].to_string())
        .collect()
}

/// Finds an element, retrying for up to 10 s while a page loads.
async fn find(client: &Client, locator: Locator<'_>) -> Element {
    let start = Instant::now();
    loop {
        match client.find(locator).await {
            Ok(e) => return e,
            Err(e) if start.elapsed() > Duration::from_secs(10) => {
                panic!("not found: {locator:?}: {e}")
            }
            Err(_) => actix_web::rt::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The input a visible `<label>` with this text names.
async fn field(client: &Client, label: &str) -> Element {
    let xpath = format!(
        "//label[normalize-space(text())='{label}' or starts-with(normalize-space(.), '{label} (')]"
    );
    let start = Instant::now();
    loop {
        let l = find(client, Locator::XPath(&xpath)).await;
        let found = match l.attr("for").await {
            Ok(Some(id)) => client.find(Locator::Id(&id)).await.ok(),
            Ok(None) => l.find(Locator::Css("input")).await.ok(),
            Err(_) => None,
        };
        if let Some(e) = found {
            return e;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no field {label:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn button(client: &Client, text: &str) -> Element {
    find(
        client,
        Locator::XPath(&format!("//button[normalize-space(.)='{text}']")),
    )
    .await
}

/// The page's visible text; empty while a new page is loading.
async fn body_text(client: &Client) -> String {
    match client.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn path_of(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_string()
}

/// Waits (up to 10 s) until the page's path satisfies `ok`: a click may return before
/// the next page has loaded.
async fn wait_path(client: &Client, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let path = path_of(client).await;
        if ok(&path) {
            return path;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still at {path}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (up to 10 s) until the page shows `needle`; answers the page's text.
async fn wait_text(client: &Client, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let text = body_text(client).await;
        if text.contains(needle) {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{needle:?} not shown in: {text}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sessions of a patient, counted straight in the database.
fn sessions_of(demo: &Demo, patient: &str) -> usize {
    let mut conn = mesoledger::db::establish(&mesoledger::db::DbUrl::parse(demo.db.url())).unwrap();
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let c: Count = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM sessions WHERE patient_ref = '{patient}'"
    ))
    .get_result(&mut conn)
    .unwrap();
    usize::try_from(c.n).unwrap()
}

#[actix_web::test]
async fn a_practitioner_signs_in_checks_scans_logs_and_reloads_one_session() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    let (email, password) = demo.login(Role::Practitioner);

    client
        .goto(&format!("{}/sessions/new", demo.address))
        .await
        .unwrap();
    assert_eq!(path_of(&client).await, "/sign-in", "signed out → sign-in");
    screenshot(&client, "sign-in").await;
    field(&client, "Email")
        .await
        .send_keys(&email)
        .await
        .unwrap();
    field(&client, "Password")
        .await
        .send_keys(&password)
        .await
        .unwrap();
    button(&client, "Sign in").await.click().await.unwrap();
    wait_path(&client, |p| p == "/").await;
    let home = wait_text(&client, "Planned for today").await;
    assert!(home.contains("Today"), "{home}");
    assert!(home.contains("Dr Inès Moreau") && home.contains("Demo Aesthetic Clinic"));
    assert!(home.contains("Sign out"));
    screenshot(&client, "today").await;

    client
        .goto(&format!("{}/sessions/new", demo.address))
        .await
        .unwrap();
    field(&client, "Patient code")
        .await
        .send_keys("BROWSER-1")
        .await
        .unwrap();
    // A pointer user opens the list, then picks: the script fills the items at once.
    let cocktail = field(&client, "Cocktail").await;
    cocktail.click().await.unwrap();
    cocktail
        .select_by_label("Body firming (organic silicon) (injectable, v1)")
        .await
        .unwrap();
    wait_text(&client, "The items were filled from the cocktail").await;
    field(&client, "Area")
        .await
        .select_by_label("Belly")
        .await
        .unwrap();
    // Diabetes with organic silicon: Check shows it before anything is written.
    field(&client, "Diabetes").await.click().await.unwrap();
    button(&client, "Check").await.click().await.unwrap();
    let checked = wait_text(&client, "Nothing has been written yet").await;
    assert!(checked.contains("Contraindicated"), "{checked}");
    assert!(checked.contains("organic silicon with Diabetes"));
    assert!(checked.contains("Nothing has been written yet"));
    assert!(field(&client, "Override reason")
        .await
        .is_displayed()
        .await
        .unwrap());
    screenshot(&client, "session-check").await;
    assert_eq!(sessions_of(&demo, "BROWSER-1"), 0);

    // Untick, and say the patient was asked: screening is answered, none present.
    field(&client, "Diabetes").await.click().await.unwrap();
    field(&client, "I asked the patient about each of these")
        .await
        .click()
        .await
        .unwrap();
    // Scan the box (a scanner types the code and Enter).
    field(&client, "Scan a code")
        .await
        .send_keys(&format!("{SCAN_CODE}{}", Key::Enter))
        .await
        .unwrap();
    wait_text(&client, "Scanned lot SI25-0142").await;
    screenshot(&client, "session-new").await;
    button(&client, "Log session").await.click().await.unwrap();
    let path = wait_path(&client, |p| {
        p.starts_with("/sessions/") && p != "/sessions/new"
    })
    .await;
    let shown = wait_text(&client, "Session logged").await;
    assert!(shown.contains("SI25-0142"), "the scanned lot was used");
    screenshot(&client, "session").await;
    client.refresh().await.unwrap();
    assert_eq!(path_of(&client).await, path);
    assert_eq!(sessions_of(&demo, "BROWSER-1"), 1, "reload logs nothing");

    client
        .goto(&format!("{}/sessions?patient_ref=BROWSER-1", demo.address))
        .await
        .unwrap();
    wait_text(&client, "BROWSER-1").await;
    screenshot(&client, "sessions").await;
    client
        .goto(&format!("{}/courses", demo.address))
        .await
        .unwrap();
    wait_text(&client, "DEMO-P-0001").await;
    screenshot(&client, "courses").await;

    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    button(&client, "Sign out").await.click().await.unwrap();
    wait_path(&client, |p| p == "/sign-in").await;
    // Signed out, a newcomer follows the link to set a password.
    find(&client, Locator::LinkText("I have an invitation code"))
        .await
        .click()
        .await
        .unwrap();
    wait_text(&client, "Set your password").await;
    assert!(field(&client, "New password")
        .await
        .is_displayed()
        .await
        .unwrap());
    screenshot(&client, "invitation").await;
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    client.close().await.unwrap();
}

/// Presses Tab until the focused element satisfies `is`, then answers it.
async fn tab_to(client: &Client, what: &str, max: usize) -> Element {
    for _ in 0..max {
        let active = client.active_element().await.unwrap();
        let id = active.attr("id").await.ok().flatten().unwrap_or_default();
        let text = active.text().await.unwrap_or_default();
        if id == what || text.trim().starts_with(what) {
            return active;
        }
        active.send_keys(&Key::Tab.to_string()).await.unwrap();
    }
    panic!("{what} not reached with {max} Tab presses");
}

#[actix_web::test]
async fn the_same_flow_works_with_the_keyboard_alone() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    let (email, password) = demo.login(Role::Manager);

    client
        .goto(&format!("{}/sign-in", demo.address))
        .await
        .unwrap();
    find(&client, Locator::Css("body"))
        .await
        .send_keys(&Key::Tab.to_string())
        .await
        .unwrap();
    tab_to(&client, "email", 10)
        .await
        .send_keys(&email)
        .await
        .unwrap();
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!("{}{password}{}", Key::Tab, Key::Enter))
        .await
        .unwrap();
    wait_path(&client, |p| p == "/").await;
    wait_text(&client, "Planned for today").await;

    // Today → "Start session" for the demo course that is due today.
    find(&client, Locator::Css("body"))
        .await
        .send_keys(&Key::Tab.to_string())
        .await
        .unwrap();
    // The manager's home lists the stock alerts first, then today's work.
    tab_to(&client, "Start session", 40)
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    wait_path(&client, |p| p == "/sessions/new").await;
    wait_text(&client, "Scan a code").await;
    // The script put the focus on the scan field; a scanner types and presses Enter.
    let start = Instant::now();
    let scan = loop {
        let active = client.active_element().await.unwrap();
        if active.attr("id").await.ok().flatten().as_deref() == Some("scan") {
            break active;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the scan field has no focus"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    scan.send_keys(&format!("{SCAN_CODE}{}", Key::Enter))
        .await
        .unwrap();
    wait_text(&client, "Scanned lot SI25-0142").await;
    // Arrowing through the cocktails must not send the form (a keyboard trap otherwise).
    client
        .execute("window.mesoledgerStay = 1; return null;", vec![])
        .await
        .unwrap();
    tab_to(&client, "formulation_id", 20)
        .await
        .send_keys(&format!("{}{}", Key::Down, Key::Up))
        .await
        .unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(700)).await;
    let stayed = client
        .execute("return window.mesoledgerStay === 1;", vec![])
        .await
        .unwrap();
    assert_eq!(stayed, serde_json::json!(true), "the arrows sent the form");
    // Screening answered with the keyboard: Space ticks "I asked the patient".
    tab_to(&client, "screened", 80)
        .await
        .send_keys(" ")
        .await
        .unwrap();
    tab_to(&client, "Log session", 80)
        .await
        .send_keys(&Key::Enter.to_string())
        .await
        .unwrap();
    let shown = wait_text(&client, "Session logged").await;
    assert!(shown.contains("DEMO-P-0004"));
    assert_eq!(sessions_of(&demo, "DEMO-P-0004"), 1);
    screenshot(&client, "session-manager").await;
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    client.close().await.unwrap();
}

async fn sign_in_as(client: &Client, demo: &Demo, role: Role) {
    let (email, password) = demo.login(role);
    client
        .goto(&format!("{}/sign-in", demo.address))
        .await
        .unwrap();
    field(client, "Email")
        .await
        .send_keys(&email)
        .await
        .unwrap();
    field(client, "Password")
        .await
        .send_keys(&password)
        .await
        .unwrap();
    button(client, "Sign in").await.click().await.unwrap();
    wait_path(client, |p| p == "/").await;
}

#[actix_web::test]
async fn a_manager_recalls_a_lot_and_an_auditor_traces_it() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    sign_in_as(&client, &demo, Role::Manager).await;
    let home = wait_text(&client, "Stock alerts").await;
    assert!(home.contains("Open purchase orders") && home.contains("Open recall cases"));
    assert!(home.contains("Planned for today"), "a manager treats too");
    screenshot(&client, "home-manager").await;

    // A session that uses lot SI25-0142, so the recall has a patient to name.
    client
        .goto(&format!("{}/sessions/new", demo.address))
        .await
        .unwrap();
    field(&client, "Patient code")
        .await
        .send_keys("RECALL-1")
        .await
        .unwrap();
    let cocktail = field(&client, "Cocktail").await;
    cocktail.click().await.unwrap();
    cocktail
        .select_by_label("Body firming (organic silicon) (injectable, v1)")
        .await
        .unwrap();
    wait_text(&client, "The items were filled from the cocktail").await;
    field(&client, "Area")
        .await
        .select_by_label("Belly")
        .await
        .unwrap();
    field(&client, "Scan a code")
        .await
        .send_keys(&format!("{SCAN_CODE}{}", Key::Enter))
        .await
        .unwrap();
    wait_text(&client, "Scanned lot SI25-0142").await;
    field(&client, "I asked the patient about each of these")
        .await
        .click()
        .await
        .unwrap();
    button(&client, "Log session").await.click().await.unwrap();
    wait_text(&client, "Session logged").await;

    // Stock → search → the lot.
    find(&client, Locator::LinkText("Stock"))
        .await
        .click()
        .await
        .unwrap();
    wait_text(&client, "Lots in stock").await;
    field(&client, "SKU or name")
        .await
        .send_keys("silicon")
        .await
        .unwrap();
    button(&client, "Filter").await.click().await.unwrap();
    wait_path(&client, |p| p == "/stock").await;
    let listed = wait_text(&client, "SIL-5").await;
    assert!(!listed.contains("HA-"), "only silicon products: {listed}");
    screenshot(&client, "stock").await;
    find(&client, Locator::LinkText("SI25-0142"))
        .await
        .click()
        .await
        .unwrap();
    let lot = wait_text(&client, "Sessions that used this lot").await;
    assert!(lot.contains("RECALL-1"), "{lot}");

    // Recall asks for confirmation first.
    find(&client, Locator::Id("recall_reason"))
        .await
        .send_keys("supplier recall notice")
        .await
        .unwrap();
    button(&client, "Recall").await.click().await.unwrap();
    wait_text(&client, "tick \"I confirm the recall\"").await;
    // The refused form answered 422, which the console reports; nothing else.
    let errors = console_errors(&driver, &client).await;
    assert!(
        errors.iter().all(|e| e.contains("422")),
        "console errors: {errors:?}"
    );
    field(&client, "I confirm the recall")
        .await
        .click()
        .await
        .unwrap();
    button(&client, "Recall").await.click().await.unwrap();
    let recalled = wait_text(&client, "Lot recalled").await;
    assert!(
        recalled.contains("Recalled (supplier recall notice)"),
        "{recalled}"
    );
    assert!(recalled.contains("RECALL-1"), "the affected patient");
    assert!(client
        .find(Locator::XPath("//button[normalize-space(.)='Recall']"))
        .await
        .is_err());
    screenshot(&client, "lot").await;
    client.goto(&format!("{}/", demo.address)).await.unwrap();
    let home = wait_text(&client, "Open recall cases").await;
    assert!(home.contains("supplier recall notice"), "{home}");
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    button(&client, "Sign out").await.click().await.unwrap();
    wait_path(&client, |p| p == "/sign-in").await;

    // The auditor traces the lot number: the sessions, a CSV, and no button that writes.
    sign_in_as(&client, &demo, Role::Auditor).await;
    find(&client, Locator::LinkText("Trace"))
        .await
        .click()
        .await
        .unwrap();
    field(&client, "Lot number")
        .await
        .send_keys(&format!("SI25-0142{}", Key::Enter))
        .await
        .unwrap();
    let traced = wait_text(&client, "RECALL-1").await;
    assert!(traced.contains("Download CSV"), "{traced}");
    let buttons = client.find_all(Locator::Css("main button")).await.unwrap();
    let mut labels = Vec::new();
    for b in buttons {
        labels.push(b.text().await.unwrap());
    }
    assert_eq!(labels, ["Trace"], "no button that writes");
    screenshot(&client, "trace").await;
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    // A write posted by hand, with the session's own CSRF token, is refused all the same.
    for action in ["quarantine", "recall"] {
        let status = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const csrf = document.querySelector('input[name=csrf_token]').value;
                 const lot = document.querySelector('main h2 a').getAttribute('href');
                 fetch(lot + '/' + arguments[0], {method: 'POST',
                   headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                   body: new URLSearchParams({csrf_token: csrf, reason: 'by hand', confirm: 'yes'})})
                   .then(r => done(r.status));",
                vec![json!(action)],
            )
            .await
            .unwrap();
        assert_eq!(status, json!(403), "{action}");
    }
    let errors = console_errors(&driver, &client).await;
    assert!(
        errors.iter().all(|e| e.contains("403")),
        "console errors: {errors:?}"
    );
    client.close().await.unwrap();
}

/// A JSON API call with a bearer token: (status, body).
async fn api(
    demo: &Demo,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
    let req = awc::Client::default()
        .request(method, format!("{}{path}", demo.address))
        .insert_header(("Authorization", format!("Bearer {token}")));
    let mut res = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .unwrap();
    let bytes = res.body().limit(16 * 1024 * 1024).await.unwrap();
    (
        res.status().as_u16(),
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A new manager of the demo clinic, added through the API by the admin: their bearer
/// token, for what a test sets up through the API.
async fn api_manager(demo: &Demo, name: &str, email: &str) -> String {
    let clinic_id = {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
        }
        let mut conn =
            mesoledger::db::establish(&mesoledger::db::DbUrl::parse(demo.db.url())).unwrap();
        let ids: Vec<Id> = diesel::sql_query("SELECT id FROM clinics")
            .load(&mut conn)
            .unwrap();
        assert_eq!(ids.len(), 1, "the demo clinic");
        ids[0].id.clone()
    };
    let (status, staff) = api(
        demo,
        "POST",
        &format!("/api/v1/clinics/{clinic_id}/staff"),
        ADMIN_TOKEN,
        Some(json!({"name": name, "role": "manager", "email": email})),
    )
    .await;
    assert_eq!(status, 201, "{staff}");
    staff["token"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn an_auditor_reads_a_recall_case_and_downloads_an_export() {
    let demo = start_demo();
    // A recalled lot with one affected patient, set up through the API.
    let token = api_manager(&demo, "Recall desk", "desk@demo.example").await;
    let (_, lots) = api(&demo, "GET", "/api/v1/lots", &token, None).await;
    let lot = lots
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lot_number"] == "SI25-0142")
        .unwrap()
        .clone();
    let (status, session) = api(
        &demo,
        "POST",
        "/api/v1/sessions",
        &token,
        Some(json!({"patient_ref": "RECALL-7", "area": "belly", "method": "injectable", "conditions": [],
                    "items": [{"product_id": lot["product_id"], "lot_id": lot["id"], "quantity": "1"}]})),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    let lot_id = lot["id"].as_str().unwrap();
    let (status, recalled) = api(
        &demo,
        "POST",
        &format!("/api/v1/lots/{lot_id}/recall"),
        &token,
        Some(json!({"reason": "supplier recall notice"})),
    )
    .await;
    assert_eq!(status, 200, "{recalled}");

    let driver = start_driver();
    let client = browser(&driver).await;
    sign_in_as(&client, &demo, Role::Auditor).await;
    find(&client, Locator::LinkText("Recalls"))
        .await
        .click()
        .await
        .unwrap();
    wait_path(&client, |p| p == "/recalls").await;
    let list = wait_text(&client, "SI25-0142").await;
    assert!(list.contains("supplier recall notice"), "{list}");
    screenshot(&client, "recalls").await;
    find(&client, Locator::LinkText("Open"))
        .await
        .click()
        .await
        .unwrap();
    let case = wait_text(&client, "Affected patients").await;
    assert!(case.contains("RECALL-7"), "{case}");
    assert!(case.contains("Pending"), "{case}");
    assert!(case.contains("1 patient(s) pending"), "{case}");
    let buttons = client.find_all(Locator::Css("main button")).await.unwrap();
    assert!(buttons.is_empty(), "no button that writes for an auditor");
    screenshot(&client, "recall").await;

    // Exports: the form's own fields give the API's bytes.
    find(&client, Locator::LinkText("Exports"))
        .await
        .click()
        .await
        .unwrap();
    wait_path(&client, |p| p == "/exports").await;
    field(&client, "Export")
        .await
        .select_by_label("Traceability (one row per lot used per session)")
        .await
        .unwrap();
    field(&client, "Lot number")
        .await
        .send_keys("SI25-0142")
        .await
        .unwrap();
    field(&client, "For Excel (BOM)")
        .await
        .click()
        .await
        .unwrap();
    screenshot(&client, "exports").await;
    let got = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const form = document.querySelector('main form');
             const url = form.action + '?' + new URLSearchParams(new FormData(form));
             fetch(url).then(r => r.arrayBuffer().then(b =>
               done([r.status, r.headers.get('content-type'), url, Array.from(new Uint8Array(b))])));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(got[0], json!(200), "{got}");
    assert!(got[1].as_str().unwrap().starts_with("text/csv"));
    assert!(got[2]
        .as_str()
        .unwrap()
        .contains("/exports.csv?kind=traceability&"));
    let bytes: Vec<u8> = serde_json::from_value(got[3].clone()).unwrap();
    let mut res = awc::Client::default()
        .get(format!(
            "{}/api/v1/exports/traceability.csv?lot_number=SI25-0142&bom=true",
            demo.address
        ))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .send()
        .await
        .unwrap();
    let expected = res.body().await.unwrap();
    assert_eq!(bytes, expected.to_vec(), "the API's export, byte for byte");
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "for Excel");
    assert!(String::from_utf8(bytes).unwrap().contains("RECALL-7"));
    // The button itself is a plain GET form: it works without the script.
    let submit = button(&client, "Download CSV").await;
    assert_eq!(
        submit.attr("type").await.unwrap().as_deref(),
        Some("submit")
    );

    // The audit log, newest first: the recall case's opening is listed by its person.
    find(&client, Locator::LinkText("Audit log"))
        .await
        .click()
        .await
        .unwrap();
    wait_path(&client, |p| p == "/audit-log").await;
    field(&client, "Action")
        .await
        .select_by_label("Open")
        .await
        .unwrap();
    button(&client, "Filter").await.click().await.unwrap();
    let log = wait_text(&client, "Recall desk").await;
    assert!(log.contains("supplier recall notice"), "{log}");
    screenshot(&client, "audit-log").await;
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    client.close().await.unwrap();
}

/// Lots with this number, counted straight in the database.
fn lots_numbered(demo: &Demo, number: &str) -> usize {
    let mut conn = mesoledger::db::establish(&mesoledger::db::DbUrl::parse(demo.db.url())).unwrap();
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let c: Count = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM lots WHERE lot_number = '{number}'"
    ))
    .get_result(&mut conn)
    .unwrap();
    usize::try_from(c.n).unwrap()
}

#[actix_web::test]
async fn a_manager_receives_a_delivery_by_scanning_two_codes() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    sign_in_as(&client, &demo, Role::Manager).await;
    // The menu leads there.
    open_menu(&client, "Stock", "Receive").await;
    wait_path(&client, |p| p == "/receive").await;
    wait_text(&client, "Receive a delivery").await;

    // A code of a product the clinic does not carry is named next to the field.
    field(&client, "Scan a code")
        .await
        .send_keys(&format!(
            "(01)04006381333948(17)301231(10)NOPE{}",
            Key::Enter
        ))
        .await
        .unwrap();
    wait_text(
        &client,
        "no product with GTIN 04006381333948 in this clinic",
    )
    .await;

    // Two boxes: a scanner types each code, then Enter.
    for (code, lot) in [
        ("(01)03760123450010(17)301231(10)BR-RCV-1", "BR-RCV-1"),
        (
            "https://id.example.com/01/03760123450027/10/BR-RCV-2?17=310630",
            "BR-RCV-2",
        ),
    ] {
        field(&client, "Scan a code")
            .await
            .send_keys(&format!("{code}{}", Key::Enter))
            .await
            .unwrap();
        wait_text(&client, lot).await;
    }
    let lines = wait_text(&client, "BR-RCV-2").await;
    assert!(
        lines.contains("BR-RCV-1") && lines.contains("2031-06-30"),
        "{lines}"
    );
    find(&client, Locator::Id("containers0"))
        .await
        .send_keys("4")
        .await
        .unwrap();
    find(&client, Locator::Id("containers1"))
        .await
        .send_keys("2")
        .await
        .unwrap();
    screenshot(&client, "receive").await;
    assert_eq!(
        lots_numbered(&demo, "BR-RCV-1"),
        0,
        "scanning writes nothing"
    );
    button(&client, "Receive all").await.click().await.unwrap();
    let done = wait_text(&client, "Received 2 lot(s)").await;
    assert!(
        done.contains("BR-RCV-1") && done.contains("BR-RCV-2"),
        "{done}"
    );
    assert_eq!(lots_numbered(&demo, "BR-RCV-1"), 1);
    assert_eq!(lots_numbered(&demo, "BR-RCV-2"), 1);
    let errors = console_errors(&driver, &client).await;
    assert!(
        errors.iter().all(|e| e.contains("422")),
        "console errors: {errors:?}"
    );
    client.close().await.unwrap();
}

#[actix_web::test]
async fn a_manager_turns_the_suggestions_into_an_order_and_downloads_its_csv() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    sign_in_as(&client, &demo, Role::Manager).await;
    open_menu(&client, "Stock", "Reorder").await;
    wait_path(&client, |p| p == "/reorder").await;
    let reorder = wait_text(&client, "Create purchase order").await;
    screenshot(&client, "reorder").await;
    button(&client, "Create purchase order")
        .await
        .click()
        .await
        .unwrap();
    let path = wait_path(&client, |p| p.starts_with("/purchase-orders/")).await;
    let order = wait_text(&client, "Download CSV").await;
    assert!(
        order.contains("Draft") && order.contains("Total"),
        "{order}"
    );
    button(&client, "Send").await.click().await.unwrap();
    let sent = wait_text(&client, "Order sent").await;
    assert!(sent.contains("Sent"), "{sent}");
    assert!(
        client
            .find(Locator::XPath("//button[normalize-space(.)='Send']"))
            .await
            .is_err(),
        "a sent order is not sent again"
    );
    client
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    screenshot(&client, "purchase-order").await;
    // The link downloads the supplier CSV with the browser's own session.
    let link = find(&client, Locator::LinkText("Download CSV")).await;
    let href = link.attr("href").await.unwrap().unwrap();
    assert_eq!(href, format!("{path}.csv"));
    let csv = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])));",
            vec![json!(href)],
        )
        .await
        .unwrap();
    assert_eq!(csv[0], json!(200), "{csv}");
    assert!(csv[1].as_str().unwrap().starts_with("text/csv"), "{csv}");
    let text = csv[2].as_str().unwrap();
    assert!(
        text.starts_with(
            "sku,gtin,name,containers,unit_cost,line_total,order_number,order_date,clinic,supplier\r\n"
        ),
        "{text}"
    );
    // Each line says which order of which clinic it belongs to, for the supplier.
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains(",Demo Aesthetic Clinic,"),
        "{text}"
    );
    assert!(text.contains("\r\nTOTAL,"), "{text}");
    // Every suggested product of the first supplier is a line of the CSV.
    let first_sku = text.lines().nth(1).unwrap().split(',').next().unwrap();
    assert!(
        reorder.contains(first_sku),
        "{first_sku} suggested in: {reorder}"
    );
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    client.close().await.unwrap();
}

/// Opens a page through the menu: its group in the top row, then the page in the second.
async fn open_menu(client: &Client, group: &str, page: &str) {
    find(
        client,
        Locator::XPath(&format!(
            "//nav/ul[@class='groups']//a[normalize-space(.)='{group}']"
        )),
    )
    .await
    .click()
    .await
    .unwrap();
    find(
        client,
        Locator::XPath(&format!(
            "//nav/ul[@class='pages']//a[normalize-space(.)='{page}']"
        )),
    )
    .await
    .click()
    .await
    .unwrap();
}

/// The main menu's height, how many rows its links sit in, and one link's height.
async fn nav_rows(client: &Client) -> (f64, usize, f64) {
    let got = client
        .execute(
            "const nav = document.querySelector('header nav');
             const links = [...nav.querySelectorAll('a')];
             const tops = new Set(links.map(a => Math.round(a.getBoundingClientRect().top)));
             return [nav.getBoundingClientRect().height, tops.size,
                     links[0].getBoundingClientRect().height];",
            vec![],
        )
        .await
        .unwrap();
    (
        got[0].as_f64().unwrap(),
        usize::try_from(got[1].as_u64().unwrap()).unwrap(),
        got[2].as_f64().unwrap(),
    )
}

#[actix_web::test]
async fn the_managers_menu_is_two_rows_at_tablet_and_desktop_width() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    sign_in_as(&client, &demo, Role::Manager).await;
    // Every group is reachable from the top row, and its pages from the second row.
    for (group, page, path) in [
        ("Stock", "Orders", "/purchase-orders"),
        ("Treatment", "Courses", "/courses"),
        ("Traceability", "Audit log", "/audit-log"),
    ] {
        open_menu(&client, group, page).await;
        wait_path(&client, |p| p == path).await;
        let current = find(&client, Locator::Css("nav a[aria-current=page]")).await;
        assert_eq!(current.text().await.unwrap(), page);
        let group_link = find(&client, Locator::Css("nav a[aria-current=true]")).await;
        assert_eq!(group_link.text().await.unwrap(), group);
        for width in [768, 1280] {
            client.set_window_size(width, 1024).await.unwrap();
            let (height, rows, link) = nav_rows(&client).await;
            assert!(rows <= 2, "{rows} rows at {width} px on {path}");
            assert!(
                height < 2.0 * link + 24.0,
                "{height} px tall at {width} px on {path} (a link is {link} px)"
            );
        }
        client.set_window_size(768, 1024).await.unwrap();
        if group == "Stock" {
            screenshot(&client, "menu-768").await;
        }
    }
    for group in ["Home", "Staff"] {
        find(
            &client,
            Locator::XPath(&format!(
                "//nav/ul[@class='groups']//a[normalize-space(.)='{group}']"
            )),
        )
        .await
        .click()
        .await
        .unwrap();
        wait_path(&client, |p| {
            p == if group == "Home" { "/" } else { "/staff" }
        })
        .await;
        let current = find(&client, Locator::Css("nav a[aria-current=page]")).await;
        assert_eq!(current.text().await.unwrap(), group);
    }
    // The keyboard reaches the menu: Tab from the skip link lands on the first group.
    client
        .goto(&format!("{}/stock", demo.address))
        .await
        .unwrap();
    client
        .execute("document.querySelector('.skip').focus()", vec![])
        .await
        .unwrap();
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Tab.to_string())
        .await
        .unwrap();
    let focused = client.active_element().await.unwrap().text().await.unwrap();
    assert_eq!(focused, "Home");
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    client.close().await.unwrap();
}

#[actix_web::test]
async fn a_manager_invites_a_practitioner_changes_a_role_and_revokes_a_token() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    sign_in_as(&client, &demo, Role::Manager).await;
    find(
        &client,
        Locator::XPath("//nav/ul[@class='groups']//a[normalize-space(.)='Staff']"),
    )
    .await
    .click()
    .await
    .unwrap();
    wait_path(&client, |p| p == "/staff").await;

    // Invite: the link is shown once, in a field that can be copied.
    field(&client, "Name")
        .await
        .send_keys("Noa Petit")
        .await
        .unwrap();
    field(&client, "Email")
        .await
        .send_keys("noa@demo.example")
        .await
        .unwrap();
    field(&client, "Role")
        .await
        .select_by_label("Practitioner")
        .await
        .unwrap();
    button(&client, "Invite").await.click().await.unwrap();
    wait_text(&client, "Invitation for Noa Petit").await;
    let link = field(&client, "Invitation link")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        link.starts_with(&format!("{}/invitation?code=inv_", demo.address)),
        "{link}"
    );
    screenshot(&client, "staff").await;

    // Noa becomes an auditor.
    field(&client, "Role of Noa Petit")
        .await
        .select_by_label("Auditor")
        .await
        .unwrap();
    button(&client, "Change role of Noa Petit")
        .await
        .click()
        .await
        .unwrap();
    wait_text(&client, "Role changed").await;
    let row = find(
        &client,
        Locator::XPath("//tr[th[contains(., 'Noa Petit')]]"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(row.contains("Auditor"), "{row}");

    // The demo practitioner's first token is revoked.
    let label = "Revoke token first token of Dr Inès Moreau";
    let revoke = format!("//button[@aria-label='{label}']");
    find(&client, Locator::XPath(&revoke))
        .await
        .click()
        .await
        .unwrap();
    wait_text(&client, "Token revoked").await;
    let after = client.find_all(Locator::XPath(&revoke)).await.unwrap();
    assert!(after.is_empty(), "{label} still listed");
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    client.close().await.unwrap();
}

#[actix_web::test]
async fn a_manager_reads_the_forecast_chart_and_edits_a_cocktail_into_version_two() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    sign_in_as(&client, &demo, Role::Manager).await;
    open_menu(&client, "Stock", "Forecast").await;
    wait_path(&client, |p| p == "/forecast").await;
    let text = wait_text(&client, "Days of cover").await;
    assert!(text.contains("Projected stock"), "{text}");
    // Each chart is an image with a name and a text alternative, drawn by the server.
    let chart = find(&client, Locator::Css("figure.chart svg[role=img]")).await;
    let title = chart.attr("aria-labelledby").await.unwrap().unwrap();
    let named = find(&client, Locator::Id(&title)).await;
    assert!(named
        .html(false)
        .await
        .unwrap()
        .contains("Projected stock of"));
    assert!(
        chart
            .find(Locator::Css("path.stock"))
            .await
            .unwrap()
            .attr("d")
            .await
            .unwrap()
            .unwrap()
            .starts_with('M'),
        "the stock line is drawn"
    );
    field(&client, "Horizon")
        .await
        .select_by_label("60 days")
        .await
        .unwrap();
    button(&client, "Show").await.click().await.unwrap();
    wait_text(&client, "Cover per product over 60 days").await;
    // The screenshot shows the charts (the table is above them).
    client
        .execute("document.getElementById('charts').scrollIntoView()", vec![])
        .await
        .unwrap();
    screenshot(&client, "forecast").await;

    // The cocktail's edit form makes version 2; version 1 stays listed.
    open_menu(&client, "Treatment", "Cocktails").await;
    wait_path(&client, |p| p == "/cocktails").await;
    wait_text(&client, "Contraindication rules").await;
    screenshot(&client, "cocktails").await;
    find(&client, Locator::LinkText("Face revitalisation (HA)"))
        .await
        .click()
        .await
        .unwrap();
    wait_text(&client, "Version 1 (current)").await;
    let amount = field(&client, "Amount 1").await;
    amount.clear().await.unwrap();
    amount.send_keys("1.5").await.unwrap();
    button(&client, "Save as a new version")
        .await
        .click()
        .await
        .unwrap();
    let saved = wait_text(&client, "Version 2 (current)").await;
    assert!(saved.contains("Saved as a new version"), "{saved}");
    assert!(saved.contains("Version 1\n"), "{saved}");
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    client.close().await.unwrap();
}

#[actix_web::test]
async fn a_manager_keeps_a_refrigerated_lot_in_a_fridge_and_an_excursion_quarantines_it() {
    let demo = start_demo();
    let driver = start_driver();
    let client = browser(&driver).await;
    sign_in_as(&client, &demo, Role::Manager).await;

    // A fridge added from the menu's Stock group.
    open_menu(&client, "Stock", "Fridges").await;
    wait_path(&client, |p| p == "/fridges").await;
    field(&client, "Name")
        .await
        .send_keys("Vaccine fridge")
        .await
        .unwrap();
    button(&client, "Add fridge").await.click().await.unwrap();
    let fridge_path = wait_path(&client, |p| p.starts_with("/fridges/")).await;
    let fridge_id = fridge_path.trim_start_matches("/fridges/").to_string();
    wait_text(&client, "No lot is in this fridge.").await;

    // A refrigerated product received into it.
    open_menu(&client, "Stock", "Receive").await;
    wait_path(&client, |p| p == "/receive").await;
    field(&client, "Scan a code")
        .await
        .send_keys(&format!(
            "(01)03760123450041(17)301231(10)COLD-1{}",
            Key::Enter
        ))
        .await
        .unwrap();
    wait_text(&client, "COLD-1").await;
    find(&client, Locator::Id("containers0"))
        .await
        .send_keys("2")
        .await
        .unwrap();
    field(&client, "Fridge")
        .await
        .select_by_label("Vaccine fridge")
        .await
        .unwrap();
    button(&client, "Receive all").await.click().await.unwrap();
    wait_text(&client, "Received 1 lot(s)").await;

    // The logger reports 40 minutes at 12 °C (tolerance 30): an excursion, still going on.
    let token = api_manager(&demo, "Fridge logger", "logger@demo.example").await;
    let minute = chrono::Utc::now().timestamp() / 60 * 60;
    let at = |ago: i64| {
        (chrono::DateTime::from_timestamp(minute, 0).unwrap() - chrono::Duration::minutes(ago))
            .to_rfc3339()
    };
    let (status, stored) = api(
        &demo,
        "POST",
        &format!("/api/v1/fridges/{fridge_id}/readings"),
        &token,
        Some(json!({"readings": [{"at": at(60), "celsius": "12"}, {"at": at(20), "celsius": "12.5"}]})),
    )
    .await;
    assert_eq!(status, 200, "{stored}");

    // The fridge page shades it and lists the lot inside; a manual reading ends it.
    client
        .goto(&format!("{}{fridge_path}", demo.address))
        .await
        .unwrap();
    wait_text(&client, "Lots inside").await;
    let shade = find(&client, Locator::Css("svg rect.excursion")).await;
    let title = shade
        .find(Locator::Css("title"))
        .await
        .unwrap()
        .html(true)
        .await
        .unwrap();
    assert!(title.contains("Excursion from"), "{title}");
    find(&client, Locator::Css("svg polyline.temperature")).await;
    field(&client, "Temperature °C")
        .await
        .send_keys("4.5")
        .await
        .unwrap();
    button(&client, "Add reading").await.click().await.unwrap();
    wait_text(&client, "Reading stored").await;
    let chart = find(&client, Locator::Css("figure.chart")).await;
    find(&client, Locator::Css("svg rect.excursion")).await;
    // The screenshot shows the chart, below the period chooser.
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'start'})",
            vec![serde_json::to_value(&chart).unwrap()],
        )
        .await
        .unwrap();
    screenshot(&client, "fridge").await;

    // The lot page: quarantined by the excursion, with its cold chain.
    find(&client, Locator::LinkText("COLD-1"))
        .await
        .click()
        .await
        .unwrap();
    wait_path(&client, |p| p.starts_with("/lots/")).await;
    let lot = wait_text(&client, "Cold chain").await;
    assert!(
        lot.contains("Quarantined (fridge Vaccine fridge: excursion"),
        "{lot}"
    );
    assert!(lot.contains("Excursions it went through"), "{lot}");
    let errors = console_errors(&driver, &client).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    client.close().await.unwrap();
}
