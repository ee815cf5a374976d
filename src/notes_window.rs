//! The `rewrap notes` front end: a terminal loop that waits for a presenter, follows it
//! (`notes::Notes` over the socket) and draws with `ui::notes`, and waits again when it quits.
//! It sits beside `tui` (the presenter's loop): `notes` knows nothing of drawing, `ui` nothing
//! of sockets.

use std::io;
use std::sync::Arc;

use crate::notes::{MAX_LINE_BYTES, Message, Notes, VERSION, socket_path};

type Reader = tokio::io::BufReader<tokio::net::UnixStream>;

/// The next line from the presenter, at most `MAX_LINE_BYTES` long: `Ok(None)` at the end, an
/// error for a longer line (a presenter never sends one; the connection is dropped).
async fn next_line(reader: &mut Reader, buf: &mut Vec<u8>) -> io::Result<Option<String>> {
    use tokio::io::AsyncBufReadExt as _;
    use tokio::io::AsyncReadExt as _;
    buf.clear();
    let n = (&mut *reader)
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE_BYTES {
        return Err(io::Error::other(format!(
            "a line longer than {} MiB",
            MAX_LINE_BYTES >> 20
        )));
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(buf).into_owned()))
}

/// Is `path` a socket (a presenter's), not a file, a FIFO or a link someone put there?
fn is_socket(path: &std::path::Path) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// `rewrap notes`: follow a presenter until `q` (or a signal). Waits for one when none runs,
/// and again after it quits.
pub fn run(theme: crate::app::tone::ThemeKind) -> io::Result<()> {
    let path = socket_path()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .enable_io()
        .build()?;
    let mut terminal = ratatui::init();
    let result = runtime.block_on(follow(&mut terminal, &path, theme));
    ratatui::restore();
    result
}

async fn follow(
    terminal: &mut ratatui::DefaultTerminal,
    path: &std::path::Path,
    theme: crate::app::tone::ThemeKind,
) -> io::Result<()> {
    use crossterm::event::{Event, EventStream, KeyCode, KeyEventKind, KeyModifiers};
    use futures::StreamExt;
    use tokio::signal::unix::{SignalKind, signal};

    let theme = crate::ui::theme::Theme::new(theme);
    let socket = crate::scenario::printable(&path.display().to_string(), false);
    let mut events = EventStream::new();
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut quit = signal(SignalKind::quit())?;
    let mut tstp = signal(SignalKind::from_raw(signal_hook::consts::SIGTSTP))?;
    let mut cont = signal(SignalKind::from_raw(signal_hook::consts::SIGCONT))?;
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    let mut last: Option<String> = None;
    let mut notes: Option<Notes> = None;
    let mut reader: Option<Reader> = None;
    let mut buf = Vec::new();
    loop {
        terminal.draw(|f| {
            let view = match &notes {
                Some(n) if reader.is_some() => crate::ui::notes::View::Following(n),
                _ => crate::ui::notes::View::Waiting {
                    socket: &socket,
                    last: last.as_deref(),
                },
            };
            crate::ui::notes::render(f, f.area(), &view, theme);
        })?;
        let line = async {
            match reader.as_mut() {
                Some(r) => next_line(r, &mut buf).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick.tick() => {
                if reader.is_none() && std::fs::symlink_metadata(path).is_ok() && !is_socket(path) {
                    last = Some(format!("{socket} is not a socket: waiting for a presenter to make one there."));
                } else if reader.is_none()
                    && let Ok(s) = tokio::net::UnixStream::connect(path).await
                {
                    reader = Some(tokio::io::BufReader::new(s));
                    notes = None;
                }
            }
            got = line => {
                if let Err(e) = &got {
                    reader = None;
                    notes = None;
                    last = Some(format!("Dropped the presenter's connection: {e}. Waiting for the next one."));
                } else if let Ok(Some(text)) = got {
                    if !on_line(&text, &mut notes, &mut last) {
                        reader = None;
                    }
                } else {
                    reader = None;
                    notes = None;
                    last = Some("The presenter went away. Waiting for the next one.".into());
                }
            }
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => {
                    let ctrl = |c: char| k.code == KeyCode::Char(c) && k.modifiers.contains(KeyModifiers::CONTROL);
                    if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) || ctrl('c') {
                        return Ok(());
                    }
                    // Ctrl-Z in raw mode is a key, not a signal: suspend as the shell would.
                    if ctrl('z') {
                        crate::tui::suspend(terminal)?;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            _ = term.recv() => return Ok(()),
            _ = hup.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
            _ = quit.recv() => return Ok(()),
            _ = tstp.recv() => crate::tui::suspend(terminal)?,
            // Continued after a stop we did not see coming (kill -STOP): the screen again.
            _ = cont.recv() => crate::tui::resume(terminal)?,
        }
    }
}

/// One line from the presenter; false when the connection should be dropped (the presenter
/// quit, or its scenario does not load here).
fn on_line(text: &str, notes: &mut Option<Notes>, last: &mut Option<String>) -> bool {
    if let Some(n) = notes.as_mut() {
        if let Some(Message::Bye { .. }) = n.take(text) {
            *notes = None;
            *last = Some("The presenter quit. Waiting for the next one.".into());
            return false;
        }
        return true;
    }
    if let Ok(Message::Hello { v, scenario, .. }) = serde_json::from_str::<Message>(text)
        && v == VERSION
    {
        match crate::scenario::load(&scenario)
            .map_err(|e| e.to_string())
            .and_then(|s| Notes::new(Arc::new(s)))
        {
            Ok(n) => *notes = Some(n),
            Err(e) => {
                *last = Some(format!(
                    "The presenter's scenario {scenario} does not load here: {e}"
                ));
                return false;
            }
        }
    } else {
        let shown: String = text.chars().take(40).collect();
        *last = Some(format!(
            "Ignored a message that is not a presenter's hello: {shown:?}"
        ));
    }
    true
}
