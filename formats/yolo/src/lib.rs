//! exportkit yolo format (work in progress).
