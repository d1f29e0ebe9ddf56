//! exportkit's integration tests: one binary, a module per area.
#![allow(clippy::unwrap_used)]

// The example plugin is linked in, as a third-party user would do it.
use ndjson_plugin_example as _;

/// Shared helpers: running exports, comparing trees.
mod util;

/// Golden files: compat output byte-identical to the real Label Studio converter, and the
/// reviewed clean output.
mod golden;

/// Malformed inputs: exit code 1, one-line error with a position, nothing left behind.
mod bad_inputs;

/// The library pipeline: progress, cancellation, output targets.
mod pipeline;

/// The CLI: listing, usage errors, zip output, filters, stdin.
mod cli;

/// The registry: exact built-in names, plugins, duplicates, unknown names.
mod registry;

/// Images: downloads, the access policy, confinement, per-task failures.
mod resources;

/// `--compat label-studio` for the `*_WITH_IMAGES` formats against Label Studio's output.
mod compat_with_images;

/// Real consumers (pycocotools) load the output.
mod consumers;

/// The real label-studio-sdk client drives `exportkit serve`.
mod sdk;

/// Fuzzing: arbitrary and mutated inputs never panic.
mod fuzz;

/// Property tests: determinism across thread counts and batch sizes, CSV quoting round trips,
/// lossless JSON pass-through.
mod properties;
