//! The routes Meta calls: webhook verification and events, and the
//! deauthorize / data-deletion `signed_request` callbacks (checks in
//! [`crate::service::webhooks`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::core::http::Transport;
use crate::core::secret::ClientSecret;
use crate::service::accounts::valid_id;
use crate::service::crypto::{random_id, secret_eq};
use crate::service::delivery::{events_of, OutboxEvent};
use crate::service::error::ApiError;
use crate::service::http::{Background, HttpRequest, HttpResponse};
use crate::service::line::AccountWork;
use crate::service::log::emit;
use crate::service::router::LogFields;
use crate::service::store::KvStore;
use crate::service::webhooks::{parse_signed_request, summarize_events, verify_hub_signature};
use crate::service::Service;

/// How long a data-deletion confirmation stays answerable.
pub const DELETION_RECORD_TTL: Duration = Duration::from_secs(365 * 86_400);

/// What `GET /auth/data-deletion/status` reports.
#[derive(Serialize, Deserialize)]
struct DeletionRecord {
    status: String,
    requested_at: String,
    completed_at: String,
    accounts_deleted: usize,
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

    /// Reads and verifies the `signed_request` form field.
    fn signed_request(&self, req: &HttpRequest) -> Result<String, ApiError> {
        let signed = req
            .form_field("signed_request")
            .ok_or_else(|| ApiError::unauthorized("signed_request is missing"))?;
        Ok(parse_signed_request(&signed, &self.app_secrets())?.user_id)
    }

    /// Deletes every account Meta's `user_id` refers to.
    async fn delete_for_meta_user(&self, user_id: &str) -> Result<usize, ApiError> {
        let mut deleted = 0;
        for id in self.accounts().resolve(user_id).await? {
            if self.hand_off(&id, AccountWork::Delete).await?.outcome == "deleted" {
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    /// `POST /auth/deauthorize`: the user removed the app; forget them.
    pub(crate) async fn deauthorize(
        &self,
        req: &HttpRequest,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let user_id = self.signed_request(req)?;
        fields.account_id = Some(user_id.clone());
        let deleted = self.delete_for_meta_user(&user_id).await?;
        Ok(HttpResponse::json(
            200,
            &json!({ "deleted_accounts": deleted }),
        ))
    }

    /// `POST /auth/data-deletion`: delete the user's data now and answer
    /// with the status URL and confirmation code Meta shows the user.
    pub(crate) async fn data_deletion(
        &self,
        req: &HttpRequest,
        fields: &mut LogFields,
    ) -> Result<HttpResponse, ApiError> {
        let user_id = self.signed_request(req)?;
        fields.account_id = Some(user_id.clone());
        let requested_at = self.transport.now();
        let deleted = self.delete_for_meta_user(&user_id).await?;
        let code = random_id(self.transport, 12);
        let record = DeletionRecord {
            status: "completed".into(),
            requested_at: requested_at.to_rfc3339(),
            completed_at: self.transport.now().to_rfc3339(),
            accounts_deleted: deleted,
        };
        self.store
            .put(
                &format!("deletion:{code}"),
                &serde_json::to_string(&record).unwrap_or_default(),
                Some(DELETION_RECORD_TTL),
            )
            .await?;
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
            .get(&format!("deletion:{code}"))
            .await?
            .and_then(|v| serde_json::from_str(&v).ok())
            .ok_or_else(|| {
                ApiError::not_found("no data deletion request has this confirmation code")
            })?;
        let wants_html = req
            .header("accept")
            .is_some_and(|a| a.contains("text/html"));
        if wants_html {
            let message = format!(
                "Request {}: {}. Received {}, completed {}. Accounts deleted: {}.",
                code,
                record.status,
                record.requested_at,
                record.completed_at,
                record.accounts_deleted
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
