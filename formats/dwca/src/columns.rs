//! The column catalogue: header names and term URIs of each file, in order (Antenna's 18
//! event and 20 occurrence columns). meta.xml and the headers are generated from it.

const DWC: &str = "http://rs.tdwg.org/dwc/terms/";
const DC: &str = "http://purl.org/dc/terms/";

/// One data file of the archive.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// File name.
    pub file: &'static str,
    /// rowType URI.
    pub row_type: &'static str,
    /// `(header, namespace)` per column; the term URI is namespace + header.
    pub columns: &'static [(&'static str, &'static str)],
}

/// `event.txt`, the core.
pub const EVENT: Table = Table {
    file: "event.txt",
    row_type: "http://rs.tdwg.org/dwc/terms/Event",
    columns: &[
        ("eventID", DWC),
        ("eventDate", DWC),
        ("eventTime", DWC),
        ("year", DWC),
        ("month", DWC),
        ("day", DWC),
        ("samplingProtocol", DWC),
        ("sampleSizeValue", DWC),
        ("sampleSizeUnit", DWC),
        ("samplingEffort", DWC),
        ("locationID", DWC),
        ("decimalLatitude", DWC),
        ("decimalLongitude", DWC),
        ("geodeticDatum", DWC),
        ("datasetName", DWC),
        ("license", DC),
        ("rightsHolder", DC),
        ("modified", DC),
    ],
};

/// `occurrence.txt`, an extension.
pub const OCCURRENCE: Table = Table {
    file: "occurrence.txt",
    row_type: "http://rs.tdwg.org/dwc/terms/Occurrence",
    columns: &[
        ("eventID", DWC),
        ("occurrenceID", DWC),
        ("basisOfRecord", DWC),
        ("occurrenceStatus", DWC),
        ("scientificName", DWC),
        ("taxonRank", DWC),
        ("kingdom", DWC),
        ("phylum", DWC),
        ("class", DWC),
        ("order", DWC),
        ("family", DWC),
        ("genus", DWC),
        ("specificEpithet", DWC),
        ("vernacularName", DWC),
        ("taxonID", DWC),
        ("individualCount", DWC),
        ("identifiedBy", DWC),
        ("dateIdentified", DWC),
        ("identificationVerificationStatus", DWC),
        ("modified", DC),
    ],
};

/// `multimedia.txt`, GBIF's Simple Multimedia extension.
pub const MULTIMEDIA: Table = Table {
    file: "multimedia.txt",
    row_type: "http://rs.gbif.org/terms/1.0/Multimedia",
    columns: &[
        ("eventID", DWC),
        ("occurrenceID", DWC),
        ("type", DC),
        ("format", DC),
        ("identifier", DC),
        ("license", DC),
    ],
};

impl Table {
    /// The header line.
    pub fn header(&self) -> String {
        let mut s = self
            .columns
            .iter()
            .map(|(h, _)| *h)
            .collect::<Vec<_>>()
            .join("\t");
        s.push('\n');
        s
    }
}
