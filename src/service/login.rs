//! Logging in: the redirect flow (`GET /auth/login` → Meta → `GET
//! /auth/callback`) and the single-page flow (`POST /auth/pending` before
//! the redirect, `POST /auth/exchange` after it).
//!
//! Redirect flow. `/auth/login` has the core make the `state` and PKCE pair
//! (`core::oauth::authorize::start_login`; Meta checks PKCE for Facebook
//! Login) and keeps them with the return URL in the browser's signed
//! `__Host-` cookie (HttpOnly, Secure, SameSite=Lax, 10 minutes), sealed
//! with the token keyring: anyone may call `/auth/login`, so it writes
//! nothing to KV (a KV write per call would let anyone spend the daily
//! write allowance). `/auth/callback` needs that cookie and the same state
//! (login CSRF: a callback from another browser is refused), refuses a
//! state already used (`state:{state}` is marked used alongside the code
//! exchange, TTL 10 minutes, so a replay never reaches Meta; logins started before
//! this change still find their pending login there and delete it before
//! using it), runs the core's callback checks
//! (`validate_callback_params`), exchanges the code, and stores the account only
//! once every step succeeded. Failures after the state check redirect to the
//! app with `?error=<kind>`; earlier ones show an error page, since nothing
//! trustworthy says where to send the browser. The return URL must be in
//! `APP_RETURN_URLS` (no open redirect).
//!
//! Several accounts per login. A Facebook login stores every Instagram
//! account the person granted (one per linked Page with a Page token; at
//! most `MAX_ACCOUNTS_PER_LOGIN`, in Meta's order), each with the Facebook
//! user ID that brought it (`facebook_user_id`, also an `alias:` entry, so a
//! deauthorize or data-deletion callback for that user removes them all).
//! The callback redirects with `?connected=<id>,<id>,...`, `/auth/exchange`
//! answers `{account, accounts, skipped}` (`account` is the first), and the
//! browser session gets them all.
//!
//! Single-page flow. The npm package's browser helper makes the state and
//! the PKCE verifier itself, so the Worker did not see them being made. To
//! keep a leaked `code` (+ `state`) from being redeemable by anyone, the
//! front end registers the login first: `POST /auth/pending` with the
//! state, the S256 challenge of its verifier and its redirect URI (from an
//! allowed origin). `POST /auth/exchange` then needs the same origin, the
//! registered state (deleted on use; put back only when Meta refused the
//! code exchange itself, e.g. a rate limit, so the code is still unused and
//! the retry the answer invites can work) and the verifier that hashes to the
//! registered challenge: in effect PKCE between the browser and the
//! Worker, for both products (Instagram Login has no PKCE at Meta). For
//! Facebook Login the same verifier also goes to Meta. No cookie is needed
//! for the binding, so it works across sites; the answer also sets the
//! session cookie, which a same-site front end can use for the API.

use std::time::Duration;

use futures_util::future::{join, join_all};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::core::config::Product;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::{with_query, Transport};
use crate::core::oauth::authorize::{pkce_challenge, start_login, LoginOptions};
use crate::core::oauth::callback::{validate_callback_params, ValidatedCallback};
use crate::core::oauth::login::{complete_login, CompletedLogin, ConnectedAccount};
use crate::core::oauth::pages::{AccountChoice, SkippedAccount};
use crate::core::secret::PkceVerifier;
use crate::core::time::Timestamp;
use crate::core::token::{TokenKind, TokenRecord};
use crate::service::accounts::{alias_key, valid_id, AccountRecord, RefreshEvent};
use crate::service::cookies::{
    clear_cookie, set_cookie, CookieSigner, LoginBinding, Session, LOGIN_COOKIE, LOGIN_PURPOSE,
};
use crate::service::crypto::secret_eq;
use crate::service::error::ApiError;
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::router::LogFields;
use crate::service::store::{KvStore, MIN_TTL};
use crate::service::Service;

/// How long a pending login lives (KV TTL and cookie lifetime).
pub const PENDING_TTL: Duration = Duration::from_secs(600);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Flow {
    Redirect,
    Spa,
}

