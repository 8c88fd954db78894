//! The ownership table: who may add, edit or delete each part of a job. Written once;
//! the value check, the op check and the README's table all read it.

use super::{Actor, Refusal, Role};
use crate::job::Job;

/// A part of a job document, one row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Id,
    SchemaVersion,
    Origin,
    Complaint,
    ReportedAt,
    Customer,
    Product,
    Fault,
    Assignee,
    Classification,
    Diagnosis,
    Resolution,
    LabourMinutes,
    Events,
    Reviews,
    Notes,
    NoteText,
    Parts,
    Forms,
    FormAnswers,
    FormSuggestion,
    FormSubmission,
    Attachments,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Add,
    Edit,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Edit => "edit",
            Action::Delete => "delete",
        }
    }
}

/// Whose entries a right covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Nobody,
    /// Any entry of a job the writer may write.
    Any,
    /// Entries recorded in the writer's own name (`by`).
    Own,
    /// Own forms not yet submitted.
    OwnOpen,
}

#[derive(Debug, Clone, Copy)]
pub struct Rights {
    pub add: Who,
    pub edit: Who,
    pub delete: Who,
}

impl Rights {
    fn of(&self, action: Action) -> Who {
        match action {
            Action::Add => self.add,
            Action::Edit => self.edit,
            Action::Delete => self.delete,
        }
    }
}

#[derive(Debug)]
pub struct Row {
    pub part: Part,
    /// The document paths of the part, for people.
    pub paths: &'static str,
    pub back_office: Rights,
    pub technician: Rights,
    /// The refusal code for an add, an edit and a delete the row does not allow.
    pub codes: [&'static str; 3],
}

use Who::{Any, Nobody, Own, OwnOpen};

const NONE: Rights = Rights {
    add: Nobody,
    edit: Nobody,
    delete: Nobody,
};
const EDIT: Rights = Rights {
    add: Nobody,
    edit: Any,
    delete: Nobody,
};
const ADD_OWN: Rights = Rights {
    add: Own,
    edit: Nobody,
    delete: Nobody,
};
const OPEN: Rights = Rights {
    add: OwnOpen,
    edit: OwnOpen,
    delete: OwnOpen,
};

const fn same(code: &'static str) -> [&'static str; 3] {
    [code, code, code]
}

/// Every part of a job. A technician's rights hold only on jobs assigned to them; a new
/// job a technician makes on site is judged as one addition instead (see [`super::check_write`]).
pub const TABLE: [Row; 23] = [
    Row {
        part: Part::Id,
        paths: "id",
        back_office: NONE,
        technician: NONE,
        codes: same("immutable"),
    },
    Row {
        part: Part::SchemaVersion,
        paths: "schema_version",
        back_office: NONE,
        technician: NONE,
        codes: same("immutable"),
    },
    Row {
        part: Part::Origin,
        paths: "origin",
        back_office: EDIT,
        technician: NONE,
        codes: same("job_record"),
    },
    Row {
        part: Part::Complaint,
        paths: "complaint",
        back_office: EDIT,
        technician: NONE,
        codes: same("job_record"),
    },
    Row {
        part: Part::ReportedAt,
        paths: "reported_at",
        back_office: EDIT,
        technician: NONE,
        codes: same("job_record"),
    },
    Row {
        part: Part::Customer,
        paths: "customer.*",
        back_office: EDIT,
        technician: NONE,
        codes: same("customer_record"),
    },
    Row {
        part: Part::Product,
        paths: "product.*",
        back_office: EDIT,
        technician: NONE,
        codes: same("job_record"),
    },
    Row {
        part: Part::Fault,
        paths: "fault",
        back_office: EDIT,
        technician: NONE,
        codes: same("job_record"),
    },
    Row {
        part: Part::Assignee,
        paths: "assignee",
        back_office: EDIT,
        technician: NONE,
        codes: same("reassign"),
    },
    Row {
        part: Part::Classification,
        paths: "feedback_category, responsible_department",
        back_office: EDIT,
        technician: NONE,
        codes: same("classification"),
    },
    Row {
        part: Part::Diagnosis,
        paths: "diagnosis",
        back_office: NONE,
        technician: EDIT,
        codes: same("work_record"),
    },
    Row {
        part: Part::Resolution,
        paths: "resolution",
        back_office: NONE,
        technician: EDIT,
        codes: same("work_record"),
    },
    Row {
        part: Part::LabourMinutes,
        paths: "labour_minutes",
        back_office: NONE,
        technician: EDIT,
        codes: same("work_record"),
    },
    Row {
        part: Part::Events,
        paths: "events[]",
        back_office: ADD_OWN,
        technician: ADD_OWN,
        codes: same("timeline_rewritten"),
    },
    Row {
        part: Part::Reviews,
        paths: "reviews[]",
        back_office: ADD_OWN,
        technician: NONE,
        codes: same("review"),
    },
    Row {
        part: Part::Notes,
        paths: "notes.{id} (but its text)",
        back_office: ADD_OWN,
        technician: ADD_OWN,
        codes: same("note"),
    },
    Row {
        part: Part::NoteText,
        paths: "notes.{id}.text",
        back_office: Rights {
            add: Nobody,
            edit: Own,
            delete: Nobody,
        },
        technician: Rights {
            add: Nobody,
            edit: Own,
            delete: Nobody,
        },
        codes: same("note"),
    },
    Row {
        part: Part::Parts,
        paths: "parts.{id}.*",
        back_office: Rights {
            add: Any,
            edit: Nobody,
            delete: Nobody,
        },
        technician: ADD_OWN,
        codes: same("parts_line"),
    },
    Row {
        part: Part::Forms,
        paths: "forms.{id} (id, template, respondent, by)",
        back_office: ADD_OWN,
        technician: ADD_OWN,
        codes: ["form", "form", "form_deleted"],
    },
    Row {
        part: Part::FormAnswers,
        paths: "forms.{id}.answers.{item}.*",
        back_office: OPEN,
        technician: OPEN,
        codes: same("form_submitted"),
    },
    Row {
        part: Part::FormSuggestion,
        paths: "forms.{id}.suggestion",
        back_office: OPEN,
        technician: OPEN,
        codes: same("form_submitted"),
    },
    Row {
        part: Part::FormSubmission,
        paths: "forms.{id}.submitted_at",
        back_office: OPEN,
        technician: OPEN,
        codes: same("form_submitted"),
    },
    Row {
        part: Part::Attachments,
        paths: "attachments.{sha256}.*",
        back_office: ADD_OWN,
        technician: ADD_OWN,
        codes: same("attachment"),
    },
];

pub fn row(part: Part) -> &'static Row {
    // Every part has exactly one row (a unit test checks it); the first row is a safe
    // fallback that allows nothing.
    TABLE.iter().find(|r| r.part == part).unwrap_or(&TABLE[0])
}

