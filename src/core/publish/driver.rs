//! Running a publish to the end in one go: [`publish`] creates a
//! [`PublishJob`] and [`run`] steps it, sleeping as the job says, telling an
//! observer about progress and checking for cancellation between steps.
//! A Worker that must survive restarts steps the job itself instead and
//! saves it after every step.

use crate::core::config::Config;
use crate::core::error::{Error, ErrorKind};
use crate::core::http::Transport;
use crate::core::publish::job::{
    Phase, Progress, PublishJob, PublishOptions, Published, StepOutcome,
};
use crate::core::publish::spec::MediaSpec;
use crate::core::secret::AccessToken;

/// Watches a running publish.
pub trait PublishObserver {
    /// Called for each step worth reporting.
    fn on_progress(&mut self, _progress: &Progress) {}

    /// Checked before every step: `true` stops the publish with an
    /// `Aborted` error (a `Publishing` job stays safe to resume).
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
pub struct Unobserved;

impl PublishObserver for Unobserved {}

/// Any closure over progress events is an observer that never cancels.
impl<F: FnMut(&Progress)> PublishObserver for F {
    fn on_progress(&mut self, progress: &Progress) {
        self(progress)
    }
}

/// Publishes `spec` on `ig_user_id` and waits for the result.
pub async fn publish<T: Transport>(
    transport: &T,
    config: &Config,
    token: &AccessToken,
    ig_user_id: &str,
    spec: MediaSpec,
    options: &PublishOptions,
    observer: &mut dyn PublishObserver,
) -> Result<Published, Error> {
    let mut job = PublishJob::new(ig_user_id, spec, options.clone(), transport.now())?;
    run(&mut job, transport, config, token, observer).await
}

/// Steps `job` until it is done, failed, cancelled or stuck (`Err` from a
/// step: the job is left as it was and may be resumed).
pub async fn run<T: Transport>(
    job: &mut PublishJob,
    transport: &T,
    config: &Config,
    token: &AccessToken,
    observer: &mut dyn PublishObserver,
) -> Result<Published, Error> {
    run_with_files(job, transport, config, token, &[], observer).await
}

/// [`run`] for a job that uploads video files (their bytes, in the order
/// of [`MediaSpec::video_files`]).
pub async fn run_with_files<T: Transport>(
    job: &mut PublishJob,
    transport: &T,
    config: &Config,
    token: &AccessToken,
    files: &[&[u8]],
    observer: &mut dyn PublishObserver,
) -> Result<Published, Error> {
    loop {
        if observer.is_cancelled() {
            let mut message = format!(
                "the publish was cancelled before its {} step",
                job.phase.name()
            );
            if matches!(job.phase, Phase::Publishing { .. }) {
                message.push_str(
                    "; a media_publish was sent and its outcome is unknown: step the saved job to learn whether the post exists",
                );
            }
            return Err(Error::new(ErrorKind::Aborted, message));
        }
        match job.step_with_files(transport, config, token, files).await? {
            StepOutcome::Continue { next_at, progress } => {
                for event in &progress {
                    observer.on_progress(event);
                }
                let now = transport.now();
                if next_at > now {
                    transport.sleep(next_at.since(now)).await;
                }
            }
            StepOutcome::Done(published) => return Ok(published),
            StepOutcome::Failed(error) => return Err(error),
        }
    }
}
