//! JSON and Python-compatible number formatting into caller-owned byte buffers.
//!
//! Byte-exact reproductions of what label-studio-sdk 2.1.2's converter writes (CPython 3.11 `repr` and
//! `json`, ujson 6.1.0), plus a clean default style:
//! * [`write_py_float`], [`write_ujson_float`], [`write_py_int`], [`write_number`]: numbers;
//! * [`write_str`]: quoted, escaped strings;
//! * [`JsonStyle`] / [`NumberStyle`]: layout and escaping presets;
//! * [`transcode`]: re-lay out an existing JSON text (a `RawValue`) in a style, without a tree;
//! * [`JsonWriter`]: push API for building records with keys in a chosen order.
//!
//! Everything is pure (no IO) and allocation-free apart from growing the output buffer.

mod escape;
mod float;
mod style;
mod transcode;
mod writer;

pub use escape::write_str;
pub use float::{
    write_i64, write_json_f64, write_number, write_py_float, write_py_int, write_u64,
    write_ujson_float,
};
pub use style::{JsonStyle, NumberStyle};
pub use transcode::{MAX_DEPTH, TranscodeError, transcode};
pub use writer::JsonWriter;
