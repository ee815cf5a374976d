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
        let start = span.start.min(source.len());
        let end = span.end.clamp(start, source.len());
        let (line, col) = line_col(source, start);
        Self {
            file: file.to_string(),
            line,
            col,
            message: message.into(),
            label: None,
            help: None,
            span: start..end,
            source: source.clone(),
        }
    }

    #[must_use]
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
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
        let mut group = Level::ERROR.primary_title(title).element(
            Snippet::source(&*self.source)
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

#[cfg(test)]
mod tests {
    use super::*;

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
