//! The progress bar drawn on a terminal.

use exportkit::{Progress, ProgressObserver, Stage};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar on stderr; `None` when stderr is not a terminal.
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new() -> Option<Self> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
        Some(Bar(bar))
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl ProgressObserver for Bar {
    fn on_progress(&self, p: &Progress) {
        let bar = &self.0;
        match (p.stage, p.bytes_total) {
            (Stage::Encoding, Some(total)) => {
                if bar.length() != Some(total) {
                    bar.set_length(total);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{bar:40} {bytes}/{total_bytes} {msg} ({eta})",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                }
                bar.set_position(p.bytes_read);
            }
            (Stage::Encoding, None) => {
                bar.set_style(ProgressStyle::default_spinner());
                bar.tick();
            }
            (Stage::Packaging, _) => bar.set_message("packaging"),
            _ => {}
        }
        bar.set_message(format!("{} tasks", p.tasks_written));
    }
}
