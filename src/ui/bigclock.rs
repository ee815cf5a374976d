//! The most important running clock in big digits: the first of the engine's countdowns that
//! changes an outcome (a cached table key whose next fetch will fail, the archive deadline, a
//! key's deletion date, imported material expiring, a replica's removal); else the healthy
//! 5-minute cache timer; and only when nothing counts at all, the simulated time.

use super::bigtext::{BigText, Pixels};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Block;

use super::theme::{Theme, Tone};
use crate::app::App;
use crate::engine::view::Countdown;

/// Rows the panel takes: a border, a label line inside the title, four rows of digits.
pub const HEIGHT: u16 = 6;

/// Rows the panel takes on a tall presenting screen (200x60): digits twice as tall.
pub const TALL_HEIGHT: u16 = 10;

/// What the big clock shows: a sentence saying what happens when it runs out, and the time.
/// The clock is the read model's `urgent_clock` of the focused table, the same one the
/// speaker notes show.
pub fn reading(app: &App) -> (String, String, Tone) {
    reading_within(app, usize::MAX)
}

/// `reading`, its label in fewer words when the full one is wider than `room`.
fn reading_within(app: &App, room: usize) -> (String, String, Tone) {
    let clock = app.runner().engine().urgent_clock(app.table_focus());
    let tone = match &clock.countdown {
        Some(Countdown::KeyDeletion { .. } | Countdown::MaterialExpiry { .. }) => Tone::Warn,
        // The healthy 5-minute timer: it counts, nothing fails when it runs out.
        Some(Countdown::CacheRefresh { .. }) => Tone::Ok,
        Some(_) => Tone::Bad,
        // Only the simulated time: never big digits a room would read as a deadline.
        None => Tone::Dim,
    };
    let label = clock.label();
    let label = if label.chars().count() > room {
        clock.short_label()
    } else {
        label
    };
    (label, clock.time(), tone)
}

/// `7d 00:12:00` → `7d 00:12`; `19h 59m 30s` → `19h 59m`; anything else as it is.
fn drop_seconds(time: &str) -> String {
    if let Some((head, secs)) = time.rsplit_once(':')
        && secs.len() == 2
        && head.contains(':')
    {
        return head.to_string();
    }
    match time.rsplit_once(' ') {
        Some((head, last)) if last.ends_with('s') && head.contains(' ') => head.to_string(),
        _ => time.to_string(),
    }
}

pub fn render(f: &mut Frame, area: Rect, app: &App, theme: Theme) {
    // A rule's end stays on each side of the title.
    let room = area.width.saturating_sub(6) as usize;
    let (label, time, tone) = reading_within(app, room);
    let block = Block::bordered()
        .title(Line::styled(
            format!(" {} ", super::fit_words(&label, room)),
            theme.style(tone),
        ))
        .border_style(theme.border(false));
    let inner = block.inner(area);
    f.render_widget(block, area);
    // Quadrant pixels: each character is 4 columns by 4 rows. A narrow window (a projector's
    // big font) drops what goes without saying (`0d `, then the seconds) before it falls
    // back to plain text.
    // Full-size pixels (8 columns by 8 rows a character) when the panel is tall enough and
    // the time fits across; else quadrant pixels (4 by 4).
    let tall = inner.height >= 8;
    let fits_full = |t: &str| t.chars().count() as u16 * 8 <= inner.width;
    let fits = |t: &str| t.chars().count() as u16 * 4 <= inner.width;
    let shorter = [
        time.clone(),
        time.strip_prefix("0d ").unwrap_or(&time).to_string(),
        drop_seconds(&time),
        // `10d 05h 00m` → `10d 05h`.
        time.rsplit_once(' ')
            .filter(|(head, _)| head.contains(' '))
            .map_or_else(|| time.clone(), |(head, _)| head.to_string()),
    ];
    // Bigger digits only for the whole time (never a shortened one where small digits
    // would show it all).
    let full_time = shorter[..2]
        .iter()
        .find(|t| fits_full(t))
        .filter(|_| tall)
        .cloned();
    let big_time = shorter.iter().find(|t| fits(t)).cloned();
    let (pixels, big_time) = match full_time {
        Some(t) => (Pixels::Full, Some(t)),
        None => (Pixels::Quadrant, big_time),
    };
    if let Some(time) = big_time.filter(|_| inner.height >= 4 && tone != Tone::Dim) {
        // Centred in the panel's height too.
        let rows = pixels.cells();
        let inner = Rect::new(
            inner.x,
            inner.y + inner.height.saturating_sub(rows) / 2,
            inner.width,
            inner.height.min(rows),
        );
        let big = BigText {
            text: &time,
            pixels,
            style: theme.style(tone),
        };
        f.render_widget(big, inner);
    } else {
        // Small, centred in the panel's height.
        let pad = inner.height.saturating_sub(1) / 2;
        let row = Rect::new(inner.x, inner.y + pad, inner.width, inner.height.min(1));
        f.render_widget(
            ratatui::widgets::Paragraph::new(Line::styled(time, theme.style(tone))).centered(),
            row,
        );
    }
}
