//! Every request the JSON API takes, in one place: plain serde shapes of what a client
//! sends, before any rule has looked at it. Services take them and turn them into valid
//! domain values (`ProductInput::validate`, `resolve` for a session, …); handlers only
//! deserialize them. One suffix per role:
//!
//! - `…Input`: a body that creates something or asks for an action (`POST`, `PUT`);
//! - `…Patch`: a `PATCH` body, every field optional, absent = unchanged;
//! - `…Query`: a query string.
//!
//! The web pages' own shapes stay beside their handlers in `http::ui`: a posted form
//! carries every field as the text a browser sends (so a page can show it back with the
//! errors), and the handler turns it into one of these requests.

mod accounts;
mod audit;
mod buying;
mod catalog;
mod cold_chain;
mod stock;
mod treatment;

pub use accounts::*;
pub use audit::*;
pub use buying::*;
pub use catalog::*;
pub use cold_chain::*;
pub use stock::*;
pub use treatment::*;
