//! The stylesheets and the script, embedded in the binary and served under names that
//! carry a hash of their content, so browsers may cache them for a year and a new build
//! is fetched at once.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use sha2::{Digest, Sha256};

pub const APP_CSS: &str = include_str!("../../../static/app.css");
pub const APP_JS: &str = include_str!("../../../static/app.js");
/// The API docs page's style (`/api/v1/docs`).
pub const DOCS_CSS: &str = include_str!("../../../static/docs.css");

fn hashed(stem: &str, ext: &str, body: &str) -> String {
    let digest = hex::encode(Sha256::digest(body.as_bytes()));
    format!("/static/{stem}.{}.{ext}", &digest[..12])
}

/// `/static/app.<hash>.css`
pub static CSS_PATH: LazyLock<String> = LazyLock::new(|| hashed("app", "css", APP_CSS));
/// `/static/app.<hash>.js`
pub static JS_PATH: LazyLock<String> = LazyLock::new(|| hashed("app", "js", APP_JS));
/// `/static/docs.<hash>.css`
pub static DOCS_CSS_PATH: LazyLock<String> = LazyLock::new(|| hashed("docs", "css", DOCS_CSS));

#[get("/static/{name}")]
pub async fn asset(name: web::Path<String>) -> HttpResponse {
    let path = format!("/static/{name}");
    let (body, kind) = if path == *CSS_PATH {
        (APP_CSS, "text/css; charset=utf-8")
    } else if path == *JS_PATH {
        (APP_JS, "text/javascript; charset=utf-8")
    } else if path == *DOCS_CSS_PATH {
        (DOCS_CSS, "text/css; charset=utf-8")
    } else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file");
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}
