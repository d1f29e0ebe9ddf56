//! exportkit voc format (work in progress).
