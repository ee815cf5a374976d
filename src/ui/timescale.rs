//! The timeline's time scale: where each moment of the window falls across the columns
//! (linear, or compressed around what happened), and the axis labels.

use crate::engine::view::SimTime;

/// Where each moment of the window falls across `width` columns.
///
/// Zoomed around now it is linear. Over the whole scenario or everything so far it is
/// compressed: each gap between two moments something happened gets room growing with the
/// logarithm of its length, so a 16-second re-wrap and a 7-day wait are both visible on one
/// screen (busy stretches expanded, quiet ones shortened; the axis marks shortened gaps `≈`).
#[derive(Clone, Debug)]
pub struct Scale {
    /// (time in ms, column position) pairs, both increasing.
    knots: Vec<(u64, f64)>,
    width: usize,
}

/// Gaps shorter than this count about linearly; longer ones logarithmically.
const GRAIN_MS: f64 = 1_000.0;

impl Scale {
    pub fn linear(from: SimTime, to: SimTime, width: usize) -> Self {
        Self {
            knots: vec![(from.0, 0.0), (to.0.max(from.0 + 1), width as f64)],
            width,
        }
    }

    /// Compressed around `moments` (any order, any count: thinned to a few per column).
    pub fn compressed(
        from: SimTime,
        to: SimTime,
        width: usize,
        moments: impl Iterator<Item = SimTime>,
    ) -> Self {
        let mut times: Vec<u64> = moments
            .map(|t| t.0)
            .filter(|t| *t > from.0 && *t < to.0)
            .collect();
        times.sort_unstable();
        times.dedup();
        let limit = width.max(1) * 2;
        if times.len() > limit {
            let step = times.len() as f64 / limit as f64;
            times = (0..limit)
                .map(|i| times[(i as f64 * step) as usize])
                .collect();
            times.dedup();
        }
        let mut points = Vec::with_capacity(times.len() + 2);
        points.push(from.0);
        points.extend(times);
        points.push(to.0.max(from.0 + 1));
        let weights: Vec<f64> = points
            .windows(2)
            .map(|w| (1.0 + (w[1] - w[0]) as f64 / GRAIN_MS).ln())
            .collect();
        let total: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let mut col = 0.0;
        let mut knots = vec![(points[0], 0.0)];
        for (k, w) in weights.iter().enumerate() {
            col += w / total * width as f64;
            knots.push((points[k + 1], col));
        }
        Self { knots, width }
    }

    /// The column of time `t`, if in the window; its end belongs to the last column.
    pub fn col_of(&self, t: SimTime) -> Option<usize> {
        let (first, last) = (self.knots[0].0, self.knots[self.knots.len() - 1].0);
        if t.0 < first || t.0 > last || self.width == 0 {
            return None;
        }
        let i = self
            .knots
            .partition_point(|k| k.0 <= t.0)
            .clamp(1, self.knots.len() - 1);
        let (a, b) = (self.knots[i - 1], self.knots[i]);
        let frac = if b.0 > a.0 {
            (t.0 - a.0) as f64 / (b.0 - a.0) as f64
        } else {
            0.0
        };
        let col = a.1 + frac * (b.1 - a.1);
        Some((col as usize).min(self.width - 1))
    }

    /// The moment a column stands for (its middle).
    pub fn time_at(&self, col: usize) -> SimTime {
        let x = col as f64 + 0.5;
        let i = self
            .knots
            .partition_point(|k| k.1 <= x)
            .clamp(1, self.knots.len() - 1);
        let (a, b) = (self.knots[i - 1], self.knots[i]);
        let frac = if b.1 > a.1 {
            (x - a.1) / (b.1 - a.1)
        } else {
            0.0
        };
        SimTime(a.0 + (frac.clamp(0.0, 1.0) * (b.0 - a.0) as f64) as u64)
    }

    /// Columns where a gap was shortened to less than a quarter of its linear share.
    pub(super) fn shortened(&self) -> Vec<usize> {
        let (first, last) = (self.knots[0].0, self.knots[self.knots.len() - 1].0);
        let span = (last - first).max(1) as f64;
        self.knots
            .windows(2)
            .filter(|w| {
                let linear = (w[1].0 - w[0].0) as f64 / span * self.width as f64;
                let shown = w[1].1 - w[0].1;
                linear >= 4.0 && shown * 4.0 < linear
            })
            .map(|w| (f64::midpoint(w[0].1, w[1].1) as usize).min(self.width.saturating_sub(1)))
            .collect()
    }
}

/// `3d 04:05` (or `00:04:05` when the window is within the first day): short enough for an
/// axis label, the same form along one axis.
pub(super) fn tick_label(t: SimTime, days: bool) -> String {
    let s = t.0 / 1_000;
    if days {
        format!("{}d {:02}:{:02}", t.days(), (s / 3_600) % 24, (s / 60) % 60)
    } else {
        format!("{:02}:{:02}:{:02}", s / 3_600, (s / 60) % 60, s % 60)
    }
}
