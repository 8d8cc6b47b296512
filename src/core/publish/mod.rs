//! Instagram content publishing: images, reels, carousels and stories, on
//! both login products (graph.instagram.com with the Instagram User token,
//! graph.facebook.com with the Page token), never posted twice.
//!
//! - `spec`, `input`, `validate`: what to publish, read from JSON and
//!   checked before any call;
//! - `calls`, `quota`, `upload`: request builders and response processors
//!   (`process_*`; `upload`: the resumable video upload to the rupload host);
//! - `video_file`: a video file's header checks (MP4 duration, size limits);
//! - `image_file`: an image file's header checks (JPEG dimensions, size, feed aspect ratio);
//! - `job`: the resumable state machine (one call per step, serializable);
//! - `poll`: when to read a container's status; `recover`: finding a post
//!   whose publish answer was lost;
//! - `driver`: running a job to the end with progress and cancellation;
//! - `fake` (feature `testing`): an in-memory Instagram for tests and benchmarks.
//!
//! Guide: <https://developers.facebook.com/documentation/instagram-platform/content-publishing>.

pub mod calls;
pub mod driver;
#[cfg(any(test, feature = "testing"))]
pub mod fake;
pub mod image_file;
pub mod input;
pub mod job;
pub mod poll;
pub mod quota;
pub mod recover;
mod saved;
pub mod spec;
pub mod upload;
pub mod validate;
pub mod video_file;

pub use driver::{publish, run, run_with_files, PublishObserver, Unobserved};
pub use job::{Phase, Progress, PublishJob, PublishOptions, Published, StepOutcome};
pub use poll::PollPolicy;
pub use quota::{publishing_quota, PublishingQuota};
pub use spec::{
    CarouselImage, CarouselItem, CarouselSpec, CarouselVideo, ImageSpec, MediaClass, MediaSpec,
    ReelSpec, StorySpec, UserTag, VideoFile,
};
