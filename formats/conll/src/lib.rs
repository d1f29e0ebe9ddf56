//! exportkit conll format (work in progress; nothing registered yet).
