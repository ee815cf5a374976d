//! Big text for the room: one line drawn with the 8x8 bitmap font (`font8x8`), either a
//! terminal cell per pixel (8 columns by 8 rows a character) or a quadrant block per pixel
//! (4 by 4). A few dozen lines of our own instead of a crate that brought a builder-derive
//! macro and second versions of `darling` and `itertools` into the build.

use font8x8::UnicodeFonts;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

/// How many font pixels one terminal cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pixels {
    /// One pixel a cell: a character is 8 columns by 8 rows.
    Full,
    /// Two by two pixels a cell (quadrant blocks): a character is 4 columns by 4 rows.
    Quadrant,
}

impl Pixels {
    /// Columns (and rows) one character takes.
    pub const fn cells(self) -> u16 {
        match self {
            Self::Full => 8,
            Self::Quadrant => 4,
        }
    }
}

/// One line of big text, centred across the area it is drawn in and drawn from its top.
/// Characters the font lacks are left blank; what does not fit is cut at the area's edge.
pub struct BigText<'a> {
    pub text: &'a str,
    pub pixels: Pixels,
    pub style: Style,
}

/// Quadrant blocks by which of the four pixels are set: bit 0 top left, 1 top right,
/// 2 bottom left, 3 bottom right.
const QUADRANTS: [char; 16] = [
    ' ', '▘', '▝', '▀', '▖', '▌', '▞', '▛', '▗', '▚', '▐', '▜', '▄', '▙', '▟', '█',
];

/// Whether the glyph's pixel at (`x`, `y`) is set (bit 0 of a row is its leftmost pixel).
fn lit(glyph: [u8; 8], x: usize, y: usize) -> bool {
    glyph.get(y).is_some_and(|row| x < 8 && row & (1 << x) != 0)
}

/// The character one cell shows of `glyph`, the cell's top-left pixel at (`x`, `y`).
fn symbol(glyph: [u8; 8], pixels: Pixels, x: usize, y: usize) -> char {
    match pixels {
        Pixels::Full => {
            if lit(glyph, x, y) {
                '█'
            } else {
                ' '
            }
        }
        Pixels::Quadrant => {
            let index = usize::from(lit(glyph, x, y))
                | usize::from(lit(glyph, x + 1, y)) << 1
                | usize::from(lit(glyph, x, y + 1)) << 2
                | usize::from(lit(glyph, x + 1, y + 1)) << 3;
            QUADRANTS[index]
        }
    }
}

impl Widget for BigText<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        let step = self.pixels.cells();
        let per_cell = usize::from(8 / step);
        let wide = u16::try_from(self.text.chars().count())
            .unwrap_or(u16::MAX)
            .saturating_mul(step);
        let left = area.x + area.width.saturating_sub(wide) / 2;
        let rows = area.height.min(step);
        for (i, c) in self.text.chars().enumerate() {
            let Some(x0) = u16::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(step))
                .and_then(|dx| left.checked_add(dx))
                .filter(|x| *x < area.right())
            else {
                break;
            };
            let glyph = font8x8::BASIC_FONTS.get(c).unwrap_or([0; 8]);
            for dy in 0..rows {
                for dx in 0..step.min(area.right() - x0) {
                    let x = usize::from(dx) * per_cell;
                    let y = usize::from(dy) * per_cell;
                    if let Some(cell) = buf.cell_mut((x0 + dx, area.y + dy)) {
                        cell.set_char(symbol(glyph, self.pixels, x, y))
                            .set_style(self.style);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw(text: &str, pixels: Pixels, width: u16, height: u16) -> Vec<String> {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        BigText {
            text,
            pixels,
            style: Style::default(),
        }
        .render(area, &mut buf);
        (0..height)
            .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect())
            .collect()
    }

    #[test]
    fn a_one_in_full_pixels_is_the_fonts_bitmap_centred() {
        let rows = draw("1", Pixels::Full, 10, 8);
        // font8x8's '1': 0x0C, 0x0E, 0x0C, 0x0C, 0x0C, 0x0C, 0x3F, 0x00, bit 0 leftmost,
        // one column of margin on each side.
        assert_eq!(rows[0], "   ██     ");
        assert_eq!(rows[1], "  ███     ");
        assert_eq!(rows[6], " ██████   ");
        assert_eq!(rows[7], "          ");
    }

    #[test]
    fn quadrant_pixels_take_half_the_cells_each_way() {
        let rows = draw("1", Pixels::Quadrant, 4, 4);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.chars().count() == 4));
        // The top two font rows (0x0C, 0x0E: pixels 2-3, then 1-3) make one row of quadrants.
        assert_eq!(rows[0], "▗█  ");
        // Font rows 6 and 7 (0x3F, 0x00): the foot, top halves only.
        assert_eq!(rows[3], "▀▀▀ ");
    }

    #[test]
    fn text_wider_than_the_area_is_cut_not_wrapped_and_nothing_panics() {
        for (w, h) in [(0, 0), (1, 1), (5, 3), (20, 8), (7, 20)] {
            let rows = draw("12:34:56", Pixels::Full, w, h);
            assert_eq!(rows.len(), usize::from(h));
            let rows = draw("12:34:56", Pixels::Quadrant, w, h);
            assert_eq!(rows.len(), usize::from(h));
        }
        // Characters outside the font draw blank.
        assert!(
            draw("\u{2603}", Pixels::Full, 8, 8)
                .iter()
                .all(|r| r.trim().is_empty())
        );
    }
}
