//! Boots the real service on a random port over a fresh database: a temporary SQLite
//! file, or, when `MESOLEDGER_TEST_DATABASE_URL` names a PostgreSQL server, a new
//! database created there for this test and dropped after it.

use std::time::Duration;

use awc::Client;
use diesel::{Connection, PgConnection, RunQueryDsl};
use mesoledger::startup::{Application, Settings};
use serde_json::{json, Value};

/// At least 32 characters, as the service requires of a configured admin token.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

pub fn pg_admin_url() -> Option<String> {
    std::env::var("MESOLEDGER_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A database for one test; removed on drop.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Pg {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub fn new() -> TestDb {
        match pg_admin_url() {
            Some(admin_url) => {
                let name = format!("mesoledger_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let url = with_database(&admin_url, &name);
                TestDb::Pg {
                    admin_url,
                    name,
                    url,
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("test.db").to_string_lossy().into_owned();
                TestDb::Sqlite { _dir: dir, url }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Pg { url, .. } => url,
        }
    }

    /// Runs one statement by hand, as someone fixing data in the database would.
    pub fn execute(&self, sql: &str) -> usize {
        use diesel::RunQueryDsl;
        let mut conn = mesoledger::db::establish(&mesoledger::db::DbUrl::parse(self.url()))
            .expect("connect to the test database");
        diesel::sql_query(sql).execute(&mut conn).expect(sql)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Pg {
            admin_url, name, ..
        } = self
        {
            if let Ok(mut conn) = PgConnection::establish(admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

/// The same server and credentials with another database name.
pub fn with_database(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = main.find("://").map_or(0, |i| i + 3);
    let base = match main[scheme_end..].find('/') {
        Some(i) => &main[..scheme_end + i],
        None => main,
    };
    format!("{base}/{name}{query}")
}

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub db: TestDb,
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

/// Starts one service instance over `url` and answers its address.
pub fn start_instance(url: &str) -> String {
    start_instance_with(url, |_| {})
}

/// Like `start_instance`, with some settings changed by `change`.
pub fn start_instance_with(url: &str, change: impl FnOnce(&mut Settings)) -> String {
    let mut settings = Settings::new(url, "127.0.0.1:0");
    settings.admin_token = Some(ADMIN_TOKEN.into());
    settings.workers = Some(2);
    settings.pool_size = 8;
    change(&mut settings);
    let app = Application::build(&settings).expect("service starts");
    let address = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run());
    address
}

pub async fn spawn_app() -> TestApp {
    // TEST_LOG=1 shows the service's logs; tests are quiet otherwise.
    if std::env::var_os("TEST_LOG").is_some() {
        mesoledger::telemetry::init();
    }
    let db = TestDb::new();
    let address = start_instance(db.url());
    TestApp {
        address,
        client: Client::builder().timeout(Duration::from_secs(60)).finish(),
        db,
    }
}

impl TestApp {
    /// Logs a session as `token`.
    pub async fn log_session(&self, token: &str, body: Value) -> Answer {
        self.post("/api/v1/sessions", token, body).await
    }

    /// A lot as the API shows it, with its ledger: (on hand, sum of movements, movements).
    pub async fn lot_state(&self, token: &str, lot_id: &str) -> LotState {
        let lot = self.get(&format!("/api/v1/lots/{lot_id}"), token).await;
        assert_eq!(lot.status, 200, "{lot:?}");
        let m = self
            .get(&format!("/api/v1/movements?lot_id={lot_id}"), token)
            .await;
        assert_eq!(m.status, 200, "{m:?}");
        let rows = m.body.as_array().cloned().unwrap_or_default();
        LotState {
            on_hand: dec(&lot.body["on_hand"]),
            ledger_sum: rows.iter().map(|r| dec(&r["quantity"])).sum(),
            movements: rows.len(),
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> Answer {
        self.request_to(&self.address, method, path, token, body)
            .await
    }

    pub async fn request_to(
        &self,
        address: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> Answer {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, format!("{address}{path}"));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut res = match body {
            Some(b) => {
                req.insert_header(("Content-Type", "application/json"))
                    .send_body(b)
                    .await
            }
            None => req.send().await,
        }
        .expect("request sent");
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = res.body().limit(64 * 1024 * 1024).await.expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.request("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request("POST", path, Some(token), Some(body.to_string()))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.request("PATCH", path, Some(token), Some(body.to_string()))
            .await
    }

    /// A clinic with one member per role.
    pub async fn clinic(&self, name: &str) -> Clinic {
        let c = self
            .post("/api/v1/clinics", ADMIN_TOKEN, json!({ "name": name }))
            .await;
        assert_eq!(c.status, 201, "{c:?}");
        let id = c.body["id"].as_str().expect("clinic id").to_string();
        let mut tokens = Vec::new();
        for role in ["manager", "practitioner", "auditor"] {
            let s = self
                .post(
                    &format!("/api/v1/clinics/{id}/staff"),
                    ADMIN_TOKEN,
                    json!({ "name": format!("{role} of {name}"), "role": role }),
                )
                .await;
            assert_eq!(s.status, 201, "{s:?}");
            tokens.push(s.body["token"].as_str().expect("token").to_string());
        }
        Clinic {
            id,
            manager: tokens[0].clone(),
            practitioner: tokens[1].clone(),
            auditor: tokens[2].clone(),
        }
    }

    pub async fn product(&self, token: &str, overrides: Value) -> Value {
        let mut body = json!({
            "sku": format!("HA-{}", uuid::Uuid::new_v4().simple()),
            "name": "Hyaluronic acid 2 ml",
            "kind": "vial",
            "ingredients": ["hyaluronic acid"],
            "stock_unit": "ml",
            "content": "2",
            "single_use": true,
            "storage": "room",
            "reorder_point": "4",
            "reorder_quantity": 10,
            "unit_cost": "14.50"
        });
        merge(&mut body, overrides);
        let p = self.post("/api/v1/products", token, body).await;
        assert_eq!(p.status, 201, "{p:?}");
        p.body
    }

    pub async fn receive(
        &self,
        token: &str,
        product_id: &str,
        lot_number: &str,
        expires_on: &str,
        containers: i64,
    ) -> Value {
        let l = self
            .post(
                "/api/v1/lots",
                token,
                json!({ "product_id": product_id, "lot_number": lot_number, "expires_on": expires_on, "containers": containers }),
            )
            .await;
        assert_eq!(l.status, 201, "{l:?}");
        l.body
    }

    /// Like `receive`, for a delivery that arrived `days_ago` days ago (entered late).
    pub async fn receive_days_ago(
        &self,
        token: &str,
        product_id: &str,
        lot_number: &str,
        expires_on: &str,
        containers: i64,
        days_ago: i64,
    ) -> Value {
        let l = self
            .post(
                "/api/v1/lots",
                token,
                json!({ "product_id": product_id, "lot_number": lot_number, "expires_on": expires_on,
                        "containers": containers, "received_at": ago(days_ago) }),
            )
            .await;
        assert_eq!(l.status, 201, "{l:?}");
        l.body
    }
}

/// The time `days` days ago, as a body's RFC 3339 time.
pub fn ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339()
}

pub struct Clinic {
    pub id: String,
    pub manager: String,
    pub practitioner: String,
    pub auditor: String,
}

pub fn merge(base: &mut Value, overrides: Value) {
    if let (Some(b), Value::Object(o)) = (base.as_object_mut(), overrides) {
        for (k, v) in o {
            b.insert(k, v);
        }
    }
}

/// A date `days` from today, as the API writes dates.
pub fn day(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

pub fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

/// Decimal from the string the API sends.
pub fn dec(v: &Value) -> rust_decimal::Decimal {
    s(v).parse()
        .unwrap_or_else(|e| panic!("{v} is not a decimal: {e}"))
}

/// A lot's balance and its ledger, read through the API.
#[derive(Debug)]
pub struct LotState {
    pub on_hand: rust_decimal::Decimal,
    pub ledger_sum: rust_decimal::Decimal,
    pub movements: usize,
}

/// The `field` of each error of a 422 problem, in order.
pub fn field_errors(a: &Answer) -> Vec<String> {
    a.body["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}
