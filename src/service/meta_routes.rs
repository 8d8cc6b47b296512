//! The routes Meta calls: webhook verification and events, and the
//! deauthorize / data-deletion `signed_request` callbacks (checks in
//! [`crate::service::webhooks`]).

use std::time::Duration;

use serde_json::json;

use crate::core::http::Transport;
use crate::core::secret::ClientSecret;
use crate::service::accounts::valid_id;
use crate::service::crypto::{b64url, random_id, secret_eq, sha256};
use crate::service::deletion::{deletion_key, DeletionRecord};
use crate::service::delivery::{events_of, OutboxEvent};
use crate::service::error::ApiError;
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::log::emit;
use crate::service::router::LogFields;
use crate::service::store::KvStore;
use crate::service::webhooks::{parse_signed_request, summarize_events, verify_hub_signature};
use crate::service::Service;

/// How old a `signed_request` may be (its `issued_at`): Meta calls as the
/// person acts, so an older one is a replay.
pub const SIGNED_REQUEST_MAX_AGE: Duration = Duration::from_secs(3600);
/// How far ahead of this clock `issued_at` may be (clock skew).
pub const SIGNED_REQUEST_MAX_SKEW: Duration = Duration::from_secs(300);

/// A `signed_request` already acted on, for as long as it is fresh enough to
/// be accepted: a replay gets the first answer and deletes nothing again (a
/// reconnection made since stays).
fn handled_key(signed: &str) -> String {
    format!("signedreq:{}", b64url(&sha256(signed.as_bytes())))
}

