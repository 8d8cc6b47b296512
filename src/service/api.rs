//! The account routes of the HTTP API: list, show, forget, refresh now.
//! Every answer shows the account's status, never its token.

use serde_json::json;

use crate::core::http::Transport;
use crate::service::accounts::{valid_id, Accounts};
use crate::service::auth::{authenticate, Caller};
use crate::service::cookies::{set_cookie, CookieSigner, Session, SESSION_COOKIE, SESSION_PURPOSE};
use crate::service::error::ApiError;
use crate::service::http::{HttpRequest, HttpResponse};
use crate::service::line::AccountWork;
use crate::service::store::{KvStore, MAX_LIST_LIMIT};
use crate::service::Service;

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    pub(crate) fn accounts(&self) -> Accounts<'_, S, T> {
        Accounts {
            store: self.store,
            transport: self.transport,
            config: self.config,
        }
    }

    /// `GET /api/accounts`: a session's accounts, or (API key) every
    /// account, a page at a time (`?cursor=&limit=`).
    pub(crate) async fn list_accounts(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let now = self.transport.now();
        let caller = authenticate(self.config, req, now)?;
        match caller {
            Caller::Session(session) => {
                let mut accounts = Vec::new();
                for id in session.account_ids() {
                    if let Some(record) = self.accounts().load(id).await? {
                        if record.admits(&session) {
                            accounts.push(record.status(self.config, now));
                        }
                    }
                }
                Ok(HttpResponse::json(
                    200,
                    &json!({ "accounts": accounts, "cursor": null }),
                ))
            }
            Caller::ApiKey => {
                let limit = match req.query_param("limit")? {
                    None => 100,
                    Some(l) => l
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                        .ok_or_else(|| {
                            ApiError::invalid_input("limit", "limit must be 1 to 1000")
                        })?,
                };
                let cursor = req.query_param("cursor")?;
                let (records, next) = self.accounts().list(cursor.as_deref(), limit).await?;
                let accounts: Vec<_> = records.iter().map(|r| r.status(self.config, now)).collect();
                Ok(HttpResponse::json(
                    200,
                    &json!({ "accounts": accounts, "cursor": next }),
                ))
            }
        }
    }

    /// Authenticates and checks the caller may use account `id` (without
    /// reading it: work on it goes to its object, which reads it).
    pub(crate) fn authorized_id(&self, req: &HttpRequest, id: &str) -> Result<Caller, ApiError> {
        let caller = authenticate(self.config, req, self.transport.now())?;
        if !valid_id(id) {
            return Err(ApiError::not_found(format!("no account {id:?}")));
        }
        caller.require_account(id)?;
        Ok(caller)
    }

    /// [`Self::authorized_id`] for work handed to the account's object: a
    /// browser session must also still be admitted to the account (its
    /// "sessions valid after" time, issue 16). A record not found here is
    /// left for the object to answer (a read right after a login elsewhere
    /// may not see it yet); a found one that refuses the session is a 401.
    pub(crate) async fn admitted_id(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<Caller, ApiError> {
        let caller = self.authorized_id(req, id)?;
        if let Caller::Session(_) = &caller {
            if let Some(record) = self.accounts().load(id).await? {
                caller.require_current(&record)?;
            }
        }
        Ok(caller)
    }

    /// Authenticates, checks the caller may use `id`, and loads the record.
    pub(crate) async fn authorized_account(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<(Caller, crate::service::accounts::AccountRecord), ApiError> {
        let caller = self.authorized_id(req, id)?;
        let record = self
            .accounts()
            .load(id)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("no account {id}")))?;
        caller.require_current(&record)?;
        Ok((caller, record))
    }

    /// `GET /api/accounts/{id}`.
    pub(crate) async fn get_account(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        let (_, record) = self.authorized_account(req, id).await?;
        Ok(HttpResponse::json(
            200,
            &json!({ "account": record.status(self.config, self.transport.now()) }),
        ))
    }

    /// `DELETE /api/accounts/{id}`: forgets the account and its jobs; a
    /// session also loses the account.
    pub(crate) async fn delete_account(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        // (The API key may also remove a record that no longer decrypts.)
        let caller = self.admitted_id(req, id).await?;
        let reply = self
            .hand_off(id, AccountWork::Delete { keep_alias: None })
            .await?;
        if reply.outcome != "deleted" {
            return Ok(reply.into_response(id));
        }
        let response = HttpResponse::json(200, &json!({ "deleted": id }));
        Ok(self.dropping_from_session(caller, id, response))
    }

    /// `DELETE /api/accounts/{id}/sessions`: log out everywhere. Every
    /// browser session let in to the account until now is refused from now
    /// on (this one included); logging in again lets a browser back in.
    pub(crate) async fn revoke_sessions(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        let (caller, mut record) = self.authorized_account(req, id).await?;
        // Strictly after every cookie issued until now (they hold ms).
        let after = self
            .transport
            .now()
            .plus(std::time::Duration::from_millis(1));
        record.sessions_valid_after = Some(after);
        self.accounts().save(&mut record).await?;
        let response =
            HttpResponse::json(200, &json!({ "sessions_valid_after": after.to_rfc3339() }));
        Ok(self.dropping_from_session(caller, id, response))
    }

    /// `response`, which also takes account `id` out of a session caller's cookie.
    fn dropping_from_session(
        &self,
        caller: Caller,
        id: &str,
        response: HttpResponse,
    ) -> HttpResponse {
        match caller {
            Caller::Session(session) => response.with_header(
                "set-cookie",
                &self.session_cookie(session.without_account(id)),
            ),
            Caller::ApiKey => response,
        }
    }

    /// `POST /api/accounts/{id}/refresh`: refresh (or check) the token now,
    /// in the account's object (so concurrent calls make one refresh).
    pub(crate) async fn refresh_now(
        &self,
        req: &HttpRequest,
        id: &str,
    ) -> Result<HttpResponse, ApiError> {
        self.admitted_id(req, id).await?;
        let work = AccountWork::Refresh {
            forced: true,
            due_key: None,
        };
        Ok(self.hand_off(id, work).await?.into_response(id))
    }

    /// The `Set-Cookie` value for `session` (expired when it holds nothing).
    pub(crate) fn session_cookie(&self, session: Session) -> String {
        if session.accounts.is_empty() {
            return crate::service::cookies::clear_cookie(SESSION_COOKIE);
        }
        let expires = self.transport.now().plus(self.config.session_ttl);
        let value =
            CookieSigner::new(&self.config.session_key).sign(SESSION_PURPOSE, &session, expires);
        set_cookie(SESSION_COOKIE, &value, self.config.session_ttl.as_secs())
    }

    /// The session the request carries, if valid (for adding an account).
    pub(crate) fn current_session(&self, req: &HttpRequest) -> Session {
        CookieSigner::new(&self.config.session_key)
            .verify(
                SESSION_PURPOSE,
                req.cookie(SESSION_COOKIE).unwrap_or(""),
                self.transport.now(),
            )
            .unwrap_or_default()
    }

    /// `POST /auth/logout`: forget the browser session.
    pub(crate) fn logout(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        crate::service::auth::check_same_or_allowed_origin(self.config, req)?;
        Ok(
            HttpResponse::json(200, &json!({ "logged_out": true })).with_header(
                "set-cookie",
                &crate::service::cookies::clear_cookie(SESSION_COOKIE),
            ),
        )
    }
}
