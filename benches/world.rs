//! The bigger world (version 2): 10 tables x 10k DEKs / 100k items (one with a replica in
//! another region), backups, three key changes re-wrapping 10k DEKs each, a shared key disabled
//! and archived tables restored, over a 30-day scenario with reads every 10 minutes.
//!
//! Run: `cargo bench --bench world`. Targets: the 30-day run in seconds, a frame <= 1 ms.

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;

use criterion::Criterion;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use rewrap::app::{App, Msg};
use rewrap::runner::Runner;
use rewrap::scenario;
use rewrap::ui;

fn world() -> String {
    let mut s = String::from(
        r#"title = "10 tables x 10k DEKs / 100k items, 30 days"
seed = 5
[[key]]
id = "kms-shared"
[[key]]
id = "kms-a"
[[key]]
id = "kms-new"
[[key]]
id = "kms-eu"
region = "eu-west-1"
"#,
    );
    for i in 0..10 {
        let key = if i < 5 { "kms-shared" } else { "kms-a" };
        let _ = write!(
            s,
            "[[table]]\nname = \"Table{i}\"\nkey = \"{key}\"\ndeks = 10000\nitems = 100000\n"
        );
        if i == 0 {
            s.push_str("[[table.replica]]\nregion = \"eu-west-1\"\nkey = \"kms-eu\"\n");
        }
    }
    s.push_str(
        r#"[[principal]]
name = "app"
connections = 4
[[step]]
at = "0s"
do = "read"
principal = "app"
connection = "all"
every = "10m"
until = "30d"
[[step]]
at = "1h"
do = "backup"
backup = "daily"
[[step]]
at = "1d"
do = "change-table-key"
key = "kms-new"
[[step]]
at = "1d"
do = "change-table-key"
key = "kms-new"
table = "Table5"
[[step]]
at = "1d"
do = "write"
principal = "app"
every = "1h"
until = "3d"
[[step]]
at = "2d"
do = "change-table-key"
key = "kms-new"
table = "Table6"
[[step]]
at = "3d"
do = "disable-key"
key = "kms-shared"
[[step]]
at = "11d"
do = "enable-key"
key = "kms-shared"
[[step]]
at = "11d 1h"
do = "restore"
backup = "archival"
to = "Table1Back"
table = "Table1"
[[step]]
at = "12d"
do = "schedule-key-deletion"
key = "kms-a"
days = 7
[[step]]
at = "30d"
do = "wait"
"#,
    );
    s
}

fn main() {
    let text = world();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("world");
    group.sample_size(10);
    group.bench_function("10_tables_10k_deks_30_days", |b| {
        b.iter(|| {
            let s = Arc::new(scenario::parse("world.toml", &text).unwrap());
            let mut r = Runner::new(s).unwrap();
            r.run_to_end();
            assert!(r.engine().tables().len() >= 12);
            black_box(r.engine().log().len())
        });
    });
    group.finish();

    // Frames in the middle of it: three re-wraps of 10k DEKs under way, a replica, a backup.
    let s = Arc::new(scenario::parse("world.toml", &text).unwrap());
    let mut app = App::new(s).unwrap();
    for _ in 0..5 {
        app.update(Msg::NextStep);
        app.settle();
    }
    let mut render = c.benchmark_group("world_render");
    for (w, h) in [(80u16, 24u16), (120, 36), (200, 60)] {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        render.bench_function(format!("{w}x{h}"), |b| {
            b.iter(|| {
                term.draw(|f| ui::render(f, black_box(&app))).unwrap();
            });
        });
    }
    let mut timeline = app.clone();
    timeline.update(Msg::ToggleTimeline);
    let mut term = Terminal::new(TestBackend::new(120, 36)).unwrap();
    render.bench_function("120x36_timeline", |b| {
        b.iter(|| {
            term.draw(|f| ui::render(f, black_box(&timeline))).unwrap();
        });
    });
    render.finish();
    c.final_summary();
}
