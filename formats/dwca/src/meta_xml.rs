//! meta.xml, generated from the column catalogue with every dialect attribute explicit.

use crate::columns::Table;
use std::fmt::Write;

fn table(out: &mut String, tag: &str, id_tag: &str, t: &Table) {
    let _ = writeln!(
        out,
        "  <{tag} rowType=\"{}\" encoding=\"UTF-8\" fieldsTerminatedBy=\"\\t\" linesTerminatedBy=\"\\n\" fieldsEnclosedBy=\"&quot;\" ignoreHeaderLines=\"1\" dateFormat=\"YYYY-MM-DD\">",
        t.row_type
    );
    let _ = writeln!(
        out,
        "    <files>\n      <location>{}</location>\n    </files>",
        t.file
    );
    let _ = writeln!(out, "    <{id_tag} index=\"0\"/>");
    for (i, (name, ns)) in t.columns.iter().enumerate() {
        let _ = writeln!(out, "    <field index=\"{i}\" term=\"{ns}{name}\"/>");
    }
    let _ = writeln!(out, "  </{tag}>");
}

/// meta.xml for the core and the extensions.
pub fn meta_xml(core: &Table, extensions: &[&Table]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<archive xmlns=\"http://rs.tdwg.org/dwc/text/\" metadata=\"eml.xml\">\n",
    );
    table(&mut s, "core", "id", core);
    for e in extensions {
        table(&mut s, "extension", "coreid", e);
    }
    s.push_str("</archive>\n");
    s
}
