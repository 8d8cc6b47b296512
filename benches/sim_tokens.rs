//! The token lifecycle simulation at full size (tests/sim): 10,000 accounts
//! for 120 days, hourly cron with the configured budget, faults, an
//! eventually consistent KV, every invariant checked after every step.
//! Prints its figures; exits non-zero (naming the seed) if an invariant
//! breaks.
//!
//! `cargo bench --bench sim_tokens` (seed from `SIM_SEED`, `random` for a
//! fresh one, else the first fixed seed;
//! `SIM_ACCOUNTS` and `SIM_DAYS` change the size, `SIM_SETTINGS` the
//! Worker's settings, e.g. `REFRESH_WINDOW_DAYS=2`; `SIM_OBJECTS=0` runs the
//! old cron-only path, without account objects and their alarms, for
//! comparison).
//! Under `cargo test --all-targets` (no `--bench` argument) it runs a small
//! case only, so the benchmark cannot rot.

#[path = "../tests/service_common/mod.rs"]
mod service_common;
#[path = "../tests/sim/mod.rs"]
mod sim;

use std::time::Instant;

use sim::{run, seed_from_env, SimParams};

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let seed = seed_from_env();
    let params = if full {
        // SIM_ACCOUNTS / SIM_DAYS size it differently (e.g. to find where
        // the default budget stops keeping up).
        let env = |name: &str, default: u32| {
            std::env::var(name).map_or(default, |v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name} must be a whole number, got {v:?}"))
            })
        };
        let long = SimParams::long(seed);
        // SIM_SETTINGS="REFRESH_WINDOW_DAYS=2,CRON_MAX_SUBREQUESTS=20" changes Worker settings.
        let settings = std::env::var("SIM_SETTINGS")
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|pair| {
                let (k, v) = pair
                    .split_once('=')
                    .unwrap_or_else(|| panic!("SIM_SETTINGS entries are NAME=value, got {pair:?}"));
                (k.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let objects = match std::env::var("SIM_OBJECTS").as_deref() {
            Ok("0") => None,
            _ => long.objects,
        };
        SimParams {
            accounts: env("SIM_ACCOUNTS", long.accounts),
            days: env("SIM_DAYS", long.days),
            settings,
            objects,
            // The old path has no objects: no tombstone to race.
            deleted: if objects.is_some() { long.deleted } else { 0 },
            ..long
        }
    } else {
        SimParams {
            accounts: 200,
            days: 10,
            ..SimParams::short(seed)
        }
    };
    let started = Instant::now();
    match run(params) {
        Ok(report) => {
            report.print();
            // The figure the capacity question asks about.
            if let Some(h) = report.min_hours_left_at_refresh {
                let days = h as f64 / 24.0;
                println!(
                    "{} ({} accounts): least margin at refresh {days:.1} days: {}",
                    if report.handoffs + report.alarms_fired > 0 {
                        "account objects + alarms"
                    } else {
                        "cron only"
                    },
                    report.accounts,
                    if days >= 25.0 {
                        "keeps 25 days"
                    } else {
                        "BELOW 25 days"
                    }
                );
            }
            println!(
                "wall time {:.1} s ({} mode)",
                started.elapsed().as_secs_f64(),
                if full { "bench" } else { "smoke" }
            );
            assert_eq!(report.tokens_lost, 0);
        }
        Err(failure) => {
            eprintln!("{failure}");
            std::process::exit(1);
        }
    }
}
