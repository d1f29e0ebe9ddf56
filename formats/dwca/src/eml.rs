//! eml.xml in the GBIF metadata profile 1.3 (EML 2.2.0), elements in the profile's order.

use crate::metadata::{Metadata, Party};
use crate::xml::esc;
use std::fmt::Write;

/// What the data adds to the EML: the bounding box and the date range of the events.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// `(west, east, north, south)`, when any event has coordinates.
    pub bbox: Option<(f64, f64, f64, f64)>,
    /// First and last event date (`YYYY-MM-DD`).
    pub dates: Option<(String, String)>,
}

fn party(out: &mut String, tag: &str, p: &Party) {
    let _ = writeln!(out, "    <{tag}>");
    match p {
        Party::Name(n) => {
            let _ = writeln!(out, "      <organizationName>{}</organizationName>", esc(n));
        }
        Party::Detail(d) => {
            let sur = d.sur_name.as_deref().filter(|s| !s.trim().is_empty());
            let org = d.organization.as_deref().filter(|s| !s.trim().is_empty());
            if let Some(sur) = sur {
                out.push_str("      <individualName>\n");
                if let Some(g) = d.given_name.as_deref().filter(|s| !s.trim().is_empty()) {
                    let _ = writeln!(out, "        <givenName>{}</givenName>", esc(g));
                }
                let _ = writeln!(out, "        <surName>{}</surName>", esc(sur));
                out.push_str("      </individualName>\n");
            }
            if org.is_some() || sur.is_none() {
                let _ = writeln!(
                    out,
                    "      <organizationName>{}</organizationName>",
                    esc(org.unwrap_or("Unknown"))
                );
            }
            if let Some(e) = d.email.as_deref().filter(|s| !s.trim().is_empty()) {
                let _ = writeln!(
                    out,
                    "      <electronicMailAddress>{}</electronicMailAddress>",
                    esc(e)
                );
            }
        }
    }
    let _ = writeln!(out, "    </{tag}>");
}

fn coord(v: f64) -> String {
    crate::encode::decimal(v)
}

/// eml.xml for dataset `package_id`.
pub fn eml(meta: &Metadata, package_id: &str, cov: &Coverage) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let lang = if meta.language.is_empty() {
        String::new()
    } else {
        format!(" xml:lang=\"{}\"", esc(&meta.language))
    };
    let _ = writeln!(
        s,
        "<eml:eml xmlns:eml=\"https://eml.ecoinformatics.org/eml-2.2.0\" xmlns:dc=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"https://eml.ecoinformatics.org/eml-2.2.0 http://rs.gbif.org/schema/eml-gbif-profile/1.3/eml.xsd\" packageId=\"{}\" system=\"http://exportkit.org\" scope=\"system\"{lang}>",
        esc(package_id)
    );
    s.push_str("  <dataset>\n");
    let _ = writeln!(
        s,
        "    <alternateIdentifier>{}</alternateIdentifier>",
        esc(package_id)
    );
    let _ = writeln!(s, "    <title>{}</title>", esc(&meta.title));
    party(&mut s, "creator", &meta.creator);
    party(&mut s, "metadataProvider", &meta.contact);
    let pub_date = meta
        .pub_date
        .clone()
        .or_else(|| cov.dates.as_ref().map(|d| d.1.clone()))
        .unwrap_or_else(|| "1970-01-01".to_owned());
    let _ = writeln!(s, "    <pubDate>{}</pubDate>", esc(&pub_date));
    if !meta.language.is_empty() {
        let _ = writeln!(s, "    <language>{}</language>", esc(&meta.language));
    }
    let _ = writeln!(
        s,
        "    <abstract>\n      <para>{}</para>\n    </abstract>",
        esc(&meta.abstract_text)
    );
    s.push_str("    <keywordSet>\n      <keyword>Samplingevent</keyword>\n      <keywordThesaurus>GBIF Dataset Type Vocabulary: http://rs.gbif.org/vocabulary/gbif/dataset_type_2015-07-10.xml</keywordThesaurus>\n    </keywordSet>\n");
    let _ = writeln!(
        s,
        "    <intellectualRights>\n      <para>This work is licensed under a <ulink url=\"{}\"><citetitle>{}</citetitle></ulink>.</para>\n    </intellectualRights>",
        meta.license.url(),
        meta.license.title()
    );
    if cov.bbox.is_some() || cov.dates.is_some() {
        s.push_str("    <coverage>\n");
        if let Some((w, e, n, so)) = cov.bbox {
            let _ = writeln!(
                s,
                "      <geographicCoverage>\n        <geographicDescription>Bounding box of the deployments</geographicDescription>\n        <boundingCoordinates>\n          <westBoundingCoordinate>{}</westBoundingCoordinate>\n          <eastBoundingCoordinate>{}</eastBoundingCoordinate>\n          <northBoundingCoordinate>{}</northBoundingCoordinate>\n          <southBoundingCoordinate>{}</southBoundingCoordinate>\n        </boundingCoordinates>\n      </geographicCoverage>",
                coord(w),
                coord(e),
                coord(n),
                coord(so)
            );
        }
        if let Some((b, e)) = &cov.dates {
            let _ = writeln!(
                s,
                "      <temporalCoverage>\n        <rangeOfDates>\n          <beginDate>\n            <calendarDate>{b}</calendarDate>\n          </beginDate>\n          <endDate>\n            <calendarDate>{e}</calendarDate>\n          </endDate>\n        </rangeOfDates>\n      </temporalCoverage>"
            );
        }
        s.push_str("    </coverage>\n");
    }
    party(&mut s, "contact", &meta.contact);
    s.push_str("  </dataset>\n</eml:eml>\n");
    s
}
