//! The service's errors. Each maps to one HTTP status in the server.

use crate::request::ValidationErrors;

/// A service error.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// No such project, snapshot or conversion (or the caller may not see it).
    #[error("{0}")]
    NotFound(String),
    /// The request is invalid; the errors name the fields.
    #[error("Validation error: {0}")]
    Validation(ValidationErrors),
    /// The request conflicts with the current state (a conversion already started, a snapshot
    /// not completed yet).
    #[error("{0}")]
    Conflict(String),
    /// Too much work is queued for this project; retry later.
    #[error("{0}")]
    Busy(String),
    /// The export itself failed.
    #[error("{0}")]
    Export(#[from] exportkit_core::Error),
    /// The metadata store failed.
    #[error("metadata store: {0}")]
    Store(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The service is shutting down.
    #[error("the export service is shutting down")]
    ShuttingDown,
}

impl ServiceError {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = ValidationErrors::default();
        e.0.insert(
            field.to_owned(),
            serde_json::Value::Array(vec![serde_json::Value::String(message.into())]),
        );
        ServiceError::Validation(e)
    }
}

/// The service's result type.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

impl From<ValidationErrors> for ServiceError {
    fn from(e: ValidationErrors) -> Self {
        ServiceError::Validation(e)
    }
}