impl<S: KvStore, T: Transport> Service<'_, S, T> {
    fn app_secrets(&self) -> Vec<&ClientSecret> {
        self.config.products.iter().map(|p| &p.app_secret).collect()
    }

    /// `GET /webhooks/instagram`: Meta's subscription check. Answers the
    /// `hub.challenge` only when `hub.verify_token` matches.
    pub(crate) fn webhook_verify(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let Some(expected) = &self.config.webhook_verify_token else {
            return Err(ApiError::forbidden(
                "webhook verification is off: set the WEBHOOK_VERIFY_TOKEN secret",
            ));
        };
        let mode = req.query_param("hub.mode")?;
        let token = req.query_param("hub.verify_token")?.unwrap_or_default();
        let challenge = req.query_param("hub.challenge")?.unwrap_or_default();
        if mode.as_deref() != Some("subscribe") {
            return Err(ApiError::invalid_input(
                "hub.mode",
                "hub.mode must be subscribe",
            ));
        }
        if !secret_eq(&token, expected.expose_secret()) {
            return Err(ApiError::forbidden("hub.verify_token does not match"));
        }
        if challenge.is_empty() || challenge.len() > 256 {
            return Err(ApiError::invalid_input(
                "hub.challenge",
                "hub.challenge is missing",
            ));
        }
        Ok(HttpResponse::text(200, &challenge))
    }

    /// `POST /webhooks/instagram`: a signed event delivery. The signature is
    /// checked on the raw body before anything reads it.
    pub(crate) fn webhook_event(&self, req: &HttpRequest) -> Result<HttpResponse, ApiError> {
        verify_hub_signature(
            req.header("x-hub-signature-256"),
            &req.body,
            &self.app_secrets(),
        )?;
        let summary = summarize_events(&req.body)?;
        emit(
            self.log,
            self.transport.now().as_millis(),
            &json!({
                "event": "webhook",
                "object": summary.object,
                "entries": summary.entries,
                "fields": summary.fields,
            }),
        );
        let mut response = HttpResponse::json(200, &json!({ "received": summary.entries }));
        if self.config.webhook_forward.is_some() {
            // Meta gets its 200 now; the events go to their accounts'
            // outboxes after the answer (delivery.rs).
            let mut by_account: Vec<(String, Vec<OutboxEvent>)> = Vec::new();
            let events = events_of(&req.body, self.transport.now());
            // Entries name accounts by Meta ID; anything else has no object.
            for event in events.into_iter().filter(|e| valid_id(&e.account_id)) {
                match by_account.iter_mut().find(|(a, _)| *a == event.account_id) {
                    Some((_, events)) => events.push(event),
                    None => by_account.push((event.account_id.clone(), vec![event])),
                }
            }
            response.background = by_account
                .into_iter()
                .map(|(account, events)| Background::Deliver { account, events })
                .collect();
        }
        Ok(response)
    }

    /// Reads and verifies the `signed_request` form field: the signature,
    /// then its age (`issued_at` within [`SIGNED_REQUEST_MAX_AGE`]). Returns
    /// the Meta user and the field as sent.
    fn signed_request(&self, req: &HttpRequest) -> Result<(String, String), ApiError> {
        let signed = req
            .form_field("signed_request")
            .ok_or_else(|| ApiError::unauthorized("signed_request is missing"))?;
        let parsed = parse_signed_request(&signed, &self.app_secrets())?;
        let now_secs = self.transport.now().as_millis() / 1000;
        let fresh = parsed.issued_at.is_some_and(|at| {
            at <= now_secs + SIGNED_REQUEST_MAX_SKEW.as_secs()
                && now_secs.saturating_sub(at) <= SIGNED_REQUEST_MAX_AGE.as_secs()
        });
        if !fresh {
            return Err(ApiError::unauthorized(
                "signed_request rejected: issued_at is missing or more than an hour old (a replay)",
            ));
        }
        Ok((parsed.user_id, signed))
    }

    /// What this `signed_request` was answered with, if it was handled before.
    async fn handled_before(&self, signed: &str) -> Result<Option<String>, ApiError> {
        self.store.get(&handled_key(signed)).await
    }

    async fn remember_handled(&self, signed: &str, answer: &str) -> Result<(), ApiError> {
        let ttl = SIGNED_REQUEST_MAX_AGE + SIGNED_REQUEST_MAX_SKEW;
        self.store
            .put(&handled_key(signed), answer, Some(ttl))
            .await
    }

    /// `POST /auth/deauthorize`: the user removed the app; forget them.
    pub(crate) async fn deauthorize(
        &self,
        req: &HttpRequest,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let (user_id, signed) = self.signed_request(req)?;
        fields.account_id = Some(user_id.clone());
        if self.handled_before(&signed).await?.is_some() {
            return Ok(HttpResponse::json(200, &json!({ "deleted_accounts": 0 })));
        }
        let outcome = self.delete_for_meta_user(&user_id).await?;
        self.remember_handled(&signed, "deauthorized").await?;
        Ok(HttpResponse::json(
            200,
            &json!({ "deleted_accounts": outcome.accounts_deleted }),
        ))
    }

    /// `POST /auth/data-deletion`: delete the user's data now (what one
    /// invocation cannot finish, the cron does) and answer with the status
    /// URL and confirmation code Meta shows the user.
    pub(crate) async fn data_deletion(
        &self,
        req: &HttpRequest,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let (user_id, signed) = self.signed_request(req)?;
        fields.account_id = Some(user_id.clone());
        let code = match self.handled_before(&signed).await? {
            Some(code) => code,
            None => {
                let requested_at = self.transport.now();
                let outcome = self.delete_for_meta_user(&user_id).await?;
                let code = random_id(self.transport, 12);
                self.record_deletion(&code, requested_at, &outcome).await?;
                self.remember_handled(&signed, &code).await?;
                code
            }
        };
        let url = format!("{}/auth/data-deletion/status?code={code}", req.origin);
        Ok(HttpResponse::json(
            200,
            &json!({ "url": url, "confirmation_code": code }),
        ))
    }

    /// `GET /auth/data-deletion/status?code=`: JSON, or a page for browsers.
    pub(crate) async fn data_deletion_status(
        &self,
        req: &HttpRequest,
    ) -> Result<HttpResponse, ApiError> {
        let code = req
            .query_param("code")?
            .filter(|c| {
                !c.is_empty()
                    && c.len() <= 64
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .ok_or_else(|| ApiError::invalid_input("code", "code must be a confirmation code"))?;
        let record: DeletionRecord = self
            .store
            .get(&deletion_key(&code))
            .await?
            .and_then(|v| serde_json::from_str(&v).ok())
            .ok_or_else(|| {
                ApiError::not_found("no data deletion request has this confirmation code")
            })?;
        let wants_html = req
            .header("accept")
            .is_some_and(|a| a.contains("text/html"));
        if wants_html {
            let finished = match &record.completed_at {
                None => "not completed yet: the rest is removed within hours".to_owned(),
                Some(at) => format!("completed {at}"),
            };
            let message = format!(
                "Request {}: {}. Received {}, {}. Accounts deleted: {}.",
                code, record.status, record.requested_at, finished, record.accounts_deleted
            );
            return Ok(HttpResponse::html_page(
                200,
                "Data deletion status",
                &message,
            ));
        }
        Ok(HttpResponse::json(
            200,
            &json!({
                "confirmation_code": code,
                "status": record.status,
                "requested_at": record.requested_at,
                "completed_at": record.completed_at,
                "accounts_deleted": record.accounts_deleted,
            }),
        ))
    }
}
