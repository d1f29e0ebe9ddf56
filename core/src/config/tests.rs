//! Tests of the label-config parser against fixtures/configs (expected formats come from the
//! real LS converter, see fixtures/configs/regen_expected.sh), plus hostile inputs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/configs")
}

fn fixture(name: &str) -> LabelConfig {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    LabelConfig::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn label_values(c: &Control) -> Vec<&str> {
    c.labels.iter().map(|l| l.value.as_str()).collect()
}

fn ctl<'a>(cfg: &'a LabelConfig, name: &str) -> &'a Control {
    cfg.control(name)
        .unwrap_or_else(|| panic!("no control {name}"))
}

#[test]
fn every_fixture_matches_label_studio_formats() {
    let dir = fixtures_dir();
    let expected_text =
        std::fs::read_to_string(dir.join("expected_formats.json")).expect("expected_formats.json");
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&expected_text).expect("valid JSON");
    let mut xml_files: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    xml_files.sort();
    assert!(xml_files.len() >= 30, "fixtures missing: {xml_files:?}");
    for name in &xml_files {
        let want = expected.get(name).unwrap_or_else(|| {
            panic!("{name} not in expected_formats.json: run regen_expected.sh")
        });
        let text = std::fs::read_to_string(dir.join(name)).expect("read fixture");
        let parsed = LabelConfig::parse(&text);
        match want {
            serde_json::Value::Array(list) => {
                let want: Vec<&str> = list.iter().filter_map(|v| v.as_str()).collect();
                let cfg = parsed.unwrap_or_else(|e| panic!("{name}: LS parses it, we fail: {e}"));
                let got = cfg
                    .ls_supported_formats()
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(got, want, "{name}");
            }
            serde_json::Value::Object(obj) => {
                let err = obj.get("error").and_then(|e| e.as_str()).unwrap_or("");
                if err.starts_with("ValueError") {
                    let cfg = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
                    let got = cfg.ls_supported_formats();
                    assert!(
                        matches!(got, Err(ConfigError::LsValueError { .. })),
                        "{name}: want ValueError, got {got:?}"
                    );
                } else {
                    assert!(
                        matches!(parsed, Err(ConfigError::Malformed { .. })),
                        "{name}: LS fails with {err}, we got {parsed:?}"
                    );
                }
            }
            other => panic!("{name}: unexpected entry {other}"),
        }
    }
}

/// Our config in the shape of LS's `parse_config` schema (as regen_expected.sh dumps it).
fn ls_schema_json(cfg: &LabelConfig) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let controls: Vec<Value> = cfg
        .controls
        .iter()
        .map(|c| {
            let inputs: Vec<Value> = c
                .inputs
                .iter()
                .map(|i| {
                    let mut m = Map::new();
                    m.insert("type".into(), json!(i.tag));
                    m.insert("valueType".into(), json!(i.value_type));
                    if let Some(v) = &i.value {
                        m.insert("value".into(), json!(v));
                    } else if let Some(v) = &i.value_list {
                        m.insert("valueList".into(), json!(v));
                    }
                    Value::Object(m)
                })
                .collect();
            let attrs: Map<String, Value> = c
                .labels
                .iter()
                .map(|l| {
                    let m: Map<String, Value> =
                        l.attrs.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                    (l.value.clone(), Value::Object(m))
                })
                .collect();
            let cond = c.conditional.as_ref().map(|x| match x {
                Conditional::Tag(n) => json!({"type": "tag", "name": n}),
                Conditional::Label(n) => json!({"type": "label", "name": n}),
                Conditional::Choice(n) => json!({"type": "choice", "name": n}),
            });
            let labels: Vec<&str> = c.labels.iter().map(|l| l.value.as_str()).collect();
            json!([
                c.name,
                c.tag,
                c.to_name,
                inputs,
                labels,
                attrs,
                c.index_vars,
                cond,
                c.dynamic_labels
            ])
        })
        .collect();
    json!(controls)
}

