//! Errors in Django REST framework's shapes (Antenna and Flagsmith): `{"detail": "..."}`, or
//! field errors `{"field": ["message"]}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use exportkit_service::ServiceError;
use serde_json::{Value, json};

/// A DRF-style error response.
#[derive(Debug)]
pub struct DrfError {
    status: StatusCode,
    body: Value,
}

impl DrfError {
    /// `{"detail": detail}` with `status`.
    pub fn detail(status: StatusCode, detail: impl Into<String>) -> Self {
        DrfError {
            status,
            body: json!({ "detail": detail.into() }),
        }
    }

    /// 400 with `{field: [message]}`.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        DrfError {
            status: StatusCode::BAD_REQUEST,
            body: json!({ field: [message.into()] }),
        }
    }

    /// 404 "Not found.".
    pub fn not_found() -> Self {
        Self::detail(StatusCode::NOT_FOUND, "Not found.")
    }

    /// 403, DRF's wording.
    pub fn forbidden() -> Self {
        Self::detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.",
        )
    }
}

impl IntoResponse for DrfError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<ServiceError> for DrfError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(_) => DrfError::not_found(),
            ServiceError::Validation(v) => DrfError {
                status: StatusCode::BAD_REQUEST,
                body: v.to_json(),
            },
            ServiceError::Conflict(m) => DrfError::detail(StatusCode::BAD_REQUEST, m),
            ServiceError::Busy(m) => DrfError::detail(StatusCode::TOO_MANY_REQUESTS, m),
            ServiceError::ShuttingDown => {
                DrfError::detail(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
            // Bad documents and options are the client's; file system trouble is ours.
            ServiceError::Export(err) if err.kind() != exportkit_core::ErrorKind::Io => {
                DrfError::detail(StatusCode::BAD_REQUEST, err.to_string())
            }
            other => DrfError::detail(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}

/// Django's `filesizeformat`: `512 bytes`, `2.4 KB`, `2.4 MB`, ... (1024-based).
pub fn file_size_display(bytes: u64) -> String {
    if bytes == 1 {
        return "1 byte".into();
    }
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let units = ["KB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < units.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", units[unit])
}

/// Runs blocking service work, errors in DRF's shape.
pub(crate) async fn run<T: Send + 'static>(
    f: impl FnOnce() -> exportkit_service::Result<T> + Send + 'static,
) -> Result<T, DrfError> {
    crate::routes::blocking_with(f).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_as_django_prints_them() {
        use super::file_size_display as f;
        assert_eq!(f(0), "0 bytes");
        assert_eq!(f(1), "1 byte");
        assert_eq!(f(1023), "1023 bytes");
        assert_eq!(f(1024), "1.0 KB");
        assert_eq!(f(2_516_582), "2.4 MB");
    }
}
