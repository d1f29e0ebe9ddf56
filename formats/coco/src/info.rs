//! The `info` object.

use exportkit_core::jsonfmt::JsonWriter;
use exportkit_core::time::{py_datetime, source_date_micros};

/// Label Studio's `info`: the year and `str(datetime.now())` (here in UTC; `SOURCE_DATE_EPOCH`
/// pins it).
pub(crate) fn write_label_studio(w: &mut JsonWriter<'_>) {
    let (year, created) = py_datetime(source_date_micros());
    w.begin_object();
    w.key("year").i64_value(year);
    w.key("version").str_value("1.0");
    w.key("description").str_value("");
    w.key("contributor").str_value("Label Studio");
    w.key("url").str_value("");
    w.key("date_created").str_value(&created);
    w.end_object();
}

/// The clean `info`: fixed, so that the output is reproducible.
pub(crate) fn write_clean(w: &mut JsonWriter<'_>) {
    w.begin_object();
    w.key("description").str_value("");
    w.key("version").str_value("1.0");
    w.key("contributor").str_value("exportkit");
    w.end_object();
}