#[test]
fn every_fixture_matches_label_studio_schema() {
    let dir = fixtures_dir();
    let text =
        std::fs::read_to_string(dir.join("expected_schema.json")).expect("expected_schema.json");
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).expect("valid JSON");
    assert!(expected.len() >= 30);
    for (name, want) in &expected {
        let xml = std::fs::read_to_string(dir.join(name))
            .expect("fixture listed in expected_schema.json");
        let parsed = LabelConfig::parse(&xml);
        if want.get("error").is_some() {
            assert!(parsed.is_err(), "{name}: LS fails to parse, we parse");
            continue;
        }
        let cfg = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(&ls_schema_json(&cfg), &want["schema"], "{name}: schema");
        if want.get("converter_error").is_some() {
            assert!(cfg.ls_supported_formats().is_err(), "{name}");
            continue;
        }
        let mut keys = cfg.data_keys();
        keys.sort_unstable();
        assert_eq!(
            serde_json::json!(keys),
            want["data_keys"],
            "{name}: data keys"
        );
        let matches = want["match"].as_object().expect("match map");
        assert!(!matches.is_empty());
        for (from, to) in matches {
            let got = cfg.control_for(from).map(|c| c.name.as_str());
            assert_eq!(got, to.as_str(), "{name}: control_for({from:?})");
        }
    }
}

#[test]
fn ls_formats_enum_order() {
    assert_eq!(LS_FORMATS.len(), 18);
    assert_eq!(LS_FORMATS[0], "JSON");
    assert_eq!(LS_FORMATS[12], "CSV_OLD");
    assert_eq!(LS_FORMATS[17], "DOCLANG");
}

#[test]
fn generated_configs_parse() {
    let rect = fixture("rect.xml");
    assert_eq!(rect.controls.len(), 1);
    let c = ctl(&rect, "label");
    assert_eq!(c.tag, "RectangleLabels");
    assert_eq!(c.to_name, ["image"]);
    assert_eq!(
        label_values(c),
        ["Cat", "Dog", "Person", "Car", "Bicycle", "Traffic Light"]
    );
    assert_eq!(c.inputs.len(), 1);
    assert_eq!(c.inputs[0].tag, "Image");
    assert_eq!(c.inputs[0].value.as_deref(), Some("image"));
    assert_eq!(rect.data_keys(), ["image"]);
    assert!(!rect.is_empty());

    let poly = fixture("polygon.xml");
    assert_eq!(ctl(&poly, "label").tag, "PolygonLabels");

    let kp = fixture("keypoint.xml");
    let k = ctl(&kp, "kp");
    assert_eq!(k.tag, "KeyPointLabels");
    assert_eq!(k.labels[3].value, "left_ear");
    assert_eq!(k.labels[3].model_index.as_deref(), Some("3"));
    assert_eq!(ctl(&kp, "bbox").tag, "RectangleLabels");

    let ner = fixture("ner.xml");
    let n = ctl(&ner, "label");
    assert_eq!(
        (n.tag.as_str(), n.inputs[0].tag.as_str()),
        ("Labels", "Text")
    );
    assert_eq!(label_values(n), ["PER", "ORG", "LOC", "MISC"]);

    let ch = fixture("choices.xml");
    let s = ctl(&ch, "sentiment");
    assert_eq!(s.tag, "Choices");
    assert_eq!(s.attr("choice"), Some("single"));
    assert_eq!(s.labels[0].tag, "Choice");
    assert_eq!(label_values(s), ["Positive", "Negative", "Neutral"]);

    let ct = fixture("choices_textarea.xml");
    assert_eq!(ctl(&ct, "comment").tag, "TextArea");
    assert!(ctl(&ct, "comment").labels.is_empty());

    let mixed = fixture("mixed.xml");
    let names: Vec<&str> = mixed.controls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["label", "poly", "quality"]);
    assert_eq!(mixed.data_keys(), ["image"]);

    let brush = fixture("brush.xml");
    assert_eq!(ctl(&brush, "tag").tag, "BrushLabels");

    let asr = fixture("asr.xml");
    let t = ctl(&asr, "transcription");
    assert_eq!(
        (t.tag.as_str(), t.inputs[0].tag.as_str()),
        ("TextArea", "Audio")
    );
    assert_eq!(asr.data_keys(), ["audio"]);
}

