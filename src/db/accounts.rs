//! Accounts: staff emails, passwords and the active flag; named bearer tokens; browser
//! sessions; invitations; failed sign-ins (the rate limit's memory, shared by every
//! instance on the database).

use crate::domain::ids::StaffId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{browser_sessions, invitations, sign_in_failures, staff, tokens};
use super::staff::Staff;
use super::Conn;

pub fn find_staff(conn: &mut Conn, id: &StaffId) -> QueryResult<Option<Staff>> {
    staff::table
        .find(id)
        .select(Staff::as_select())
        .first(conn)
        .optional()
}

/// The person with this (normalised) email and their password hash, if any.
pub fn find_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<(Staff, Option<String>)>> {
    staff::table
        .filter(staff::email.eq(email))
        .select((Staff::as_select(), staff::password_hash))
        .first(conn)
        .optional()
}

/// The first admin account (the one the bootstrap made).
pub fn first_admin(conn: &mut Conn) -> QueryResult<Option<Staff>> {
    staff::table
        .filter(staff::role.eq("admin"))
        .order((staff::created_at, staff::id))
        .select(Staff::as_select())
        .first(conn)
        .optional()
}

pub fn update_staff(conn: &mut Conn, member: &Staff) -> QueryResult<()> {
    diesel::update(staff::table.find(&member.id))
        .set((
            staff::name.eq(&member.name),
            staff::role.eq(&member.role),
            staff::email.eq(&member.email),
            staff::active.eq(member.active),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn has_password(conn: &mut Conn, staff_id: &StaffId) -> QueryResult<bool> {
    staff::table
        .find(staff_id)
        .select(staff::password_hash.is_not_null())
        .first(conn)
}

pub fn set_password_hash(conn: &mut Conn, staff_id: &StaffId, hash: &str) -> QueryResult<()> {
    diesel::update(staff::table.find(staff_id))
        .set(staff::password_hash.eq(hash))
        .execute(conn)
        .map(|_| ())
}

// ---- tokens

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tokens)]
pub struct Token {
    pub id: String,
    pub staff_id: StaffId,
    pub name: String,
    pub prefix: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_token(conn: &mut Conn, t: &Token) -> QueryResult<()> {
    diesel::insert_into(tokens::table)
        .values(t)
        .execute(conn)
        .map(|_| ())
}

/// A token that is not revoked, with its owner.
pub fn find_live_token(conn: &mut Conn, hash: &str) -> QueryResult<Option<(Token, Staff)>> {
    tokens::table
        .inner_join(staff::table)
        .filter(tokens::token_hash.eq(hash))
        .filter(tokens::revoked_at.is_null())
        .select((Token::as_select(), Staff::as_select()))
        .first(conn)
        .optional()
}

/// Records a use, at most once a minute per token, so reads stay reads.
pub fn touch_token(conn: &mut Conn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    let stale = now - chrono::Duration::seconds(60);
    diesel::update(
        tokens::table.find(id).filter(
            tokens::last_used_at
                .is_null()
                .or(tokens::last_used_at.lt(stale)),
        ),
    )
    .set(tokens::last_used_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

/// A person's tokens that still work, oldest first.
pub fn list_tokens(conn: &mut Conn, staff_id: &StaffId) -> QueryResult<Vec<Token>> {
    tokens::table
        .filter(tokens::staff_id.eq(staff_id))
        .filter(tokens::revoked_at.is_null())
        .order((tokens::created_at, tokens::id))
        .select(Token::as_select())
        .load(conn)
}

/// The tokens that still work of several people at once (one query for a staff list),
/// oldest first.
pub fn list_tokens_of(conn: &mut Conn, staff_ids: &[StaffId]) -> QueryResult<Vec<Token>> {
    tokens::table
        .filter(tokens::staff_id.eq_any(staff_ids))
        .filter(tokens::revoked_at.is_null())
        .order((tokens::created_at, tokens::id))
        .select(Token::as_select())
        .load(conn)
}

pub fn find_live_token_of(
    conn: &mut Conn,
    staff_id: &StaffId,
    id: &str,
) -> QueryResult<Option<Token>> {
    tokens::table
        .filter(tokens::staff_id.eq(staff_id))
        .filter(tokens::id.eq(id))
        .filter(tokens::revoked_at.is_null())
        .select(Token::as_select())
        .first(conn)
        .optional()
}

pub fn revoke_token(conn: &mut Conn, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(tokens::table.find(id))
        .set(tokens::revoked_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

/// Revokes every live token of a person; answers how many.
pub fn revoke_all_tokens(
    conn: &mut Conn,
    staff_id: &StaffId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        tokens::table
            .filter(tokens::staff_id.eq(staff_id))
            .filter(tokens::revoked_at.is_null()),
    )
    .set(tokens::revoked_at.eq(now))
    .execute(conn)
}

// ---- browser sessions

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = browser_sessions)]
pub struct BrowserSession {
    pub id_hash: String,
    pub staff_id: StaffId,
    pub csrf_token: String,
    pub client_addr: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_session(conn: &mut Conn, s: &BrowserSession) -> QueryResult<()> {
    diesel::insert_into(browser_sessions::table)
        .values(s)
        .execute(conn)
        .map(|_| ())
}

pub fn find_session(
    conn: &mut Conn,
    id_hash: &str,
) -> QueryResult<Option<(BrowserSession, Staff)>> {
    browser_sessions::table
        .inner_join(staff::table)
        .filter(browser_sessions::id_hash.eq(id_hash))
        .select((BrowserSession::as_select(), Staff::as_select()))
        .first(conn)
        .optional()
}

pub fn touch_session(conn: &mut Conn, id_hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(browser_sessions::table.find(id_hash))
        .set(browser_sessions::last_seen_at.eq(now))
        .execute(conn)
        .map(|_| ())
}

pub fn delete_session(conn: &mut Conn, id_hash: &str) -> QueryResult<usize> {
    diesel::delete(browser_sessions::table.find(id_hash)).execute(conn)
}

/// Ends every browser session of a person; answers how many.
pub fn delete_sessions_of(conn: &mut Conn, staff_id: &StaffId) -> QueryResult<usize> {
    diesel::delete(browser_sessions::table.filter(browser_sessions::staff_id.eq(staff_id)))
        .execute(conn)
}

// ---- invitations

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub code_hash: String,
    pub staff_id: StaffId,
    pub created_by: Option<StaffId>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub fn insert_invitation(conn: &mut Conn, i: &Invitation) -> QueryResult<()> {
    diesel::insert_into(invitations::table)
        .values(i)
        .execute(conn)
        .map(|_| ())
}

pub fn find_invitation(conn: &mut Conn, code_hash: &str) -> QueryResult<Option<Invitation>> {
    invitations::table
        .find(code_hash)
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Marks an invitation used, once: answers false when it was used already (a race).
pub fn use_invitation(conn: &mut Conn, code_hash: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        invitations::table
            .find(code_hash)
            .filter(invitations::used_at.is_null()),
    )
    .set(invitations::used_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Withdraws a person's unused invitations (a new one replaces them).
pub fn withdraw_invitations(
    conn: &mut Conn,
    staff_id: &StaffId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        invitations::table
            .filter(invitations::staff_id.eq(staff_id))
            .filter(invitations::used_at.is_null()),
    )
    .set(invitations::used_at.eq(now))
    .execute(conn)
    .map(|_| ())
}

// ---- failed sign-ins

pub fn insert_failure(
    conn: &mut Conn,
    email: &str,
    client_addr: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::id.eq(super::new_id()),
            sign_in_failures::email.eq(email),
            sign_in_failures::client_addr.eq(client_addr),
            sign_in_failures::at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Times of failures for an email since `since`, oldest first.
pub fn failures_for_email(
    conn: &mut Conn,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    sign_in_failures::table
        .filter(sign_in_failures::email.eq(email))
        .filter(sign_in_failures::at.gt(since))
        .order(sign_in_failures::at)
        .select(sign_in_failures::at)
        .load(conn)
}

/// Times of failures from a client address since `since`, oldest first.
pub fn failures_from_addr(
    conn: &mut Conn,
    addr: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    sign_in_failures::table
        .filter(sign_in_failures::client_addr.eq(addr))
        .filter(sign_in_failures::at.gt(since))
        .order(sign_in_failures::at)
        .select(sign_in_failures::at)
        .load(conn)
}

/// Forgets an email's failures (after a successful sign-in) and everything older than
/// `before` (nothing outside the window matters).
pub fn clear_failures(conn: &mut Conn, email: &str, before: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::email.eq(email)))
        .execute(conn)?;
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::at.lt(before)))
        .execute(conn)
        .map(|_| ())
}
