//! json formats.