#[test]
fn multi_image_value_list() {
    let cfg = fixture("multi_image_valuelist.xml");
    let o = cfg.object("pages").expect("object");
    assert_eq!(o.value, None);
    assert_eq!(o.value_list.as_deref(), Some("images"));
    assert_eq!(cfg.data_keys(), ["images"]);

    // value="" with a valueList: LS keeps value "" (an object because valueList is non-empty)
    let cfg = fixture("valuelist_and_value.xml");
    let o = cfg.object("image").expect("object");
    assert_eq!(
        (o.value.as_deref(), o.value_list.as_deref()),
        (Some(""), None)
    );
    assert_eq!(cfg.data_keys(), [""]);
}

#[test]
fn repeater_patterns_match_like_label_studio() {
    // expectations from Converter._maybe_matching_tag_from_schema (label-studio-sdk 2.1.2)
    let cfg = fixture("repeater.xml");
    assert_eq!(ctl(&cfg, "labels_{{idx}}").index_vars, ["{{idx}}"]);
    assert_eq!(
        ctl(&cfg, "labels_{{idx}}").name_pattern().as_deref(),
        Some("labels_.*")
    );
    assert_eq!(cfg.data_keys(), ["pages[{{idx}}].url"]);
    let cases = [
        ("labels_0", Some("labels_{{idx}}")),
        ("labels_", Some("labels_{{idx}}")),
        ("labels", None),
        ("page_1_quality", Some("page_{{idx}}_quality")),
        ("page_1_qualityX", Some("page_{{idx}}_quality")),
        ("labels_{{idx}}", Some("labels_{{idx}}")),
        ("label_0", None),
    ];
    for (from, want) in cases {
        assert_eq!(
            cfg.control_for(from).map(|c| c.name.as_str()),
            want,
            "{from}"
        );
    }

    let overlap = LabelConfig::parse(
        r#"<View><Repeater on="$p" indexFlag="{{idx}}"><Image name="img_{{idx}}" value="$p[{{idx}}]"/>
        <Labels name="label_{{idx}}" toName="img_{{idx}}"/><Labels name="label_{{idx}}_extra" toName="img_{{idx}}"/>
        <Labels name="label" toName="img_{{idx}}"/><Labels name="x.y" toName="img_{{idx}}"/></Repeater></View>"#,
    )
    .expect("parse");
    let cases = [
        ("labels_0", Some("label")), // pattern "label" (no variable in the name) matches a prefix
        ("label_0", Some("label_{{idx}}")),
        ("label_0_extra", Some("label_{{idx}}_extra")), // longest pattern wins
        ("label", Some("label")),
        ("label_extra", Some("label_{{idx}}")),
        ("xzy", Some("x.y")), // the name is used as a regex
        ("page_1_quality", None),
    ];
    let m = overlap.matcher();
    for (from, want) in cases {
        assert_eq!(m.control_for(from).map(|c| c.name.as_str()), want, "{from}");
        assert_eq!(
            overlap.control_for(from).map(|c| c.name.as_str()),
            want,
            "{from}"
        );
    }

    // indexFlag="" puts ".*" around every character of names whose toName contains ""
    let empty = LabelConfig::parse(
        r#"<View><Repeater on="$p" indexFlag=""><Image name="img" value="$p"/><Labels name="lab" toName="img"/></Repeater></View>"#,
    )
    .expect("parse");
    for (from, want) in [("zlab", Some("lab")), ("l_a_b", Some("lab")), ("alb", None)] {
        assert_eq!(
            empty.control_for(from).map(|c| c.name.as_str()),
            want,
            "{from}"
        );
    }

    // no indexFlag: no pattern at all
    let cfg = fixture("repeater_no_flag.xml");
    assert!(ctl(&cfg, "labels_{{idx}}").index_vars.is_empty());
    assert!(cfg.control_for("labels_0").is_none());
}

