//! Signed cookies: the pending-login binding and the browser session.
//!
//! A cookie value is `base64url(json).base64url(hmac)`, where the JSON is
//! `{"d": data, "exp": ms}` and the HMAC-SHA256 (key `SESSION_KEY`) covers a
//! purpose label as well, so a login cookie can never be replayed as a
//! session cookie. Cookies are `__Host-` prefixed (Secure, Path=/, no
//! Domain: a sibling subdomain cannot plant one), HttpOnly (page scripts
//! cannot read them) and SameSite=Lax (sent on the top-level redirect back
//! from Meta, not on cross-site POSTs).
//!
//! A session names, per account, the Meta user who connected it and when
//! this browser was let in; the account's record says since when sessions
//! are valid (`AccountRecord::sessions_valid_after`), so deleting an
//! account, its reconnection by another Meta user, or "log out everywhere"
//! revoke every older cookie (see `AccountRecord::admits`).
//! <https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies#cookie_prefixes>

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::core::time::Timestamp;
use crate::service::crypto::{b64url, b64url_decode, hmac_sha256, verify_hmac_sha256};

/// Binds a pending login (`state`) to the browser that started it.
pub const LOGIN_COOKIE: &str = "__Host-instagate_login";
/// The browser session: which accounts this browser connected.
pub const SESSION_COOKIE: &str = "__Host-instagate_session";

/// Purposes, signed into each cookie.
pub const LOGIN_PURPOSE: &str = "login";
pub const SESSION_PURPOSE: &str = "session";

/// The most accounts one browser session holds: every account of one
/// Facebook login (`MAX_ACCOUNTS_PER_LOGIN` is at most this), and the
/// cookie stays under 2 KB.
pub const MAX_SESSION_ACCOUNTS: usize = 50;

/// What the login cookie holds: the state, and (logins started since
/// pending logins moved out of KV) the pending login itself, sealed with
/// the token keyring (the PKCE verifier is in it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginBinding {
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
}

/// One account of a browser session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionAccount {
    /// The Instagram account ID.
    pub id: String,
    /// The Meta user who had connected it when this browser was let in.
    pub user: Option<String>,
    /// When this browser was let in to the account (ms since the epoch).
    pub iat: u64,
}

/// What the session cookie holds: the accounts this browser logged in
/// (most recent first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "WireSession", from = "WireSession")]
pub struct Session {
    pub accounts: Vec<SessionAccount>,
}

/// The cookie's shape: accounts let in together (one login: same Meta user,
/// same time) are one group `[user, iat, [ids]]`, so the 50 accounts of one
/// Facebook login fit a cookie's 4 KB.
#[derive(Serialize, Deserialize)]
struct WireSession {
    g: Vec<(Option<String>, u64, Vec<String>)>,
}

impl From<Session> for WireSession {
    fn from(session: Session) -> WireSession {
        let mut g: Vec<(Option<String>, u64, Vec<String>)> = Vec::new();
        for a in session.accounts {
            match g.last_mut() {
                Some((user, iat, ids)) if *user == a.user && *iat == a.iat => ids.push(a.id),
                _ => g.push((a.user, a.iat, vec![a.id])),
            }
        }
        WireSession { g }
    }
}

impl From<WireSession> for Session {
    fn from(wire: WireSession) -> Session {
        let accounts = wire
            .g
            .into_iter()
            .flat_map(|(user, iat, ids)| {
                ids.into_iter().map(move |id| SessionAccount {
                    id,
                    user: user.clone(),
                    iat,
                })
            })
            .collect();
        Session { accounts }
    }
}

impl Session {
    /// Whether the session names `account_id` (not yet whether it is still
    /// valid: that needs the record, see `AccountRecord::admits`).
    pub fn allows(&self, account_id: &str) -> bool {
        self.accounts.iter().any(|a| a.id == account_id)
    }

    /// Whether this browser was let in to account `id` by Meta user `user`
    /// no earlier than `valid_after`.
    pub fn admits(&self, id: &str, user: Option<&str>, valid_after: Option<Timestamp>) -> bool {
        self.accounts.iter().any(|a| {
            a.id == id
                && a.user.as_deref() == user
                && a.iat >= valid_after.map_or(0, |t| t.as_millis())
        })
    }

    /// The session with the account `id` (connected by Meta user `user`)
    /// added in front, let in at `now` (kept once, capped).
    pub fn with_account(mut self, id: &str, user: Option<&str>, now: Timestamp) -> Session {
        self.accounts.retain(|a| a.id != id);
        self.accounts.insert(
            0,
            SessionAccount {
                id: id.to_owned(),
                user: user.map(str::to_owned),
                iat: now.as_millis(),
            },
        );
        self.accounts.truncate(MAX_SESSION_ACCOUNTS);
        self
    }

    pub fn without_account(mut self, account_id: &str) -> Session {
        self.accounts.retain(|a| a.id != account_id);
        self
    }

