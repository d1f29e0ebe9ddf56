//! exportkit brush format (work in progress; nothing registered yet).
