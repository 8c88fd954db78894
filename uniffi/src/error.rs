//! The one error apps see: its variant is the stable kind to branch on, its message is for
//! people. Built from the client core's error in one place ([`From`] below); it carries no
//! password, token or customer data, because the core's messages carry none.

use onsite_client::ErrorKind;

/// Why a call failed. The variant is the kind (Kotlin `OnsiteException.Network`, Swift
/// `OnsiteError.Network`, Python `OnsiteError.Network`); `reason` is the message for people.
/// (Not called `message`: Kotlin exceptions have a `message` of their own.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum OnsiteError {
    /// Fix the input and try again; nothing was changed.
    #[error("{reason}")]
    InvalidInput { reason: String },
    /// The job (or form, …) is not on this device.
    #[error("{reason}")]
    NotFound { reason: String },
    /// The write policy forbids it; `code` is the policy's stable code (`not_assigned`, …).
    #[error("{reason}")]
    Refused { code: String, reason: String },
    /// Show the sign-in screen; unsynced work stays on the device.
    #[error("{reason}")]
    SignInNeeded { reason: String },
    /// An administrator revoked this device: its data is erased and it is signed out.
    /// Tell the user, then show the sign-in screen.
    #[error("{reason}")]
    DeviceWiped { reason: String },
    /// Offline, or the server cannot be reached: try again later.
    #[error("{reason}")]
    Network { reason: String },
    /// The server answered with an error; `code` is its stable code (`invalid_credentials`, …).
    #[error("{reason}")]
    Server { code: String, reason: String },
    /// The local database failed or holds something unreadable.
    #[error("{reason}")]
    Storage { reason: String },
    /// A bug.
    #[error("{reason}")]
    Internal { reason: String },
}

impl From<onsite_client::Error> for OnsiteError {
    fn from(e: onsite_client::Error) -> Self {
        let reason = e.to_string();
        match e.kind() {
            ErrorKind::InvalidInput => OnsiteError::InvalidInput { reason },
            ErrorKind::NotFound => OnsiteError::NotFound { reason },
            ErrorKind::Refused { code } => OnsiteError::Refused { code, reason },
            ErrorKind::SignInNeeded => OnsiteError::SignInNeeded { reason },
            ErrorKind::DeviceWiped => OnsiteError::DeviceWiped { reason },
            ErrorKind::Network => OnsiteError::Network { reason },
            ErrorKind::Server { code, .. } => OnsiteError::Server { code, reason },
            ErrorKind::Storage => OnsiteError::Storage { reason },
            ErrorKind::Internal => OnsiteError::Internal { reason },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_codes_survive_the_mapping() {
        let e = OnsiteError::from(onsite_client::Error::Server {
            code: "invalid_credentials".into(),
            message: "wrong user name or password".into(),
        });
        assert!(
            matches!(&e, OnsiteError::Server { code, reason }
                if code == "invalid_credentials" && reason.contains("wrong user name")),
            "{e:?}"
        );
        let e = OnsiteError::from(onsite_client::Error::InvalidInput(
            "a note is required".into(),
        ));
        assert_eq!(
            e,
            OnsiteError::InvalidInput {
                reason: "invalid input: a note is required".into()
            }
        );
    }
}
