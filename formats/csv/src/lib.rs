//! exportkit's delimited formats: `CSV` and `TSV`, one row per item (task × kept annotation).
//!
//! Input is read once. Rows are encoded in parallel and spilled to a temporary file while the
//! column set grows; at the end the header is written and the rows are laid out in it.
//! Clean default: a stable column order (`id`, data keys, controls, annotation fields), minimal
//! RFC 4180 quoting, TSV in `result.tsv`. `--compat label-studio`: byte-identical to
//! label-studio-sdk 2.1.2 (sorted columns, `QUOTE_NONNUMERIC`, `\r\n`, TSV in `result.csv`).
#![deny(missing_docs)]

mod cell;
mod columns;
mod rows;
mod writer;

use exportkit_core::{ExportContext, Exporter, ExporterFactory, FormatInfo, Result};

/// A delimited format: CSV (`,`) or TSV (tab).
#[derive(Debug, Clone, Copy)]
pub struct DelimitedFormat {
    info: FormatInfo,
    delimiter: u8,
}

/// The `CSV` format.
pub static CSV: DelimitedFormat = DelimitedFormat {
    info: FormatInfo {
        name: "CSV",
        title: "CSV",
        description: "One row per annotation: task data, results by control, annotator and times",
        extension: "csv",
        ls_name: Some("CSV"),
    },
    delimiter: b',',
};

/// The `TSV` format.
pub static TSV: DelimitedFormat = DelimitedFormat {
    info: FormatInfo {
        name: "TSV",
        title: "TSV",
        description: "Like CSV, tab-separated",
        extension: "tsv",
        ls_name: Some("TSV"),
    },
    delimiter: b'\t',
};

exportkit_core::register_format!(CSV);
exportkit_core::register_format!(TSV);

impl ExporterFactory for DelimitedFormat {
    fn info(&self) -> &FormatInfo {
        &self.info
    }

    fn build(&self, ctx: &ExportContext) -> Result<Exporter> {
        let compat = ctx.options.is_compat();
        // Label Studio writes TSV to `result.csv` too.
        let part = if compat || self.delimiter == b',' {
            "result.csv"
        } else {
            "result.tsv"
        };
        Ok(Exporter {
            encoder: Box::new(rows::Encoder {
                compat,
                delimiter: self.delimiter,
            }),
            writer: Box::new(writer::Writer::new(
                part,
                compat,
                self.delimiter,
                ctx.options.header,
            )),
        })
    }
}

pub use cell::{write_clean_cell, write_quoted};