/// What `state:{state}` holds (sealed).
#[derive(Serialize, Deserialize)]
struct PendingLogin {
    flow: Flow,
    product: Product,
    redirect_uri: String,
    /// Redirect flow, Facebook Login: the PKCE verifier sent to Meta.
    #[serde(default)]
    verifier: Option<PkceVerifier>,
    /// Single-page flow: the S256 challenge of the browser's verifier.
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    return_to: Option<String>,
    /// Single-page flow: the origin that registered it.
    #[serde(default)]
    origin: Option<String>,
    created_at: Timestamp,
}

pub fn state_key(state: &str) -> String {
    format!("state:{state}")
}

/// A state is 16–128 base64url characters (the helpers make 43).
pub fn valid_state(state: &str) -> bool {
    (16..=128).contains(&state.len())
        && state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A failure after Meta exchanged the code: retrying with the same code
/// cannot work (single-use), so the answer says to start again instead.
fn code_spent(error: ApiError) -> ApiError {
    if error.retryable {
        error.with_no_retry("the code was already exchanged, so start the login again")
    } else {
        error
    }
}

fn state_error(message: &str) -> ApiError {
    ApiError::from(Error::new(ErrorKind::StateMismatch, message))
}

/// The callback's `state` (already checked against the cookie).
fn pending_state(req: &HttpRequest) -> Result<String, ApiError> {
    req.query_param("state")?
        .ok_or_else(|| state_error("the callback has no state parameter"))
}

/// `url` with `key=value` added to its query (before any fragment).
pub fn append_query(url: &str, key: &str, value: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let joined = with_query(base, &[(key, value)]);
    match fragment {
        Some(f) => format!("{joined}#{f}"),
        None => joined,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PendingInput {
    state: String,
    code_challenge: String,
    redirect_uri: String,
    #[serde(default)]
    product: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExchangeInput {
    code: String,
    state: String,
    code_verifier: String,
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    fn product_settings(
        &self,
        name: Option<&str>,
    ) -> Result<&crate::service::config::ProductSettings, ApiError> {
        match name {
            None => Ok(self.config.default_product()),
            Some(name) => Product::parse(name)
                .ok()
                .and_then(|p| self.config.product(p))
                .ok_or_else(|| {
                    ApiError::invalid_input(
                        "product",
                        format!("this Worker does not serve the login product {name:?}"),
                    )
                }),
        }
    }

    async fn put_pending(&self, state: &str, pending: &PendingLogin) -> Result<(), ApiError> {
        let key = state_key(state);
        let plain = serde_json::to_vec(pending).unwrap_or_default();
        let sealed = self.config.keyring.seal_with(self.transport, &plain, &key);
        self.store.put(&key, &sealed, Some(PENDING_TTL)).await
    }

    /// The pending login a login cookie carries, sealed under the state.
    fn seal_pending(&self, state: &str, pending: &PendingLogin) -> String {
        let plain = serde_json::to_vec(pending).unwrap_or_default();
        self.config
            .keyring
            .seal_with(self.transport, &plain, &state_key(state))
    }

    /// Opens the pending login of a login cookie; refused when a login with
    /// this state already succeeded (see the module docs).
    async fn cookie_pending(&self, state: &str, sealed: &str) -> Result<PendingLogin, ApiError> {
        if self.store.get(&state_key(state)).await?.is_some() {
            return Err(state_error("this login was already used; start again"));
        }
        let plain = self.config.keyring.open(sealed, &state_key(state))?;
        serde_json::from_slice(&plain).map_err(|_| ApiError::decrypt_failed("the pending login"))
    }

    /// The sealed pending login under `key`; a clear error when there is none.
    async fn sealed_pending(&self, key: &str) -> Result<String, ApiError> {
        self.store
            .get(key)
            .await?
            .ok_or_else(|| state_error("this login expired or was already used; start again"))
    }

    fn open_pending(&self, key: &str, sealed: &str) -> Result<PendingLogin, ApiError> {
        let plain = self.config.keyring.open(sealed, key)?;
        serde_json::from_slice(&plain).map_err(|_| ApiError::decrypt_failed("the pending login"))
    }

    /// The pending login under `state`, opened (not deleted).
    async fn load_pending(&self, state: &str) -> Result<PendingLogin, ApiError> {
        let key = state_key(state);
        let sealed = self.sealed_pending(&key).await?;
        self.open_pending(&key, &sealed)
    }

    /// Loads and deletes the pending login: each state is used once, and
    /// deleted before anything it allows (a wrong verifier burns it).
    async fn take_pending(&self, state: &str) -> Result<(PendingLogin, String), ApiError> {
        let key = state_key(state);
        let sealed = self.sealed_pending(&key).await?;
        self.store.delete(&key).await?;
        Ok((self.open_pending(&key, &sealed)?, sealed))
    }

    /// Puts a taken pending login back after a failure that left the code
    /// unused (Meta refused the exchange itself, e.g. a rate limit), for
    /// the rest of its 10 minutes, so the retry the error invites can
    /// work. Past that, or if the write fails, the error stops inviting one.
    async fn restore_pending(
        &self,
        state: &str,
        pending: &PendingLogin,
        sealed: &str,
        error: ApiError,
    ) -> ApiError {
        if !error.retryable {
            return error;
        }
        let age = self.transport.now().since(pending.created_at);
        let left = PENDING_TTL.saturating_sub(age);
        let restored = left >= MIN_TTL
            && self
                .store
                .put(&state_key(state), sealed, Some(left))
                .await
                .is_ok();
        if restored {
            error
        } else {
            error.with_no_retry("this login expired meanwhile: start again")
        }
    }

    /// `GET /auth/login?product=&return_to=&rerequest=1`. `rerequest=1`
    /// (Facebook Login) asks again for permissions the person declined: the
    /// way out of a `missing_permission`.
    pub(crate) async fn login(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let settings = self.product_settings(req.query_param("product")?.as_deref())?;
        let return_to = req.query_param("return_to")?;
        if let Some(url) = &return_to {
            if !self.config.return_url_allowed(url) {
                return Err(ApiError::invalid_input(
                    "return_to",
                    "return_to is not one of this Worker's APP_RETURN_URLS",
                ));
            }
        }
        // State and PKCE pair from the core (32 random bytes each); the
        // verifier goes to Meta only for Facebook Login, which checks it.
        let options = LoginOptions {
            rerequest: match req.query_param("rerequest")?.as_deref() {
                None | Some("0") => false,
                Some("1") => true,
                Some(_) => {
                    return Err(ApiError::invalid_input(
                        "rerequest",
                        "rerequest must be 1 or 0",
                    ))
                }
            },
            ..LoginOptions::default()
        };
        let started = start_login(self.transport, &settings.config, &options)?;
        let state = started.state.clone();
        let now = self.transport.now();
        let pending = PendingLogin {
            flow: Flow::Redirect,
            product: settings.config.product,
            redirect_uri: started.redirect_uri.clone(),
            verifier: Some(started.code_verifier.clone()),
            code_challenge: None,
            return_to,
            origin: None,
            created_at: now,
        };
        let binding = CookieSigner::new(&self.config.session_key).sign(
            LOGIN_PURPOSE,
            &LoginBinding {
                state: state.clone(),
                pending: Some(self.seal_pending(&state, &pending)),
            },
            now.plus(PENDING_TTL),
        );
        let url = started.url;
        Ok(HttpResponse::redirect(&url).with_header(
            "set-cookie",
            &set_cookie(LOGIN_COOKIE, &binding, PENDING_TTL.as_secs()),
        ))
    }

    /// `GET /auth/callback?code=&state=` (or `?error=...&state=`).
    pub(crate) async fn callback(
        &self,
        req: &HttpRequest,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let state = req
            .query_param("state")?
            .filter(|s| valid_state(s))
            .ok_or_else(|| state_error("the callback has no valid state parameter"))?;
        let binding: Option<LoginBinding> = req.cookie(LOGIN_COOKIE).and_then(|v| {
            CookieSigner::new(&self.config.session_key).verify(
                LOGIN_PURPOSE,
                v,
                self.transport.now(),
            )
        });
        let binding = match binding {
            Some(b) if secret_eq(&b.state, &state) => b,
            _ => {
                // Not this browser's login: leave its pending login alone.
                return Err(state_error(
                    "this login was not started in this browser (or took longer than 10 minutes); start again",
                ));
            }
        };
        let pending = match &binding.pending {
            Some(sealed) => self.cookie_pending(&state, sealed).await?,
            None => self.load_pending(&state).await?,
        };
        if pending.flow != Flow::Redirect {
            self.store.delete(&state_key(&state)).await?;
            return Err(state_error("this state belongs to a single-page login"));
        }
        let return_to = pending
            .return_to
            .clone()
            .unwrap_or_else(|| self.config.default_return_url().to_owned());
        let clear_login = clear_cookie(LOGIN_COOKIE);
        // The state is used once: its delete runs alongside the code
        // exchange instead of before it (one KV round trip less before the
        // redirect) and finishes whatever the login's outcome. The cookie
        // binding was checked above, and the code is single-use at Meta, so
        // a delete that fails leaves nothing redeemable: the pending login
        // expires within 10 minutes.
        // A cookie-held login has nothing in KV to delete: it marks the state
        // used instead (10 minutes), so a replay never reaches Meta.
        let use_state = async {
            match binding.pending {
                Some(_) => {
                    self.store
                        .put(&state_key(&state), "used", Some(PENDING_TTL))
                        .await
                }
                None => self.store.delete(&state_key(&state)).await,
            }
        };
        let (_, outcome) = join(use_state, self.finish_redirect_login(req, &pending)).await;
        match outcome {
            Ok(stored) => {
                let ids = stored.ids();
                fields.account_id = Some(ids.join(","));
                let session = self.session_with(req, &stored);
                let mut response =
                    HttpResponse::redirect(&append_query(&return_to, "connected", &ids.join(",")))
                        .with_header("set-cookie", &clear_login)
                        .with_header("set-cookie", &self.session_cookie(session));
                response.background.extend(stored.after_answer(self.config));
                Ok(response)
            }
            Err(e) => {
                fields.error_kind = Some(e.kind);
                Ok(
                    HttpResponse::redirect(&append_query(&return_to, "error", e.kind))
                        .with_header("set-cookie", &clear_login),
                )
            }
        }
    }

    async fn finish_redirect_login(
        &self,
        req: &HttpRequest,
        pending: &PendingLogin,
    ) -> Result<StoredLogin, ApiError> {
        // The core's checks: no repeated parameter, the state again, a
        // denial as `oauth_denied`, a code (with Meta's `#_` removed).
        let params: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes())
            .into_owned()
            .collect();
        let state = pending_state(req)?;
        let validated = validate_callback_params(&params, &state)?;
        self.connect(pending, &validated, pending.verifier.as_ref())
            .await
    }

    /// `POST /auth/pending`: a single-page front end registers its login
    /// before redirecting to Meta.
    pub(crate) async fn register_pending(
        &self,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let origin = self.require_allowed_origin(req)?;
        let input: PendingInput = req.json()?;
        if !valid_state(&input.state) {
            return Err(ApiError::invalid_input(
                "state",
                "state must be 16-128 base64url characters",
            ));
        }
        let challenge_ok = input.code_challenge.len() == 43
            && input
                .code_challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !challenge_ok {
            return Err(ApiError::invalid_input(
                "codeChallenge",
                "codeChallenge must be the S256 challenge (43 base64url characters) of the verifier",
            ));
        }
        if !self.config.spa_redirect_uris.contains(&input.redirect_uri) {
            return Err(ApiError::invalid_input(
                "redirectUri",
                "redirectUri is not one of this Worker's SPA_REDIRECT_URIS",
            ));
        }
        let settings = self.product_settings(input.product.as_deref())?;
        if self.store.get(&state_key(&input.state)).await?.is_some() {
            return Err(ApiError::new(
                409,
                "conflict",
                "this state is already registered",
            ));
        }
        self.put_pending(
            &input.state,
            &PendingLogin {
                flow: Flow::Spa,
                product: settings.config.product,
                redirect_uri: input.redirect_uri,
                verifier: None,
                code_challenge: Some(input.code_challenge),
                return_to: None,
                origin: Some(origin),
                created_at: self.transport.now(),
            },
        )
        .await?;
        Ok(HttpResponse::json(
            201,
            &json!({ "state": input.state, "expires_in": PENDING_TTL.as_secs() }),
        ))
    }

    /// `POST /auth/exchange`: code + state + verifier in, account out.
    pub(crate) async fn exchange(
        &self,
        req: &HttpRequest,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let origin = self.require_allowed_origin(req)?;
        let input: ExchangeInput = req.json()?;
        if !valid_state(&input.state) {
            return Err(ApiError::invalid_input(
                "state",
                "state must be 16-128 base64url characters",
            ));
        }
        let verifier_ok = (43..=128).contains(&input.code_verifier.len())
            && input
                .code_verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !verifier_ok {
            return Err(ApiError::invalid_input(
                "codeVerifier",
                "codeVerifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636)",
            ));
        }
        let code = input.code.trim_end_matches("#_");
        if code.is_empty() || code.len() > 2048 {
            return Err(ApiError::invalid_input("code", "code is missing"));
        }
        let (pending, sealed) = self.take_pending(&input.state).await?;
        if pending.flow != Flow::Spa || pending.origin.as_deref() != Some(origin.as_str()) {
            return Err(state_error(
                "this state was not registered by this front end",
            ));
        }
        let challenge = pending.code_challenge.as_deref().unwrap_or("");
        if !secret_eq(&pkce_challenge(&input.code_verifier), challenge) {
            return Err(state_error(
                "codeVerifier does not match the registered challenge",
            ));
        }
        // The state was checked against the registered login above; the
        // core's callback checks run on the code and state as a callback.
        let params = [
            ("code".to_owned(), code.to_owned()),
            ("state".to_owned(), input.state.clone()),
        ];
        let validated = validate_callback_params(&params, &input.state)?;
        let verifier = PkceVerifier::new(input.code_verifier);
        let meta_verifier = (pending.product == Product::Facebook).then_some(&verifier);
        let stored = match self.connect(&pending, &validated, meta_verifier).await {
            Ok(stored) => stored,
            Err(e) => {
                return Err(self
                    .restore_pending(&input.state, &pending, &sealed, e)
                    .await)
            }
        };
        let ids = stored.ids();
        fields.account_id = Some(ids.join(","));
        let session = self.session_with(req, &stored);
        let now = self.transport.now();
        let accounts: Vec<_> = stored
            .records
            .iter()
            .map(|r| r.status(self.config, now))
            .collect();
        let mut response = HttpResponse::json(
            200,
            &json!({
                // The first account, for front ends that connect one.
                "account": accounts.first(),
                "accounts": accounts,
                "skipped": stored.skipped,
            }),
        )
        .with_header("set-cookie", &self.session_cookie(session));
        response.background.extend(stored.after_answer(self.config));
        Ok(response)
    }

    /// The browser's session with every account of `stored` added (the
    /// first of them in front).
    fn session_with(&self, req: &HttpRequest, stored: &StoredLogin) -> Session {
        let now = self.transport.now();
        stored
            .records
            .iter()
            .rev()
            .fold(self.current_session(req), |session, r| {
                session.with_account(&r.id, r.meta_user.as_deref(), now)
            })
    }

    /// Cross-origin auth routes need an allowed `Origin`.
    fn require_allowed_origin(&self, req: &HttpRequest) -> Result<String, ApiError> {
        match req.header("origin") {
            Some(o) if self.config.origin_allowed(o) => Ok(o.to_owned()),
            Some(_) => Err(ApiError::forbidden("this origin is not in ALLOWED_ORIGINS")),
            None => Err(ApiError::forbidden(
                "this route takes requests from an allowed front-end origin only",
            )),
        }
    }

    /// Completes a login with the core (`core::oauth::login`), against the
    /// redirect URI the consent page was opened with, and stores every
    /// account it connected (at most `MAX_ACCOUNTS_PER_LOGIN`).
    async fn connect(
        &self,
        pending: &PendingLogin,
        callback: &ValidatedCallback,
        verifier: Option<&PkceVerifier>,
    ) -> Result<StoredLogin, ApiError> {
        let settings = self.config.product(pending.product).ok_or_else(|| {
            ApiError::invalid_input("product", "this Worker no longer serves that login product")
        })?;
        // The single-page flow's redirect URI is the front end's, not the
        // Worker's: Meta wants the one the consent page was opened with.
        let mut config = settings.config.clone();
        config.redirect_uri = pending.redirect_uri.clone();
        let choice = AccountChoice {
            only: Vec::new(),
            max: Some(self.config.max_accounts_per_login),
        };
        let completed = complete_login(
            self.transport,
            &config,
            &settings.app_secret,
            callback,
            verifier,
            &choice,
        )
        .await?;
        // The code is spent from here on: a failure to store is not fixed by
        // sending the same code again (the core says the same of its own
        // failures after the exchange).
        self.store_login(completed).await.map_err(code_spent)
    }

    /// Stores every account of a completed login, all at once (each its
    /// own keys), answered in Meta's order. Each is committed on its own
    /// (see [`Self::store_connected`]): a failure keeps the ones stored, and
    /// logging in again completes it.
    pub(crate) async fn store_login(
        &self,
        completed: CompletedLogin,
    ) -> Result<StoredLogin, ApiError> {
        let CompletedLogin {
            product,
            accounts,
            facebook_user_id,
            skipped,
        } = completed;
        let stored =
            join_all(accounts.into_iter().map(|account| {
                self.store_connected(product, account, facebook_user_id.as_deref())
            }))
            .await;
        let mut records = Vec::with_capacity(stored.len());
        let mut stale_keys = Vec::new();
        for result in stored {
            let (record, stale) = result?;
            records.push(record);
            stale_keys.extend(stale);
        }
        Ok(StoredLogin {
            records,
            skipped,
            stale_keys,
        })
    }

    /// Stores a completed login. The alias entries go first, alongside the
    /// read of the existing record (they do not depend on it), then the
    /// index entry if it moved, then the record: the record is the commit point, so a
    /// failure before it leaves no account behind. Also returns the keys
    /// the record no longer points at (its replaced index entry, aliases
    /// it no longer has), to delete after the answer: a stale index entry
    /// is dropped by the cron, a stale alias deletes nothing
    /// (`service::deletion` goes by the records), so losing that delete
    /// cannot lose data.
    pub(crate) async fn store_connected(
        &self,
        product: Product,
        c: ConnectedAccount,
        facebook_user_id: Option<&str>,
    ) -> Result<(AccountRecord, Vec<Background>), ApiError> {
        let now = self.transport.now();
        check_storable(c.token.kind)?;
        let (page_id, page_name) = match c.page {
            Some(page) => (Some(page.page_id), page.page_name),
            None => (None, None),
        };
        let meta_user = connecting_user(product, &c.ig_user_id, facebook_user_id);
        // The record as this login makes it; what it keeps of a record it
        // replaces is taken after the read below.
        let mut record = AccountRecord {
            id: c.ig_user_id.clone(),
            product,
            username: c.username,
            name: c.name,
            // Facebook Login does not tell Business from Creator: `None`.
            account_type: c.account_type,
            token: TokenRecord {
                scopes: c.granted_scopes,
                ig_user_id: Some(c.ig_user_id),
                ..c.token
            },
            page_id,
            page_name,
            aliases: c.aliases,
            facebook_user_id: facebook_user_id.map(str::to_owned),
            connected_at: now,
            logged_in_at: Some(now),
            updated_at: now,
            needs_reauth: false,
            reauth_reason: None,
            last_checked_at: Some(now),
            consecutive_failures: 0,
            history: Vec::new(),
            due_key: None,
            meta_user,
            sessions_valid_after: Some(now),
        };
        let accounts = self.accounts();
        let (existing, aliases) = join(
            // A record that no longer decrypts is replaced by this fresh login.
            async { accounts.load(&record.id).await.unwrap_or(None) },
            accounts.put_aliases(&record.id, &record.aliases),
        )
        .await;
        aliases?;
        if let Some(e) = &existing {
            record.history = e.history.clone();
            record.connected_at = e.connected_at;
            // Old sessions stay valid only across a reconnection by the same
            // Meta user (see `AccountRecord::sessions_valid_after`).
            if e.meta_user == record.meta_user {
                record.sessions_valid_after = e.sessions_valid_after;
            }
        }
        record.push_history(RefreshEvent {
            at: now,
            outcome: "connected".into(),
            error_kind: None,
        });
        // The index entry only when it moves from the replaced record's,
        // after the read: written alongside it whatever it found, the
        // same-day re-login's idempotent put cost more workerd CPU than the
        // round trip it saved (docs/performance.md).
        record.due_key = existing.as_ref().and_then(|e| e.due_key.clone());
        let mut stale: Vec<Background> = accounts
            .write(&mut record)
            .await?
            .map(Background::DropIndexEntry)
            .into_iter()
            .collect();
        if let Some(previous) = &existing {
            stale.extend(
                previous
                    .aliases
                    .iter()
                    .filter(|a| valid_id(a) && !record.aliases.contains(a))
                    .map(|a| Background::DropAliasEntry(alias_key(a, &record.id))),
            );
        }
        Ok((record, stale))
    }
}

/// The Meta user a login was made by: Facebook Login's app-scoped Facebook
/// user; an Instagram Login account is its own user.
fn connecting_user(
    product: Product,
    ig_user_id: &str,
    facebook_user_id: Option<&str>,
) -> Option<String> {
    match product {
        Product::Facebook => facebook_user_id.map(str::to_owned),
        Product::Instagram => Some(ig_user_id.to_owned()),
    }
}

/// What a login stored: the account records (shown only as their status,
/// never the token) and the linked accounts it left out.
pub(crate) struct StoredLogin {
    pub records: Vec<AccountRecord>,
    pub skipped: Vec<SkippedAccount>,
    /// Deletes of the keys the records no longer point at (replaced index
    /// entries, aliases they no longer have): run after the answer.
    pub stale_keys: Vec<Background>,
}

impl StoredLogin {
    /// The work left for after the answer: the stale keys' deletes, then
    /// each connected account's object woken to set its alarm for the
    /// token's first refresh, whose time goes along.
    pub fn after_answer<'a>(
        &'a self,
        config: &'a crate::service::config::ServiceConfig,
    ) -> impl Iterator<Item = Background> + 'a {
        let wakes = self.records.iter().map(|r| Background::Wake {
            account: r.id.clone(),
            due_at: r.due_at(config),
            connected_at: Some(r.last_login()),
        });
        self.stale_keys.iter().cloned().chain(wakes)
    }

    /// The stored account IDs, in Meta's order.
    pub fn ids(&self) -> Vec<String> {
        self.records.iter().map(|r| r.id.clone()).collect()
    }
}

/// A completed login gives a long-lived Instagram User token or a Page
/// token (short-lived tokens are exchanged before a login completes, so
/// storing one would be a bug).
fn check_storable(kind: TokenKind) -> Result<(), ApiError> {
    match kind {
        TokenKind::InstagramLongLived
        | TokenKind::FacebookPage
        | TokenKind::FacebookUserLongLived => Ok(()),
        TokenKind::InstagramShortLived | TokenKind::FacebookUserShortLived => {
            Err(ApiError::from(Error::new(
                ErrorKind::UnexpectedResponse,
                "the login ended with a short-lived token; log in again",
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_appended_before_the_fragment() {
        assert_eq!(
            append_query("https://a/x", "error", "oauth_denied"),
            "https://a/x?error=oauth_denied"
        );
        assert_eq!(
            append_query("https://a/x?t=1#top", "connected", "1"),
            "https://a/x?t=1&connected=1#top"
        );
        assert!(valid_state(&"a".repeat(43)));
        assert!(!valid_state("short"));
        assert!(!valid_state(&format!("{}.", "a".repeat(20))));
    }
}