#[test]
fn label_attributes_alias_category_model_index() {
    let cfg = fixture("label_attrs.xml");
    let c = ctl(&cfg, "label");
    // "Cat" twice: one entry, first position, last element's attributes (LS dict semantics)
    assert_eq!(label_values(c), ["Cat", "dog", "Person"]);
    assert_eq!(c.labels[0].category.as_deref(), Some("7"));
    assert_eq!(c.labels[0].background, None);
    let dog = &c.labels[1];
    assert_eq!(dog.raw_value.as_deref(), Some("Dog"));
    assert_eq!(dog.alias.as_deref(), Some("dog"));
    assert_eq!(dog.category.as_deref(), Some("1"));
    assert_eq!(dog.attr("hotkey"), Some("d"));
    assert_eq!(
        dog.attrs,
        [
            ("value".to_string(), "Dog".to_string()),
            ("alias".to_string(), "dog".to_string()),
            ("category".to_string(), "1".to_string()),
            ("hotkey".to_string(), "d".to_string()),
        ]
    );
    assert_eq!(c.labels[2].background.as_deref(), Some("blue"));
    let kp = ctl(&cfg, "kp");
    assert_eq!(label_values(kp), ["nose", "left_eye"]);
    assert_eq!(kp.labels[1].model_index.as_deref(), Some("1"));
    let all: Vec<(&str, &str)> = cfg
        .labels()
        .map(|(c, l)| (c.name.as_str(), l.value.as_str()))
        .collect();
    assert_eq!(all.len(), 5);
    assert_eq!(all[3], ("kp", "nose"));
}

#[test]
fn nested_choices_headers_filter_comments() {
    let cfg = fixture("nested_choices.xml");
    // Filter has name+toName but is not a control; the commented-out Choices is ignored
    let names: Vec<&str> = cfg.controls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["topic"]);
    assert_eq!(
        label_values(ctl(&cfg, "topic")),
        ["Sports", "politics", "Science"]
    );
    // a named Header with a value is an object (not used by any control)
    let objs: Vec<(&str, &str)> = cfg
        .objects
        .iter()
        .map(|o| (o.name.as_str(), o.tag.as_str()))
        .collect();
    assert_eq!(objs, [("title", "Header"), ("text", "Text")]);
    assert_eq!(cfg.data_keys(), ["text"]);
}

#[test]
fn empty_configs() {
    for name in ["empty.xml", "empty_view.xml"] {
        let cfg = fixture(name);
        assert!(cfg.is_empty(), "{name}");
        assert!(cfg.data_keys().is_empty());
        assert_eq!(
            cfg.ls_supported_formats().expect("formats"),
            ["JSON", "JSON_MIN", "CSV", "TSV", "CSV_OLD"]
        );
    }
    // whitespace only is not empty for lxml: it is an error
    assert!(matches!(
        LabelConfig::parse("  \n"),
        Err(ConfigError::Malformed { .. })
    ));
}

#[test]
fn shape_tools_with_labels_and_keypoints() {
    let cfg = fixture("rectangle_labels.xml");
    assert_eq!(ctl(&cfg, "box").tag, "Rectangle");
    assert_eq!(label_values(ctl(&cfg, "label")), ["Cat", "Dog"]);
    let cfg = fixture("polygon_labels.xml");
    assert_eq!(ctl(&cfg, "poly").tag, "Polygon");
    let cfg = fixture("keypoint_only.xml");
    assert_eq!(cfg.controls.len(), 1);
    let err = fixture("keypoint_no_image.xml")
        .ls_supported_formats()
        .expect_err("LS raises ValueError");
    assert!(err.to_string().starts_with("label config: "), "{err}");
    assert!(
        fixture("keypoint_valuelist.xml")
            .ls_supported_formats()
            .is_err()
    );
}

#[test]
fn text_url_and_textarea() {
    let cfg = fixture("text_url.xml");
    let t = cfg.object("text").expect("object");
    assert_eq!(t.value_type.as_deref(), Some("url"));
    assert_eq!(t.value.as_deref(), Some("url"));
    assert_eq!(cfg.data_keys(), ["url"]);
    let cfg = fixture("textarea_only.xml");
    assert_eq!(ctl(&cfg, "summary").attr("rows"), Some("3"));
}