    /// The account IDs, most recent first.
    pub fn account_ids(&self) -> impl Iterator<Item = &str> {
        self.accounts.iter().map(|a| a.id.as_str())
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    d: T,
    exp: u64,
}

/// Signs and checks cookie values.
pub struct CookieSigner<'a> {
    key: &'a [u8],
}

impl<'a> CookieSigner<'a> {
    pub fn new(key: &'a [u8]) -> CookieSigner<'a> {
        CookieSigner { key }
    }

    /// A signed value carrying `data` until `expires`.
    pub fn sign<T: Serialize>(&self, purpose: &str, data: &T, expires: Timestamp) -> String {
        let json = serde_json::to_vec(&Envelope {
            d: data,
            exp: expires.as_millis(),
        })
        .unwrap_or_default();
        let payload = b64url(&json);
        let tag = hmac_sha256(self.key, signed_text(purpose, &payload).as_bytes());
        format!("{payload}.{}", b64url(&tag))
    }

    /// The data of a value signed for `purpose`, if the signature holds and
    /// it has not expired at `now`.
    pub fn verify<T: DeserializeOwned>(
        &self,
        purpose: &str,
        value: &str,
        now: Timestamp,
    ) -> Option<T> {
        let (payload, tag) = value.split_once('.')?;
        let tag = b64url_decode(tag)?;
        if !verify_hmac_sha256(self.key, signed_text(purpose, payload).as_bytes(), &tag) {
            return None;
        }
        let envelope: Envelope<T> = serde_json::from_slice(&b64url_decode(payload)?).ok()?;
        (envelope.exp > now.as_millis()).then_some(envelope.d)
    }
}

fn signed_text(purpose: &str, payload: &str) -> String {
    format!("instagate-cookie-v1|{purpose}|{payload}")
}

/// A `Set-Cookie` value with the attributes every instagate cookie has.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64) -> String {
    format!("{name}={value}; Max-Age={max_age_secs}; Path=/; HttpOnly; Secure; SameSite=Lax")
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(name: &str) -> String {
    format!("{name}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_round_trip_and_resist_tampering() {
        let signer = CookieSigner::new(b"0123456789abcdef0123456789abcdef");
        let now = Timestamp::from_secs(1_000);
        let s = Session::default().with_account("17841400000000001", None, now);
        let v = signer.sign(
            SESSION_PURPOSE,
            &s,
            now.plus(std::time::Duration::from_secs(60)),
        );
        assert_eq!(
            signer.verify::<Session>(SESSION_PURPOSE, &v, now),
            Some(s.clone())
        );
        // Expired.
        assert_eq!(
            signer.verify::<Session>(SESSION_PURPOSE, &v, Timestamp::from_secs(1_060)),
            None
        );
        // Another purpose.
        assert_eq!(signer.verify::<Session>(LOGIN_PURPOSE, &v, now), None);
        // Another key.
        let other = CookieSigner::new(b"another key, just as long as that");
        assert_eq!(other.verify::<Session>(SESSION_PURPOSE, &v, now), None);
        // A forged payload with the old signature.
        let (_, tag) = v.split_once('.').unwrap();
        let forged_data = Session::default().with_account("17841400000000002", None, now);
        let forged = signer.sign(
            SESSION_PURPOSE,
            &forged_data,
            now.plus(std::time::Duration::from_secs(60)),
        );
        let (forged_payload, _) = forged.split_once('.').unwrap();
        assert_eq!(
            signer.verify::<Session>(SESSION_PURPOSE, &format!("{forged_payload}.{tag}"), now),
            None
        );
        assert_eq!(
            signer.verify::<Session>(SESSION_PURPOSE, "garbage", now),
            None
        );
    }

    #[test]
    fn fifty_accounts_of_one_login_fit_a_cookie() {
        let signer = CookieSigner::new(b"0123456789abcdef0123456789abcdef");
        let now = Timestamp::from_secs(1_795_000_000);
        let session = (0..MAX_SESSION_ACCOUNTS).fold(Session::default(), |s, n| {
            s.with_account(
                &format!("178414000000{n:05}"),
                Some("10000000000000001"),
                now,
            )
        });
        let value = signer.sign(
            SESSION_PURPOSE,
            &session,
            now.plus(std::time::Duration::from_secs(60)),
        );
        let cookie = set_cookie(SESSION_COOKIE, &value, 2_592_000);
        assert!(cookie.len() < 4096, "{} bytes", cookie.len());
        assert_eq!(
            signer.verify::<Session>(SESSION_PURPOSE, &value, now),
            Some(session)
        );
    }

    #[test]
    fn sessions_keep_each_account_once() {
        let now = Timestamp::from_secs(1_000);
        let s = Session::default()
            .with_account("1", None, now)
            .with_account("2", Some("9"), now)
            .with_account("1", None, now);
        assert_eq!(s.account_ids().collect::<Vec<_>>(), ["1", "2"]);
        assert!(s.allows("2"));
        assert!(!s.clone().without_account("2").allows("2"));
        let c = set_cookie(SESSION_COOKIE, "v", 60);
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/", "Max-Age=60"] {
            assert!(c.contains(attr), "{c}");
        }
    }
}
