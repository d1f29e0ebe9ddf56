//! `info` of `result_coco.json`: Label Studio's fields, with the time in UTC
//! (`SOURCE_DATE_EPOCH`, in seconds, pins it for reproducible files).

use exportkit_core::jsonfmt::JsonWriter;
use exportkit_core::time::{py_datetime, source_date_micros};

/// Writes the `info` object.
pub fn write(w: &mut JsonWriter<'_>) {
    let (year, created) = py_datetime(source_date_micros());
    w.begin_object();
    w.key("year").i64_value(year);
    w.key("version").str_value("1.0");
    w.key("description")
        .str_value("Converted from Label Studio");
    w.key("contributor").str_value("Label Studio Converter");
    w.key("date_created").str_value(&created);
    w.end_object();
}
