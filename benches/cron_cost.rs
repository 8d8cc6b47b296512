//! What one cron run costs: KV operations and subrequests for N seeded
//! accounts of which D are due, natively over the in-memory store and the
//! fake Meta (the same code the Worker runs). The point: the cost follows
//! D, not N, because the run lists the `due:` index only up to today.
//!
//! `cargo bench --bench cron_cost` prints the full table (N = 1,000 and
//! 10,000; D = 0, 10, 100). Under `cargo test` (no `--bench` argument) it
//! runs a small case and checks the property, so the benchmark cannot rot.

#[path = "../tests/service_common/mod.rs"]
mod service_common;

use std::time::Instant;

use instagate::core::testing::block_on;
use service_common::*;

struct Row {
    n: u64,
    d: u64,
    listed: u32,
    gets: u64,
    puts: u64,
    deletes: u64,
    lists: u64,
    subrequests: u32,
    refreshed: u32,
    left_over: u32,
    ms: f64,
}

fn run(n: u64, d: u64, budget: &str) -> Row {
    let w = World::with_config(config(&[
        ("CRON_MAX_SUBREQUESTS", budget),
        ("CRON_MAX_KV_OPS", "1000"),
    ]));
    for i in 0..n {
        let id = format!("{}", 17_841_400_100_000_000u64 + i);
        // D accounts due today; the rest spread over the next 29 days.
        let issued = if i < d {
            START.minus(DAY * 31)
        } else {
            START.minus(DAY * (i % 29) as u32)
        };
        seed_instagram_account(&w, &id, issued);
    }
    let before = w.store.ops();
    let started = Instant::now();
    let stats = block_on(w.service().run_cron());
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let ops = w.store.ops().since(&before);
    Row {
        n,
        d,
        listed: stats.refresh.listed,
        gets: ops.gets,
        puts: ops.puts,
        deletes: ops.deletes,
        lists: ops.lists,
        subrequests: stats.subrequests,
        refreshed: stats.refresh.refreshed,
        // Due entries still in the index (uncounted peek at the store).
        left_over: w
            .store
            .keys("due:")
            .iter()
            .filter(|k| k.as_str() <= format!("due:{}:~", START.yyyymmdd()).as_str())
            .count() as u32,
        ms,
    }
}

fn print(rows: &[Row], budget: &str) {
    println!("cron run cost (budget: {budget} subrequests, 1000 KV ops, concurrency 6)");
    println!(
        "| accounts N | due D | index keys examined | KV get | KV put | KV delete | KV list | KV total | subrequests | refreshed | left for next run | run time (ms, native) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            r.n,
            r.d,
            r.listed,
            r.gets,
            r.puts,
            r.deletes,
            r.lists,
            r.gets + r.puts + r.deletes + r.lists,
            r.subrequests,
            r.refreshed,
            r.left_over,
            r.ms
        );
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    if !full {
        // Smoke mode: the property the benchmark shows, on a small case.
        let a = run(200, 10, "1000");
        let b = run(1000, 10, "1000");
        assert_eq!(a.refreshed, 10);
        assert_eq!(
            (a.gets + a.puts + a.deletes + a.lists, a.subrequests),
            (b.gets + b.puts + b.deletes + b.lists, b.subrequests),
            "cost must follow due accounts, not all accounts"
        );
        println!("cron_cost smoke: ok (run `cargo bench --bench cron_cost` for the table)");
        return;
    }
    for budget in ["1000", "40"] {
        let mut rows = Vec::new();
        for n in [1_000u64, 10_000] {
            for d in [0u64, 10, 100] {
                rows.push(run(n, d, budget));
            }
        }
        print(&rows, budget);
        println!();
    }
}