#[test]
fn duplicates_namespaces_case_and_dynamic() {
    // duplicate control name: first position, last definition, merged labels;
    // duplicate object name: last definition
    let cfg = fixture("duplicate_names.xml");
    assert_eq!(cfg.controls.len(), 1);
    let c = ctl(&cfg, "label");
    assert_eq!(c.tag, "RectangleLabels");
    assert_eq!(label_values(c), ["A", "B", "C"]);
    assert_eq!(c.inputs[0].value.as_deref(), Some("image"));
    assert_eq!(cfg.data_keys(), ["image"]);

    let cfg = fixture("namespaced.xml");
    let c = ctl(&cfg, "label");
    assert_eq!(c.tag, "{http://example.com/ls}RectangleLabels");
    assert_eq!(c.inputs[0].tag, "{http://example.com/ls}Image");
    assert!(c.labels.is_empty()); // {uri}Label is not a label tag

    let cfg = fixture("lowercase_tags.xml");
    assert_eq!(ctl(&cfg, "label").tag, "rectanglelabels");
    assert!(ctl(&cfg, "label").labels.is_empty()); // <label> is not <Label>
    assert_eq!(label_values(ctl(&cfg, "brush")), ["Dog"]);

    let cfg = fixture("dynamic_choices.xml");
    let o = ctl(&cfg, "options");
    assert!(o.dynamic_labels);
    assert_eq!(o.conditional, Some(Conditional::Label("PER".into())));
    assert!(!ctl(&cfg, "ner").dynamic_labels);
    // a Relation outside any control belongs to nothing
    assert_eq!(label_values(ctl(&cfg, "ner")), ["PER"]);

    let cfg = fixture("toname_list.xml");
    let c = ctl(&cfg, "label");
    assert_eq!(c.to_name, ["left", "right", "missing"]);
    assert_eq!(c.inputs.len(), 2);
    assert_eq!(cfg.data_keys(), ["image"]);
}

#[test]
fn ls_parser_quirks() {
    // toName is split on ',' without trimming; attribute whitespace normalised like lxml
    let cfg = LabelConfig::parse(
        "<View><Labels name=\"l\" toName=\"a,\n\tb\"><Label value=\"x&#10;y\r\nz\"/></Labels></View>",
    )
    .expect("parse");
    let c = ctl(&cfg, "l");
    assert_eq!(c.to_name, ["a", "  b"]);
    assert_eq!(label_values(c), ["x\ny z"]);

    // labels go to the nearest ancestor whose name is a control's name, even a plain View
    let cfg = LabelConfig::parse(
        r#"<View><Labels name="l" toName="i"/><View name="l"><Label value="Z"/></View></View>"#,
    )
    .expect("parse");
    assert_eq!(label_values(ctl(&cfg, "l")), ["Z"]);

    // alias/value/valueList: first non-empty; all empty: no label
    let cfg = LabelConfig::parse(
        r#"<View><Labels name="l" toName="i"><Label value="A" alias="a"/><Label value="" alias=""/><Label valueList="Q"/><Label value=" S "/></Labels></View>"#,
    )
    .expect("parse");
    assert_eq!(label_values(ctl(&cfg, "l")), ["a", "Q", " S "]);

    // leading '$'s all stripped; a control with value is not an object
    let cfg = LabelConfig::parse(
        r#"<View><Image name="i" value="$$x"/><Choices name="c" toName="i" value="$opts"/></View>"#,
    )
    .expect("parse");
    assert_eq!(cfg.object("i").and_then(|o| o.value.as_deref()), Some("x"));
    assert!(cfg.object("c").is_none());

    // has_variable: only letters and '_' after '$'
    let cfg = LabelConfig::parse(r#"<View><Choices name="c" toName="i" value="$opts1"/></View>"#)
        .expect("parse");
    assert!(!ctl(&cfg, "c").dynamic_labels);

    // BOM, prolog comments/PIs, declaration without encoding: accepted like lxml
    assert!(
        LabelConfig::parse("\u{FEFF}<?xml version=\"1.0\"?><!--c--><?pi x?><View/><!--e-->")
            .is_ok()
    );
    // a Label that is itself a control
    let cfg = LabelConfig::parse(
        r#"<View><Label value="A" name="n" toName="x"><Label value="B"/></Label></View>"#,
    )
    .expect("parse");
    assert_eq!(ctl(&cfg, "n").tag, "Label");
    assert_eq!(label_values(ctl(&cfg, "n")), ["B"]);
    // prefixed attributes are not `name`/`value`
    let cfg = LabelConfig::parse(
        r#"<View xmlns:ls="u"><ls:Image name="i" ls:value="$i" value="$j"/><Labels name="l" toName="i"><Label value="A" ls:y="2"/></Labels></View>"#,
    )
    .expect("parse");
    assert_eq!(cfg.object("i").map(|o| o.tag.as_str()), Some("{u}Image"));
    assert_eq!(cfg.object("i").and_then(|o| o.value.as_deref()), Some("j"));
    assert_eq!(ctl(&cfg, "l").labels[0].attr("{u}y"), Some("2"));
}

fn assert_malformed(xml: &str) -> ConfigError {
    let err = LabelConfig::parse(xml).expect_err(xml);
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "multi-line message: {msg:?}");
    assert!(msg.starts_with("label config: "), "{msg}");
    err
}

