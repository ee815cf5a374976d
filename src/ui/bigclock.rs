//! The most important running clock in big digits (large windows): the first of the engine's
//! countdowns that changes an outcome — a cached table key whose next fetch will fail, the
//! archive deadline, a key's deletion date — or, when none runs, the simulated time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Block;
use tui_big_text::{BigText, PixelSize};

use super::theme::{Theme, Tone};
use crate::app::App;
use crate::engine::view::Countdown;

/// Rows the panel takes: a border, a label line inside the title, four rows of digits.
pub const HEIGHT: u16 = 6;

/// What the big clock shows: a sentence saying what happens when it runs out, and the time.
pub fn reading(app: &App) -> (String, String, Tone) {
    let e = app.runner().engine();
    let now = e.now();
    match e.countdowns_in(app.table_focus()).first() {
        Some(Countdown::CacheRunsOut {
            principal,
            connection,
            at,
        }) => (
            format!(
                "{principal}#{connection}'s cached table key runs out, then its reads fail, in"
            ),
            at.since(now).countdown(),
            Tone::Bad,
        ),
        Some(Countdown::Archive { at }) => (
            if e.recoverable_in(app.table_focus()) {
                "archived unless DynamoDB can use its key again, in".to_string()
            } else {
                "archived (its key is gone for good) in".to_string()
            },
            at.since(now).countdown(),
            Tone::Bad,
        ),
        Some(Countdown::KeyDeletion { key, at }) => (
            format!("{key}: material destroyed for good in"),
            at.since(now).countdown(),
            Tone::Warn,
        ),
        Some(Countdown::ReplicaRemoval { region, at }) => (
            format!("the copy in {region} leaves the replication group in"),
            at.since(now).countdown(),
            Tone::Bad,
        ),
        None => (
            "simulated time (nothing is counting down)".to_string(),
            now.to_string(),
            Tone::Strong,
        ),
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let (label, time, tone) = reading(app);
    let room = area.width.saturating_sub(4) as usize;
    let block = Block::bordered()
        .title(Line::styled(
            format!(" {} ", super::fit_words(&label, room)),
            theme.style(tone),
        ))
        .border_style(theme.border(false));
    let inner = block.inner(area);
    f.render_widget(block, area);
    // Quadrant pixels: each character is 4 columns by 4 rows; fall back to plain text.
    let needed = time.chars().count() as u16 * 4;
    if inner.width >= needed && inner.height >= 4 {
        let big = BigText::builder()
            .pixel_size(PixelSize::Quadrant)
            .style(theme.style(tone))
            .lines(vec![Line::from(time)])
            .centered()
            .build();
        f.render_widget(big, inner);
    } else {
        f.render_widget(
            ratatui::widgets::Paragraph::new(Line::styled(time, theme.style(tone))),
            inner,
        );
    }
}
