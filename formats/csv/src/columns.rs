//! Column keys and how they become the header.
//!
//! A row is built as a list of (key, cell) pairs; keys are resolved to column names only at the
//! end, when the whole column set is known (Label Studio renames a data key to `_data_<key>`
//! when any item anywhere has a control of that name).

use std::collections::HashSet;

/// The annotation fields every row has, in Label Studio's order.
pub(crate) const FIXED: [&str; 5] = [
    "annotator",
    "annotation_id",
    "created_at",
    "updated_at",
    "lead_time",
];

/// Where a cell comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// The task id.
    Id,
    /// A control's result.
    From(String),
    /// A chat control's transcript (`<name>_transcript`).
    Transcript(String),
    /// A task data key.
    Data(String),
    /// One of [`FIXED`], by index.
    Fixed(u8),
    /// The task's agreement.
    Agreement,
    /// The annotation history.
    History,
}

impl Key {
    /// Label Studio builds the row dict in this order; a later stage overwrites an earlier one
    /// when two keys land on the same column.
    pub(crate) fn stage(&self) -> u8 {
        match self {
            Key::Id => 0,
            Key::From(_) | Key::Transcript(_) => 1,
            Key::Data(_) => 2,
            Key::Fixed(_) => 3,
            Key::Agreement => 4,
            Key::History => 5,
        }
    }

    /// The clean layout's column group: id, data, controls, annotation fields.
    fn group(&self) -> u8 {
        match self {
            Key::Id => 0,
            Key::Data(_) => 1,
            Key::From(_) | Key::Transcript(_) => 2,
            Key::Fixed(_) => 3,
            Key::Agreement => 4,
            Key::History => 5,
        }
    }

    fn plain_name(&self) -> String {
        match self {
            Key::Id => "id".into(),
            Key::From(n) | Key::Data(n) => n.clone(),
            Key::Transcript(n) => format!("{n}_transcript"),
            Key::Fixed(i) => FIXED[usize::from(*i)].into(),
            Key::Agreement => "agreement".into(),
            Key::History => "history".into(),
        }
    }
}

/// The header: column names in order, and for each key (by id) its column index.
pub(crate) struct Layout {
    pub(crate) names: Vec<String>,
    pub(crate) column_of: Vec<usize>,
}

/// Resolves keys (in first-seen order) into columns.
///
/// Compat: a data key is renamed `_data_<key>` when a control has that name; columns are sorted
/// by code point. Clean: a data key is renamed when any other column has its name; columns go
/// id, data keys, controls, annotation fields, agreement, history, each in first-seen order.
pub(crate) fn layout(keys: &[Key], compat: bool) -> Layout {
    let mut keys: Vec<Key> = keys.to_vec();
    // Every row has the annotation fields.
    for i in 0..FIXED.len() as u8 {
        if !keys.contains(&Key::Fixed(i)) {
            keys.push(Key::Fixed(i));
        }
    }
    let taken: HashSet<String> = keys
        .iter()
        .filter(|k| {
            if compat {
                matches!(k, Key::From(_))
            } else {
                !matches!(k, Key::Data(_))
            }
        })
        .map(Key::plain_name)
        .collect();
    let name = |k: &Key| match k {
        Key::Data(d) if taken.contains(d) => format!("_data_{d}"),
        _ => k.plain_name(),
    };
    let mut order: Vec<usize> = (0..keys.len()).collect();
    if compat {
        order.sort_by_key(|&i| name(&keys[i]));
    } else {
        order.sort_by_key(|&i| keys[i].group());
    }
    let mut names: Vec<String> = Vec::new();
    let mut column_of = vec![0; keys.len()];
    for i in order {
        let n = name(&keys[i]);
        column_of[i] = match names.iter().position(|x| *x == n) {
            Some(c) => c,
            None => {
                names.push(n);
                names.len() - 1
            }
        };
    }
    Layout { names, column_of }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compat_renames_data_keys_that_name_a_control_and_sorts() {
        let keys = vec![
            Key::Id,
            Key::From("label".into()),
            Key::Data("label".into()),
            Key::Data("Zebra".into()),
        ];
        let l = layout(&keys, true);
        assert_eq!(
            l.names,
            [
                "Zebra",
                "_data_label",
                "annotation_id",
                "annotator",
                "created_at",
                "id",
                "label",
                "lead_time",
                "updated_at"
            ]
        );
        assert_eq!(l.names[l.column_of[2]], "_data_label");
    }

    #[test]
    fn compat_merges_data_id_into_the_id_column() {
        let l = layout(&[Key::Id, Key::Data("id".into())], true);
        assert_eq!(l.column_of[0], l.column_of[1]);
    }

    #[test]
    fn clean_keeps_groups_and_renames_any_collision() {
        let keys = vec![
            Key::Data("image".into()),
            Key::Id,
            Key::Data("annotator".into()),
            Key::From("label".into()),
        ];
        let l = layout(&keys, false);
        assert_eq!(
            l.names,
            [
                "id",
                "image",
                "_data_annotator",
                "label",
                "annotator",
                "annotation_id",
                "created_at",
                "updated_at",
                "lead_time"
            ]
        );
    }
}
