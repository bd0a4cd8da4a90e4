//! The domain's error: which rule refused an action, which input broke a rule, or why the store
//! could not answer. Adapters map it to their own wording (the client API to Misskey's codes and
//! ids in `api::error`), so the domain knows nothing of HTTP or Misskey's JSON.

/// A rule that refused an action. Each names one refusal as a client would be told of it; where
/// Misskey tells the same refusal differently per action (a blocked reaction and a blocked vote
/// have different ids), the action is part of the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    // Writing a note.
    NoSuchReplyTarget,
    NoSuchRenoteTarget,
    CannotRenoteToPureRenote,
    CannotRenoteDueToVisibility,
    CannotReplyToPureRenote,
    CannotReplyToSpecifiedWithExtendedVisibility,
    /// The author of the reply or renote target blocks the writer.
    BlockedByTargetAuthor,
    PollAlreadyExpired,
    TooManyMentions,
    /// The instance's prohibited words.
    ContainsProhibitedWords,
    /// The instance's words prohibited in display names.
    NameContainsProhibitedWords,
    NoSuchChannel,
    NoSuchFile,
    // Timelines a role policy closes.
    LocalTimelineDisabled,
    HybridTimelineDisabled,
    GlobalTimelineDisabled,
    // Reactions.
    NoSuchNoteToReact,
    NoSuchNoteToUnreact,
    BlockedFromReacting,
    CannotReactToRenote,
    AlreadyReacted,
    NotReacted,
    // Poll votes.
    NoSuchNoteToVote,
    BlockedFromVoting,
    NoPoll,
    PollExpired,
    InvalidChoice,
    AlreadyVoted,
    // Follows.
    AlreadyFollowing,
    FollowingBlockedUser,
    FollowBlocked,
    // Moderation.
    NoSuchUser,
    NoSuchUserToReport,
    CannotReportYourself,
    CannotReportTheAdmin,
    NoSuchReport,
    CannotForwardLocalReport,
    CannotSuspendRoot,
    CannotSuspendModerator,
    CannotResetRootPassword,
    CannotDeleteRoot,
    // Roles.
    NoSuchRole(super::roles::RoleAction),
    NoSuchUserForRole {
        assigning: bool,
    },
    NotAssigned,
    /// Only administrators change who holds this role.
    RoleMembersDenied {
        assigning: bool,
    },
    // Announcements.
    NoSuchAnnouncement {
        deleting: bool,
    },
    NoSuchAnnouncementToShow,
    // Pinned notes.
    NoSuchNoteToPin {
        pinning: bool,
    },
    AlreadyPinned,
    PinLimitExceeded,
    // Drive.
    NoSuchDriveFile(FileAction),
    DriveFileDenied(FileAction),
    NoSuchFolder(FolderAction),
    NoSuchParentFolder,
    RecursiveNesting,
    FolderNotEmpty,
    InvalidFileName(FileAction),
    NoFreeSpace,
    MaxFileSizeExceeded,
    UnallowedFileType,
    /// The owner's role always marks media sensitive: the mark cannot be taken off.
    SensitiveByRole,
    NoSuchAvatar,
    NoSuchBanner,
    AvatarNotImage,
    BannerNotImage,
    // Custom emoji.
    NoSuchEmojiFile,
    NoSuchEmojiFileToUpdate,
    EmojiNotImage,
    DuplicateEmojiName,
    SameNameEmojiExists,
    NoSuchEmojiToUpdate,
    NoSuchEmojiToDelete,
    NoSuchEmojiToCopy,
    NoSuchEmoji,
}

/// What was being done to a drive file when it was refused (Misskey tells each apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileAction {
    Upload,
    Show,
    Update,
    Delete,
    AttachedNotes,
}

/// What was being done with a drive folder when it was not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderAction {
    Upload,
    MoveFile,
    CreateIn,
    Update,
    Delete,
    Show,
}

#[derive(Debug, Clone)]
pub enum Error {
    /// A rule refused the action.
    Refused(Refusal),
    /// An input broke a rule: `param` is its name as clients send it (`visibleUserIds`).
    Invalid { param: &'static str, reason: String },
    /// A dependency cannot answer now (PostgreSQL restarting); worth retrying.
    Unavailable(&'static str),
    /// Anything else: a bug or a broken store. The text is for the log only.
    Internal(String),
}

impl Error {
    pub fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid { param, reason: reason.into() }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Self {
        Error::Refused(r)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Refused(r) => write!(f, "refused: {r:?}"),
            Error::Invalid { param, reason } => write!(f, "invalid {param}: {reason}"),
            Error::Unavailable(what) => write!(f, "unavailable: {what}"),
            Error::Internal(cause) => f.write_str(cause),
        }
    }
}

impl std::error::Error for Error {}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as Db};
        match e {
            // The connection died under the request (PostgreSQL restarting): retryable.
            Db::DatabaseError(DatabaseErrorKind::ClosedConnection, _) | Db::BrokenTransactionManager => {
                Error::Unavailable("postgres unreachable")
            }
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>> for Error {
    fn from(e: deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>) -> Self {
        tracing::warn!(error = %e, "no database connection");
        Error::Unavailable("postgres unreachable")
    }
}