/// One thing a change does to a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub part: Part,
    pub action: Action,
    /// The id of the entry (note, parts line, form, attachment) it is in.
    pub entry: Option<String>,
    /// Where, for the refusal message.
    pub path: String,
}

/// Whether the table lets `actor` do `touch` to a job that was `before`.
///
/// `Own` on an add is about the new entry's `by`, which the value check judges; here it
/// only says that adding is allowed at all.
pub fn judge(actor: &Actor, touch: &Touch, before: &Job) -> Result<(), Refusal> {
    let row = row(touch.part);
    let rights = match actor.role {
        Role::BackOffice => &row.back_office,
        Role::Technician => &row.technician,
        Role::Admin => &NONE,
    };
    let code = row.codes[touch.action as usize];
    let deny = |why: &str| {
        Err(Refusal {
            code,
            message: format!(
                "{} of {} is not allowed for the {} role{why}",
                touch.action.as_str(),
                touch.path,
                actor.role.as_str()
            ),
        })
    };
    let who = rights.of(touch.action);
    match who {
        Nobody => deny(""),
        Any => Ok(()),
        Own | OwnOpen if touch.action == Action::Add && touch.part != Part::FormAnswers => Ok(()),
        Own | OwnOpen => {
            let entry = touch.entry.as_deref().unwrap_or_default();
            let Some((by, open)) = entry_owner(before, touch.part, entry) else {
                return deny(" (no such entry)");
            };
            if by != actor.user_id {
                return Err(Refusal {
                    code: "impersonation",
                    message: format!(
                        "{} of {} is allowed only in your own entries",
                        touch.action.as_str(),
                        touch.path
                    ),
                });
            }
            if who == OwnOpen && !open {
                return deny(" once the form is submitted");
            }
            Ok(())
        }
    }
}

/// Who recorded the entry a part belongs to, and whether it is still open (a form not
/// yet submitted).
fn entry_owner<'j>(job: &'j Job, part: Part, id: &str) -> Option<(&'j str, bool)> {
    match part {
        Part::Notes | Part::NoteText => job.notes.get(id).map(|n| (n.by.as_str(), true)),
        Part::Parts => job.parts.get(id).map(|p| (p.by.as_str(), true)),
        Part::Forms | Part::FormAnswers | Part::FormSuggestion | Part::FormSubmission => {
            job.forms.get(id).map(|f| {
                let open = f.submitted_at.is_none() && f.respondent != "callback";
                (f.by.as_str(), open)
            })
        }
        Part::Attachments => job.attachments.get(id).map(|a| (a.by.as_str(), true)),
        _ => None,
    }
}

fn who_text(who: Who) -> &'static str {
    match who {
        Nobody => "—",
        Any => "any",
        Own => "own",
        OwnOpen => "own, open",
    }
}

fn rights_text(r: &Rights) -> String {
    if r.add == Nobody && r.edit == Nobody && r.delete == Nobody {
        return "never".into();
    }
    format!(
        "add: {} · edit: {} · delete: {}",
        who_text(r.add),
        who_text(r.edit),
        who_text(r.delete)
    )
}

/// The table as Markdown, as README.md shows it (a test keeps the two equal).
pub fn markdown() -> String {
    let mut out = String::from(
        "| path | back office | technician (assigned job) | refusal code |\n|---|---|---|---|\n",
    );
    for row in &TABLE {
        let codes = if row.codes[0] == row.codes[2] {
            format!("`{}`", row.codes[0])
        } else {
            format!("`{}`, delete `{}`", row.codes[0], row.codes[2])
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            row.paths,
            rights_text(&row.back_office),
            rights_text(&row.technician),
            codes
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_has_one_row() {
        for (i, a) in TABLE.iter().enumerate() {
            assert_eq!(
                TABLE.iter().filter(|b| b.part == a.part).count(),
                1,
                "{:?}",
                a.part
            );
            assert!(
                i == 0 || TABLE[i - 1].part < a.part,
                "rows follow Part order"
            );
        }
    }

    #[test]
    fn readme_shows_this_table() {
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains(&markdown()),
            "README.md's ownership table differs from the code; it should read:\n{}",
            markdown()
        );
    }
}
