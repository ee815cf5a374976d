//! Scenario errors that name the file, line and column, with the offending text underlined.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it (or `builtin:NAME`).
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    /// Short text under the caret.
    pub label: Option<String>,
    pub help: Option<String>,
    span: Range<usize>,
    source: Arc<str>,
}

impl Diagnostic {
    pub fn new(
        file: &str,
        source: &Arc<str>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        // Spans may come from byte arithmetic (a caret inside a quoted value): keep them on
        // character boundaries so the renderer never slices a UTF-8 character in two.
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let end = ceil_char_boundary(source, span.end.clamp(start, source.len()));
        let (line, col) = line_col(source, start);
        Self {
            file: super::printable(file, false),
            line,
            col,
            message: super::printable(&message.into(), false),
            label: None,
            help: None,
            span: start..end,
            source: source.clone(),
        }
    }

    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(super::printable(&label.into(), false));
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(super::printable(&help.into(), false));
        self
    }

    /// `file:line:col`
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.col)
    }

    /// The rustc-style report: message, location, the source line with a caret, and a hint.
    pub fn render(&self, styled: bool) -> String {
        let title = self.message.as_str();
        let mut annotation = AnnotationKind::Primary.span(self.span.clone());
        if let Some(l) = &self.label {
            annotation = annotation.label(l.as_str());
        }
        // The quoted source line must not carry the file's control characters to the
        // terminal either; each becomes `?` byte for byte, so the spans still fit.
        let shown: String = self
            .source
            .chars()
            .map(|c| {
                if c.is_control() && !matches!(c, '\n' | '\t' | '\r') {
                    "?".repeat(c.len_utf8())
                } else {
                    c.to_string()
                }
            })
            .collect();
        let mut group = Level::ERROR.primary_title(title).element(
            Snippet::source(shown.as_str())
                .path(self.file.as_str())
                .annotation(annotation),
        );
        if let Some(h) = &self.help {
            group = group.element(Level::HELP.message(h.as_str()));
        }
        let renderer = if styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&[group])
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostic {}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_inside_a_multibyte_character_render() {
        let src: Arc<str> = Arc::from("detection = \"é\"\n");
        for (a, b) in [(13, 14), (14, 15), (13, 15), (12, 14)] {
            let d = Diagnostic::new("s.toml", &src, a..b, "bad duration");
            assert!(d.render(false).contains("s.toml:1:"), "{a}..{b}");
        }
    }

    #[test]
    fn positions_are_one_based() {
        assert_eq!(line_col("a\nbc = 1\n", 2), (2, 1));
        assert_eq!(line_col("a\nbc = 1\n", 7), (2, 6));
        assert_eq!(line_col("", 0), (1, 1));
    }

    #[test]
    fn render_names_file_line_col_and_underlines() {
        let src: Arc<str> = Arc::from("title = \"x\"\nkey = \"kms-9\"\n");
        let d = Diagnostic::new("s.toml", &src, 18..25, "unknown KMS key `kms-9`")
            .label("not declared in [[key]]")
            .help("declared keys: kms-1");
        let text = d.render(false);
        assert!(text.contains("error: unknown KMS key `kms-9`"), "{text}");
        assert!(text.contains("--> s.toml:2:7"), "{text}");
        assert!(text.contains("^^^^^^^ not declared"), "{text}");
        assert!(text.contains("help: declared keys: kms-1"), "{text}");
    }
}
