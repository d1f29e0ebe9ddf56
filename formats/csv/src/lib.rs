//! csv formats.