#[test]
fn malformed_xml_is_an_error_with_offset() {
    let cases = [
        "<View>",
        "<View><Image name=\"i\" value=\"$i\"></View>",
        "<View/><View/>",
        "<View/>x",
        "x<View/>",
        "<View a=\"1\" a=\"2\"/>",
        "<View>\u{1}</View>",
        "<View a=\"<\"/>",
        "<View a=\"&#0;\"/>",
        "<View>&#1;</View>",
        "<View><!-- a -- b --></View>",
        "<View><ls:Image name=\"i\" value=\"$i\"/></View>",
        "<View>\n<?xml version=\"1.0\"?></View>",
        "<View a=\"&amp\"/>",
        "<View>]]></View>",
        "<View><?XML x?></View>",
        "<1View/>",
        "<View a/>",
        "<View a=b/>",
        "<View></Image>",
        "<!-- only a comment -->",
        "<View><![CDATA[x]]></View><![CDATA[y]]>",
    ];
    for xml in cases {
        assert_malformed(xml);
    }
    match assert_malformed("<View>\n  <Labels name=\"l\" toName=\"i\">\n") {
        ConfigError::Malformed { offset, .. } => assert!(offset > 0),
        other => panic!("{other:?}"),
    }
    match assert_malformed("<View><Text name=\"t\" value=\"&foo;\"/></View>") {
        ConfigError::Malformed { offset, message } => {
            assert_eq!(offset, 6);
            assert!(message.contains("foo"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    match assert_malformed("<View>\u{1}</View>") {
        ConfigError::Malformed { offset, .. } => assert_eq!(offset, 6),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_utf8_reports_offset() {
    let mut bytes = b"<View><Label value=\"".to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28]);
    bytes.extend_from_slice(b"\"/></View>");
    assert_eq!(
        LabelConfig::parse_bytes(&bytes),
        Err(ConfigError::InvalidUtf8 { offset: 20 })
    );
    assert!(LabelConfig::parse_bytes(b"\xEF\xBB\xBF<View/>").is_ok());
    let e = LabelConfig::parse_bytes(&bytes).expect_err("utf-8");
    assert_eq!(e.to_string(), "label config: invalid UTF-8 at byte 20");
}

fn assert_fast<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "{what} took {:?}",
        t.elapsed()
    );
    out
}

#[test]
fn billion_laughs_is_not_expanded() {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    xml.push_str(" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..=9 {
        let prev = format!("&lol{};", i - 1).repeat(10);
        xml.push_str(&format!(" <!ENTITY lol{i} \"{prev}\">\n"));
    }
    xml.push_str("]>\n<View><Text name=\"t\" value=\"$t\"/><Labels name=\"l\" toName=\"t\"><Label value=\"&lol9;\"/></Labels><Header value=\"x\">&lol9;</Header></View>");
    let r = assert_fast("billion laughs", || LabelConfig::parse(&xml));
    match r {
        Err(ConfigError::Malformed { message, .. }) => {
            assert!(message.contains("lol9"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // in text content only: still refused, never expanded
    let text_only = xml.replace("<Label value=\"&lol9;\"/>", "<Label value=\"A\"/>");
    assert!(assert_fast("laughs in text", || LabelConfig::parse(&text_only)).is_err());
    // a DOCTYPE without references is skipped
    let cfg = LabelConfig::parse("<!DOCTYPE View [<!ENTITY x \"y\">]><View><Text name=\"t\" value=\"$t\"/><Labels name=\"l\" toName=\"t\"><Label value=\"A\"/></Labels></View>")
        .expect("parse");
    assert_eq!(label_values(ctl(&cfg, "l")), ["A"]);
}

#[test]
fn external_entity_is_never_read() {
    let xml = "<!DOCTYPE View [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\
               <View><Text name=\"t\" value=\"$t\"/><Labels name=\"l\" toName=\"t\"><Label value=\"&x;\"/></Labels></View>";
    match LabelConfig::parse(xml) {
        Err(ConfigError::Malformed { message, .. }) => {
            assert!(message.contains("&x;"), "{message}");
            assert!(!message.contains("root:"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let xml2 = "<!DOCTYPE View SYSTEM \"http://127.0.0.1:9/x.dtd\"><View>&x;</View>";
    assert!(assert_fast("external DTD", || LabelConfig::parse(xml2)).is_err());
}

#[test]
fn deep_nesting_is_bounded() {
    let ok = format!(
        "{}{}",
        "<View>".repeat(MAX_DEPTH),
        "</View>".repeat(MAX_DEPTH)
    );
    assert!(LabelConfig::parse(&ok).is_ok());
    let too_deep = format!(
        "{}<X/>{}",
        "<View>".repeat(MAX_DEPTH),
        "</View>".repeat(MAX_DEPTH)
    );
    assert!(matches!(
        LabelConfig::parse(&too_deep),
        Err(ConfigError::TooDeep { limit: 256, .. })
    ));
    let n = 100_000;
    let huge = format!("{}{}", "<View>".repeat(n), "</View>".repeat(n));
    let r = assert_fast("100k nesting", || LabelConfig::parse(&huge));
    match r {
        Err(ConfigError::TooDeep { offset, limit }) => {
            assert_eq!(limit, MAX_DEPTH);
            assert_eq!(offset, 6 * MAX_DEPTH as u64);
        }
        other => panic!("{other:?}"),
    }
    // unclosed 100k deep: same
    assert!(LabelConfig::parse(&"<View>".repeat(n)).is_err());
}

#[test]
fn size_is_bounded() {
    let big = " ".repeat(MAX_CONFIG_BYTES + 1);
    assert!(matches!(
        LabelConfig::parse(&big),
        Err(ConfigError::TooLarge { .. })
    ));
    // many labels: linear
    let mut xml = String::from(
        "<View><Image name=\"i\" value=\"$i\"/><RectangleLabels name=\"l\" toName=\"i\">",
    );
    for i in 0..50_000 {
        xml.push_str(&format!("<Label value=\"L{i}\"/>"));
    }
    xml.push_str("</RectangleLabels></View>");
    let cfg = assert_fast("50k labels", || LabelConfig::parse(&xml)).expect("parse");
    assert_eq!(ctl(&cfg, "l").labels.len(), 50_000);
    // many attributes on one element, many controls and objects: no quadratic step
    let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
    let xml = format!("<View{attrs}/>");
    assert!(assert_fast("100k attributes", || LabelConfig::parse(&xml)).is_ok());
    let dup = format!("<View{attrs} a99999=\"x\"/>");
    assert!(assert_fast("duplicate among 100k", || LabelConfig::parse(&dup)).is_err());
    let mut xml = String::from("<View>");
    for i in 0..20_000 {
        xml.push_str(&format!(
            "<Image name=\"i{i}\" value=\"$k{i}\"/><Labels name=\"l{i}\" toName=\"i{i}\"/>"
        ));
    }
    xml.push_str("</View>");
    let cfg = assert_fast("20k controls", || LabelConfig::parse(&xml)).expect("parse");
    let formats = assert_fast("20k data keys", || cfg.ls_supported_formats()).expect("formats");
    assert_eq!(formats, ["JSON", "JSON_MIN", "CSV", "TSV"]);
    let m = cfg.matcher();
    assert_fast("20k lookups", || {
        for i in 0..20_000 {
            assert!(m.control_for(&format!("l{i}")).is_some());
        }
    });
}

#[test]
fn truncations_of_a_valid_config_never_panic() {
    let text = std::fs::read_to_string(fixtures_dir().join("mixed.xml")).expect("fixture");
    let complete = text.trim_end().len();
    for (i, _) in text.char_indices().skip(1) {
        match LabelConfig::parse(&text[..i]) {
            Err(e) => assert!(!e.to_string().contains('\n')),
            Ok(_) => assert!(i >= complete, "prefix of {i} bytes parsed"),
        }
    }
}

const SEED_CONFIG: &str = r#"<View>
  <Repeater on="$pages" indexFlag="{{idx}}">
    <Image name="img_{{idx}}" value="$pages[{{idx}}]"/>
    <RectangleLabels name="lab_{{idx}}" toName="img_{{idx}}"><Label value="A" alias="a" category="1"/></RectangleLabels>
  </Repeater>
  <Text name="t" value="$text" valueType="url"/>
  <Choices name="c" toName="t" perRegion="true" whenTagName="x"><View><Choice value="B &amp; C"/></View></Choices>
  <!-- comment --><TextArea name="ta" toName="t"/>
</View>"#;

fn exercise(cfg: &LabelConfig) {
    let _ = cfg.ls_supported_formats();
    let _ = cfg.data_keys();
    for from in ["lab_1", "c", "img_0", "", "x.*"] {
        let _ = cfg.control_for(from);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_never_panics_on_arbitrary_strings(s in any::<String>()) {
        if let Ok(cfg) = LabelConfig::parse(&s) { exercise(&cfg) }
    }

    #[test]
    fn parse_never_panics_on_xmlish_strings(s in "[<>/=\"' a-zA-Z$&;#!?{}:.\\-\\[\\]\n]{0,120}") {
        if let Ok(cfg) = LabelConfig::parse(&s) { exercise(&cfg) }
    }

    #[test]
    fn parse_never_panics_on_mutated_configs(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6),
        from_names in proptest::collection::vec("[a-z_{}.*0-9]{0,12}", 0..4),
    ) {
        let mut s: Vec<char> = SEED_CONFIG.chars().collect();
        for (at, op, c) in edits {
            if s.is_empty() { break; }
            let i = at.index(s.len());
            match op {
                0 => { s.remove(i); }
                1 => s.insert(i, c),
                _ => s[i] = c,
            }
        }
        let text: String = s.into_iter().collect();
        if let Ok(cfg) = LabelConfig::parse(&text) {
            exercise(&cfg);
            for f in &from_names { let _ = cfg.control_for(f); }
        }
        let _ = LabelConfig::parse_bytes(text.as_bytes());
    }
}

#[test]
fn seed_config_parses() {
    let cfg = LabelConfig::parse(SEED_CONFIG).expect("seed");
    assert_eq!(
        cfg.control_for("lab_7").map(|c| c.name.as_str()),
        Some("lab_{{idx}}")
    );
    assert_eq!(
        ctl(&cfg, "c").conditional,
        Some(Conditional::Tag("x".into()))
    );
    assert_eq!(label_values(ctl(&cfg, "c")), ["B & C"]);
    assert_eq!(cfg.data_keys().len(), 2);
    assert_eq!(
        cfg.ls_supported_formats().expect("formats"),
        ["JSON", "JSON_MIN", "CSV", "TSV", "DOCLANG"]
    );
}
