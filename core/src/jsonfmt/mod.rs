//! JSON and Python-compatible number formatting (placeholder; being written).
