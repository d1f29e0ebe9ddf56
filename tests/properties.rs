use crate::util::*;
use exportkit::{ExportOptions, Input};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Output is byte-identical whatever the thread count and batch size.
    #[test]
    fn output_is_identical_for_any_threads_and_batch_size(threads in 1usize..=4, batch in 1usize..=64, compat: bool) {
        let (input, config) = dataset("edge_60");
        for fmt in FORMATS {
            let base = export(Input::File(input.clone()), fmt, Some(config.clone()), ExportOptions { threads: 1, batch_size: 1000, ..opts(compat) });
            let got = export(Input::File(input.clone()), fmt, Some(config.clone()), ExportOptions { threads, batch_size: batch, ..opts(compat) });
            prop_assert!(got == base, "{} differs with threads={} batch={}", fmt, threads, batch);
        }
    }
}

fn tasks_with_texts(texts: &[String]) -> Vec<u8> {
    let tasks: Vec<serde_json::Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": i + 1, "data": {"text": t, "n": i}, "annotations": []}))
        .collect();
    serde_json::to_vec(&tasks).expect("json")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any string survives CSV and TSV, clean and compat, read back with the csv crate.
    #[test]
    fn csv_and_tsv_quoting_round_trips(texts in proptest::collection::vec("\\PC*|[\",\t\r\n a-z]*", 1..8), compat: bool, tsv: bool) {
        let fmt = if tsv { "TSV" } else { "CSV" };
        let out = export(Input::Bytes(tasks_with_texts(&texts)), fmt, None, opts(compat));
        let (name, bytes) = out.iter().next().expect("one file");
        prop_assert!(name.starts_with("result."));
        let mut r = csv::ReaderBuilder::new().delimiter(if tsv { b'\t' } else { b',' }).from_reader(&bytes[..]);
        let col = r.headers().expect("header").iter().position(|h| h == "text").expect("text column");
        let got: Vec<String> = r.records().map(|rec| rec.expect("record")[col].to_owned()).collect();
        prop_assert_eq!(got, texts);
    }

    /// JSON passes every task through byte for byte; compat mode reproduces the input exactly.
    #[test]
    fn json_pass_through_is_lossless(texts in proptest::collection::vec("\\PC*", 0..6), pretty: bool) {
        let tasks: Vec<serde_json::Value> = texts.iter().enumerate()
            .map(|(i, t)| serde_json::json!({"id": i, "data": {"t": t, "big": "BIGNUM", "f": 1.5}}))
            .collect();
        let input = if pretty { serde_json::to_vec_pretty(&tasks) } else { serde_json::to_vec(&tasks) }.expect("json");
        let input = String::from_utf8(input).expect("utf8").replace("1.5", "1.50").replace("\"BIGNUM\"", "123456789012345678901234567890");
        let compat = export(Input::Bytes(input.clone().into_bytes()), "JSON", None, opts(true));
        prop_assert_eq!(&compat["result.json"], &input.as_bytes().to_vec());
        let clean = export(Input::Bytes(input.clone().into_bytes()), "JSON", None, opts(false));
        let elems: Vec<&serde_json::value::RawValue> = serde_json::from_slice(&clean["result.json"]).expect("valid JSON");
        let want: Vec<&serde_json::value::RawValue> = serde_json::from_str(&input).expect("input");
        prop_assert_eq!(elems.iter().map(|r| r.get()).collect::<Vec<_>>(), want.iter().map(|r| r.get()).collect::<Vec<_>>());
    }
}
