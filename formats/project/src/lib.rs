//! exportkit portable project format (work in progress; nothing registered yet).
