//! exportkit coco format (work in progress).
