//! Errors as Label Studio's exception handler shapes them:
//! `{"id", "status_code", "version", "detail", "exc_info", "validation_errors"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use exportkit_service::ServiceError;
use serde_json::{Value, json};
use std::hash::{BuildHasher, Hasher};

/// An API error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    detail: String,
    validation: Option<Value>,
}

impl ApiError {
    /// An error with `status` and `detail`.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: detail.into(),
            validation: None,
        }
    }

    /// 400 with field errors.
    pub fn validation(errors: Value) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            detail: "Validation error".into(),
            validation: Some(errors),
        }
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }
}

/// A random version-4 UUID in text form (for the error `id`).
fn uuid4() -> String {
    let s = std::collections::hash_map::RandomState::new();
    let mut h = s.build_hasher();
    h.write_u128(exportkit_core::time::now_micros() as u128);
    let a = h.finish();
    let mut h = s.build_hasher();
    h.write_u64(a);
    let b = h.finish();
    let v = (u128::from(a) << 64) | u128::from(b);
    let v = (v & !(0xf << 76)) | (0x4 << 76);
    let v = (v & !(0x3 << 62)) | (0x2 << 62);
    let x = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "id": uuid4(),
            "status_code": self.status.as_u16(),
            "version": env!("CARGO_PKG_VERSION"),
            "detail": self.detail,
            "exc_info": null,
            "validation_errors": self.validation.unwrap_or_else(|| json!({})),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(m) => ApiError::not_found(m),
            ServiceError::Validation(v) => ApiError::validation(v.to_json()),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            ServiceError::Busy(m) => ApiError::new(StatusCode::TOO_MANY_REQUESTS, m),
            ServiceError::ShuttingDown => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
            ServiceError::Export(err) => match err.kind() {
                exportkit_core::ErrorKind::UnknownFormat | exportkit_core::ErrorKind::Options => {
                    ApiError::new(StatusCode::BAD_REQUEST, err.to_string())
                }
                _ => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
            },
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        }
    }
}
