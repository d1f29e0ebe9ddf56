//! exportkit dwca format (work in progress; nothing registered yet).
