//! Label Studio label-config parser (placeholder; being written).
