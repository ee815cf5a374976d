//! Render cost of a whole frame at 10k DEKs / 1M items, mid re-wrap, with the log full: the list
//! view, the diagram view (160x48 and up) and the timeline; present mode at 100x30, 120x36 and
//! 200x60 (the diagram, and the blast-radius stage of three tables).
//!
//! Opening the TUI (parse, build, first frame) at 10k DEKs / 1M items and at the documented
//! maximum, 1M DEKs / 5M items.
//!
//! Run: `cargo bench --bench render`. Targets: at most 1 ms per frame; first frame at most
//! 100 ms at 10k / 1M and 1 s at the maximum.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use rewrap::app::{App, Msg};
use rewrap::scenario;
use rewrap::ui;

const BIG: &str = r#"
title = "10k DEKs, 1M items"
seed = 3
[assumptions]
rewrap_per_dek = "1s"
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[table]
key = "kms-1"
deks = 10000
items = 1000000
[[principal]]
name = "app"
connections = 25
[[step]]
at = "0s"
do = "read"
principal = "app"
connection = "all"
every = "1m"
until = "2h"
note = "traffic on 25 connections"
[[step]]
at = "1m"
do = "change-table-key"
key = "kms-2"
note = "switch: 10,000 DEKs to re-wrap"
[[step]]
at = "1h"
do = "wait"
note = "mid re-wrap"
"#;

/// Several tables under one key, with 25 connections each: present mode's blast-radius stage.
const BLAST: &str = r#"
title = "three tables, one shared key"
seed = 4
[[key]]
id = "kms-shared"
[[table]]
name = "Orders"
key = "kms-shared"
deks = 3000
items = 300000
[[table]]
name = "Audit"
key = "kms-shared"
deks = 3000
items = 300000
[[table]]
name = "Sessions"
key = "kms-shared"
deks = 3000
items = 300000
[[principal]]
name = "app"
connections = 25
[[step]]
at = "0s"
do = "read"
principal = "app"
connection = "all"
note = "traffic"
[[step]]
at = "1m"
do = "disable-key"
key = "kms-shared"
note = "the shared key is disabled"
"#;

fn big_app() -> App {
    let s = Arc::new(scenario::parse("big.toml", BIG).unwrap());
    let mut app = App::new(s).unwrap();
    for _ in 0..3 {
        app.update(Msg::NextStep);
        app.settle();
    }
    app
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let app = big_app();
    assert!(
        app.runner().engine().first_table().job().is_some(),
        "mid re-wrap"
    );
    let mut group = c.benchmark_group("render_frame_10k_deks_1m_items");
    // 80x24 draws the list; 160x48 and 200x60 the diagram (and the list with `g`).
    for (w, h) in [(80u16, 24u16), (160, 48), (200, 60)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        group.bench_function(format!("{w}x{h}"), |b| {
            b.iter(|| {
                term.draw(|f| ui::render(f, black_box(&app))).unwrap();
            });
        });
        if w >= 160 {
            let mut list = app.clone();
            list.update(Msg::ToggleView);
            group.bench_function(format!("{w}x{h}_list"), |b| {
                b.iter(|| {
                    term.draw(|f| ui::render(f, black_box(&list))).unwrap();
                });
            });
        }
        let mut timeline = app.clone();
        timeline.update(Msg::ToggleTimeline);
        group.bench_function(format!("{w}x{h}_timeline"), |b| {
            b.iter(|| {
                term.draw(|f| ui::render(f, black_box(&timeline))).unwrap();
            });
        });
    }
    group.finish();
    // Present mode, at the sizes a room sees (and 200x60): the diagram mid re-wrap, and the
    // blast-radius stage of a world with three tables.
    let mut present = c.benchmark_group("render_present");
    let mut room = app.clone();
    room.set_present(true);
    let s = Arc::new(scenario::parse("blast.toml", BLAST).unwrap());
    let mut blast = App::new(s).unwrap();
    blast.set_present(true);
    for _ in 0..2 {
        blast.update(Msg::NextStep);
        blast.settle();
    }
    for (w, h) in [(100u16, 30u16), (120, 36), (200, 60)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        present.bench_function(format!("{w}x{h}_diagram_10k_deks"), |b| {
            b.iter(|| {
                term.draw(|f| ui::render(f, black_box(&room))).unwrap();
            });
        });
        present.bench_function(format!("{w}x{h}_blast_3_tables_25_conns"), |b| {
            b.iter(|| {
                term.draw(|f| ui::render(f, black_box(&blast))).unwrap();
            });
        });
    }
    present.finish();
    // One frame of playing: advance the clock by a frame at 1 min/s and draw.
    let mut playing = app.clone();
    playing.update(Msg::TogglePause);
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("tick_and_render_160x48_playing", |b| {
        b.iter(|| {
            playing.update(Msg::Tick);
            if playing.paused() {
                playing.update(Msg::TogglePause);
            }
            term.draw(|f| ui::render(f, &playing)).unwrap();
        });
    });
    // Opening the TUI: parse, build the 1M-item world and the app, draw the first frame.
    let mut startup = c.benchmark_group("startup_1m_items");
    startup.sample_size(10);
    // Timed up to the first frame; the items' background sealing is then waited for outside
    // the timing, so iterations never overlap.
    startup.bench_function("parse_build_first_frame_120x36", |b| {
        b.iter_custom(|iters| first_frames(BIG, iters));
    });
    startup.bench_function("engine_build_only", |b| {
        let s = scenario::parse("big.toml", BIG).unwrap();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let engine = rewrap::engine::Engine::new(&s.world).unwrap();
                total += start.elapsed();
                black_box(engine.first_table().items().all().len());
            }
            total
        });
    });
    startup.finish();
    // The documented maximum: 1M DEKs and 5M items in one table.
    let mut max = c.benchmark_group("startup_max");
    max.sample_size(10);
    max.bench_function("parse_build_first_frame_120x36", |b| {
        b.iter_custom(|iters| first_frames(MAX, iters));
    });
    max.finish();
    c.final_summary();
}

/// Launch to first frame `iters` times (parse, build, app, draw at 120x36): the time up to the
/// frame, without the items' sealing that goes on after it.
fn first_frames(toml: &str, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let s = Arc::new(scenario::parse("big.toml", toml).unwrap());
        let app = App::new(s).unwrap();
        let mut term = Terminal::new(TestBackend::new(120, 36)).unwrap();
        term.draw(|f| ui::render(f, &app)).unwrap();
        total += start.elapsed();
        black_box(app.runner().engine().first_table().items().all().len());
    }
    total
}

const MAX: &str = r#"
title = "1M DEKs, 5M items"
seed = 3
[[key]]
id = "kms-1"
[[key]]
id = "kms-2"
[table]
key = "kms-1"
deks = 1000000
items = 5000000
[[principal]]
name = "app"
[[step]]
at = "0s"
do = "read"
principal = "app"
[[step]]
at = "1m"
do = "change-table-key"
key = "kms-2"
"#;
