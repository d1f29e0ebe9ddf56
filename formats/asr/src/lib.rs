//! exportkit asr format (work in progress; nothing registered yet).
