//! The one API error type, mapped explicitly to HTTP status and Misskey's error body
//! `{"error":{"message","code","id","kind","info"?}}` with Misskey's stable codes and ids.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Client,
    Server,
    Permission,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: Kind,
    pub code: &'static str,
    pub id: &'static str,
    pub message: String,
    pub info: Option<Box<Value>>,
}

impl ApiError {
    pub fn new(
        status: u16,
        kind: Kind,
        code: &'static str,
        id: &'static str,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).expect("valid status"),
            kind,
            code,
            id,
            message: message.into(),
            info: None,
        }
    }

    /// An endpoint-specific client error (HTTP 400), with Misskey's code and id.
    pub fn client(code: &'static str, id: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(400, Kind::Client, code, id, message)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = StatusCode::from_u16(status).expect("valid status");
        self
    }

    /// An app token without the permission the endpoint's `kind` names.
    pub fn permission_denied() -> Self {
        ApiError::new(
            403,
            Kind::Permission,
            "PERMISSION_DENIED",
            "1370e5b7-d4eb-4566-bb1d-7748ee6a1838",
            "Your app does not have the necessary permissions to use this endpoint.",
        )
    }

    /// A `secure` endpoint called with an app token.
    pub fn access_denied() -> Self {
        ApiError::new(
            400,
            Kind::Permission,
            "ACCESS_DENIED",
            "56f35758-7dd5-468b-8439-5d6fb8ec9b8e",
            "This endpoint is only available to the official client.",
        )
    }

    pub fn role_denied(moderator: bool) -> Self {
        let id = if moderator {
            "d33d5333-db36-423d-a8f9-1a2b9549da41"
        } else {
            "c3d38592-54c0-429d-be96-5636b0431a61"
        };
        ApiError::new(
            403,
            Kind::Permission,
            "ROLE_PERMISSION_DENIED",
            id,
            "You are not assigned to a required role.",
        )
    }

    /// A role policy forbids the action (e.g. local timeline unavailable).
    pub fn policy_denied() -> Self {
        ApiError::new(
            403,
            Kind::Permission,
            "ROLE_PERMISSION_DENIED",
            "7f86f06f-7e15-4057-8561-f4b6d4ac755a",
            "You are not assigned to a required role.",
        )
    }

    pub fn suspended() -> Self {
        ApiError::new(
            403,
            Kind::Permission,
            "YOUR_ACCOUNT_SUSPENDED",
            "a8c724b3-6e9c-4b46-b1a8-bc3ed6258370",
            "Your account has been suspended.",
        )
    }

    pub fn rate_limited(reset_ms: u64) -> Self {
        ApiError::new(
            429,
            Kind::Client,
            "RATE_LIMIT_EXCEEDED",
            "d5826d14-3982-4d2e-8011-b9e9f02499ef",
            "Rate limit exceeded. Please try again later.",
        )
        .with_info(json!({ "resetMs": reset_ms, "resetSec": reset_ms.div_ceil(1000) }))
    }

    pub fn with_info(mut self, info: Value) -> Self {
        self.info = Some(Box::new(info));
        self
    }

    pub fn invalid_param(param: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        ApiError::new(
            400,
            Kind::Client,
            "INVALID_PARAM",
            "3d81ceae-475f-4600-b2a8-2bc116157532",
            "Invalid param.",
        )
        .with_info(json!({ "param": param, "reason": reason }))
    }

    /// A request body over the limit (`limit` bytes).
    pub fn payload_too_large(limit: usize) -> Self {
        ApiError::new(
            413,
            Kind::Client,
            "PAYLOAD_TOO_LARGE",
            "0e6e6b7e-4f4c-4a3f-9a54-5d3e1e6f2a17",
            format!("The request body is larger than {limit} bytes."),
        )
    }

    pub fn unknown_endpoint() -> Self {
        ApiError::new(
            404,
            Kind::Client,
            "UNKNOWN_API_ENDPOINT",
            "2ca3b769-540a-4f08-9dd5-b5a825b6d0f1",
            "Unknown API endpoint.",
        )
    }

    pub fn credential_required() -> Self {
        ApiError::new(
            401,
            Kind::Client,
            "CREDENTIAL_REQUIRED",
            "1384574d-a912-4b81-8601-c7b1c4085df1",
            "Credential required.",
        )
    }

    pub fn authentication_failed() -> Self {
        ApiError::new(
            401,
            Kind::Client,
            "AUTHENTICATION_FAILED",
            "b0a7f5f8-dc2f-4171-b91f-de88ad238e14",
            "Authentication failed. Please ensure your token is correct.",
        )
    }

    /// The server cannot serve API calls right now (dependency down, migrating, draining).
    pub fn unavailable(reason: &str) -> Self {
        ApiError::new(
            503,
            Kind::Server,
            "SERVICE_UNAVAILABLE",
            "a9f8e4c2-4d1e-4f7a-9d3b-6c2e1b0a5f31",
            format!("The server is temporarily unavailable ({reason}). Please retry shortly."),
        )
        .with_info(json!({ "reason": reason }))
    }

    /// An unexpected failure: logged with a fresh id, never shown to the client beyond that id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let log_id = uuid_v4();
        tracing::error!(error_id = %log_id, error = %cause, "internal error");
        ApiError::new(
            500,
            Kind::Server,
            "INTERNAL_ERROR",
            "5d37dbcb-891e-41ca-a3d6-e690c97775ac",
            "Internal error occurred. Please contact us if the error persists.",
        )
        .with_info(json!({ "e": { "message": "internal error", "code": "INTERNAL_ERROR", "id": log_id } }))
    }

    pub fn body(&self) -> Value {
        let kind = match self.kind {
            Kind::Client => "client",
            Kind::Server => "server",
            Kind::Permission => "permission",
        };
        let mut e = json!({ "message": self.message, "code": self.code, "id": self.id, "kind": kind });
        if let Some(info) = &self.info {
            e["info"] = (**info).clone();
        }
        json!({ "error": e })
    }
}

/// A random RFC 4122 version 4 UUID string.
pub fn uuid_v4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header(("WWW-Authenticate", "Bearer realm=\"Misskey\", error=\"invalid_token\""));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header(("Retry-After", "1"));
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            let secs = self.info.as_ref().and_then(|i| i["resetSec"].as_u64()).unwrap_or(1);
            res.insert_header(("Retry-After", secs.to_string()));
        }
        res.json(self.body())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            // The connection died under the request (PostgreSQL restarting): retryable.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | Error::BrokenTransactionManager => ApiError::unavailable("postgres unreachable"),
            other => ApiError::internal(other),
        }
    }
}

impl From<deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>> for ApiError {
    fn from(e: deadpool::managed::PoolError<diesel_async::pooled_connection::PoolError>) -> Self {
        tracing::warn!(error = %e, "no database connection");
        ApiError::unavailable("postgres unreachable")
    }
}

impl From<crate::domain::Error> for ApiError {
    fn from(e: crate::domain::Error) -> Self {
        use crate::domain::Error;
        match e {
            Error::Refused(r) => refusal(r),
            Error::Invalid { param, reason } => ApiError::invalid_param(param, reason),
            Error::Unavailable(what) => ApiError::unavailable(what),
            Error::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// Misskey's code, id and message for each refusal of the domain's rules.
fn refusal(r: crate::domain::Refusal) -> ApiError {
    use crate::domain::Refusal::*;
    use crate::domain::{FileAction, FolderAction};
    let (code, id, message) = match r {
        NoSuchReplyTarget => {
            ("NO_SUCH_REPLY_TARGET", "749ee0f6-d3da-459a-bf02-282e2da4292c", "No such reply target.")
        }
        NoSuchRenoteTarget => {
            ("NO_SUCH_RENOTE_TARGET", "b5c90186-4ab0-49c8-9bba-a1f76c282ba4", "No such renote target.")
        }
        CannotRenoteToPureRenote => (
            "CANNOT_RENOTE_TO_A_PURE_RENOTE",
            "fd4cc33e-2a37-48dd-99cc-9b806eb2031a",
            "You can not renote a pure renote.",
        ),
        CannotRenoteDueToVisibility => (
            "CANNOT_RENOTE_DUE_TO_VISIBILITY",
            "be9529e9-fe72-4de0-ae43-0b363c4938af",
            "You can not renote this note due to its visibility.",
        ),
        CannotReplyToPureRenote => (
            "CANNOT_REPLY_TO_A_PURE_RENOTE",
            "3ac74a84-8fd5-4bb0-870f-01804f82ce15",
            "You can not reply to a pure renote.",
        ),
        CannotReplyToSpecifiedWithExtendedVisibility => (
            "CANNOT_REPLY_TO_SPECIFIED_VISIBILITY_NOTE_WITH_EXTENDED_VISIBILITY",
            "ed940410-535c-4d5e-bfa3-af798671e93c",
            "You can not reply to a specified visibility note with extended visibility.",
        ),
        BlockedByTargetAuthor => (
            "YOU_HAVE_BEEN_BLOCKED",
            "b390d7e1-8a5e-46ed-b625-06271cafd3d3",
            "You have been blocked by this user.",
        ),
        PollAlreadyExpired => (
            "CANNOT_CREATE_ALREADY_EXPIRED_POLL",
            "04da457d-b083-4055-9082-955525eda5a5",
            "Poll is already expired.",
        ),
        TooManyMentions => (
            "CONTAINS_TOO_MANY_MENTIONS",
            "4de0363a-3046-481b-9b0f-feff3e211025",
            "Cannot post because it exceeds the allowed number of mentions.",
        ),
        NoSuchChannel => ("NO_SUCH_CHANNEL", "b1653923-5453-4edc-b786-7c4f39bb0bbb", "No such channel."),
        NoSuchFile => ("NO_SUCH_FILE", "b6992544-63e7-67f0-fa7f-32444b1b5306", "Some files are not found."),
        LocalTimelineDisabled => {
            ("LTL_DISABLED", "45a6eb02-7695-4393-b023-dd3be9aaaefd", "Local timeline has been disabled.")
        }
        HybridTimelineDisabled => {
            ("STL_DISABLED", "620763f4-f621-4533-ab33-0577a1a3c342", "Hybrid timeline has been disabled.")
        }
        GlobalTimelineDisabled => {
            ("GTL_DISABLED", "0332fc13-6ab2-4427-ae80-a9fadffd1a6b", "Global timeline has been disabled.")
        }
        NoSuchNoteToReact => ("NO_SUCH_NOTE", "033d0620-5bfe-4027-965d-980b0c85a3ea", "No such note."),
        NoSuchNoteToUnreact => ("NO_SUCH_NOTE", "764d9fce-f9f2-4a0e-92b1-6ceac9a7ad37", "No such note."),
        BlockedFromReacting => (
            "YOU_HAVE_BEEN_BLOCKED",
            "20ef5475-9f38-4e4c-bd33-de6d979498ec",
            "You cannot react this note because you have been blocked by this user.",
        ),
        CannotReactToRenote => {
            ("CANNOT_REACT_TO_RENOTE", "eaccdc08-ddef-43fe-908f-d108faad57f5", "You cannot react to Renote.")
        }
        AlreadyReacted => (
            "ALREADY_REACTED",
            "71efcf98-86d6-4e2b-b2ad-9d032369366b",
            "You are already reacting to that note.",
        ),
        NotReacted => {
            ("NOT_REACTED", "92f4426d-4196-4125-aa5b-02943e2ec8fc", "You are not reacting to that note.")
        }
        NoSuchNoteToVote => ("NO_SUCH_NOTE", "ecafbd2e-c283-4d6d-aecb-1a0a33b75396", "No such note."),
        BlockedFromVoting => (
            "YOU_HAVE_BEEN_BLOCKED",
            "85a5377e-b1e9-4617-b0b9-5bea73331e49",
            "You cannot vote this poll because you have been blocked by this user.",
        ),
        NoPoll => ("NO_POLL", "5f979967-52d9-4314-a911-1c673727f92f", "The note does not attach a poll."),
        PollExpired => {
            ("ALREADY_EXPIRED", "1022a357-b085-4054-9083-8f8de358337e", "The poll is already expired.")
        }
        InvalidChoice => ("INVALID_CHOICE", "e0cc9a04-f2e8-41e4-a5f1-4127293260cc", "Choice ID is invalid."),
        AlreadyVoted => ("ALREADY_VOTED", "0963fc77-efac-419b-9424-b391608dc6d8", "You have already voted."),
        AlreadyFollowing => (
            "ALREADY_FOLLOWING",
            "35387507-38c7-4cb9-9197-300b93783fa0",
            "You are already following that user.",
        ),
        FollowingBlockedUser => {
            ("BLOCKING", "4e2206ec-aa4f-4960-b865-6c23ac38e2d9", "You are blocking that user.")
        }
        FollowBlocked => ("BLOCKED", "c4ab57cc-4e41-45e9-bfd9-584f61e35ce0", "You are blocked by that user."),
        NoSuchUser => ("NO_SUCH_USER", "88d582a4-7d43-4c8f-a1d4-bd8e9d8c5b7f", "No such user."),
        NoSuchUserToReport => ("NO_SUCH_USER", "1acefcb5-0959-43fd-9685-b48305736cb5", "No such user."),
        CannotReportYourself => {
            ("CANNOT_REPORT_YOURSELF", "1e13149e-b1e8-43cf-902e-c01dbfcb202f", "Cannot report yourself.")
        }
        CannotReportTheAdmin => {
            ("CANNOT_REPORT_THE_ADMIN", "35e166f5-05fb-4f87-a2d5-adb42676d48f", "Cannot report the admin.")
        }
        NoSuchReport => ("NO_SUCH_REPORT", "ac3794dd-2ce4-d878-e546-73c60c06b398", "No such report."),
        CannotForwardLocalReport => (
            "CANNOT_FORWARD_LOCAL_REPORT",
            "4c1e9a58-5a42-4d0e-9d7e-0d3e58d7a4b1",
            "Only a report about a remote user can go to its server.",
        ),
        CannotSuspendRoot => (
            "CANNOT_SUSPEND_ROOT",
            "2b0b5a7c-1a36-4c4e-8f6e-4b4f1c7d2f10",
            "The root account cannot be suspended.",
        ),
        CannotSuspendModerator => (
            "CANNOT_SUSPEND_MODERATOR",
            "6f1e6d0c-9d0a-4a55-8f3e-2f2f8b1d6c22",
            "Moderators and administrators cannot be suspended.",
        ),
        CannotDeleteRoot => (
            "CANNOT_DELETE_ROOT",
            "3f1c2b4e-7d6a-4f0e-9a2b-8c5d1e6f7a44",
            "The root account cannot be deleted.",
        ),
        CannotResetRootPassword => (
            "CANNOT_RESET_ROOT_PASSWORD",
            "8e8c5b7e-3a0a-4f44-9b3c-0a9a2f7b5d33",
            "The root account's password is reset on the server's command line.",
        ),
        NoSuchDriveFile(action) => {
            let id = match action {
                FileAction::Show => "067bc436-2718-4795-b0fb-ecbe43949e31",
                FileAction::Update => "e7778c7e-3af9-49cd-9690-6dbc3e6c972d",
                FileAction::Delete => "908939ec-e52b-4458-b395-1025195cea58",
                FileAction::AttachedNotes => "c118ece3-2e4b-4296-99d1-51756e32d232",
                FileAction::Upload => "b6992544-63e7-67f0-fa7f-32444b1b5306",
            };
            ("NO_SUCH_FILE", id, "No such file.")
        }
        DriveFileDenied(action) => {
            let id = match action {
                FileAction::Update => "01a53b27-82fc-445b-a0c1-b558465a8ed2",
                FileAction::Delete => "5eb8d909-2540-4970-90b8-dd6f86088121",
                _ => "25b73c73-68b1-41d0-bad1-381cfdf6579f",
            };
            ("ACCESS_DENIED", id, "Access denied.")
        }
        NoSuchNoteToPin { pinning: true } => {
            ("NO_SUCH_NOTE", "56734f8b-3928-431e-bf80-6ff87df40cb3", "No such note.")
        }
        NoSuchNoteToPin { pinning: false } => {
            ("NO_SUCH_NOTE", "454170ce-9d63-4a43-9da1-ea10afe81e21", "No such note.")
        }
        AlreadyPinned => {
            ("ALREADY_PINNED", "8b18c2b7-68fe-4edb-9892-c0cbaeb6c913", "That note has already been pinned.")
        }
        ContainsProhibitedWords => (
            "CONTAINS_PROHIBITED_WORDS",
            "aa6e01d3-a85c-669d-758a-76aab43af334",
            "Cannot post because it contains prohibited words.",
        ),
        NameContainsProhibitedWords => (
            "YOUR_NAME_CONTAINS_PROHIBITED_WORDS",
            "0b3f9f6a-2f4d-4b1f-9fb4-49d3a2fd7191",
            "Your new name contains prohibited words.",
        ),
        NoSuchRole(action) => {
            use crate::domain::roles::RoleAction::*;
            let id = match action {
                Show => "07dc7d34-c0d8-49b7-96c6-db3ce64ee0b3",
                Update => "cd23ef55-09ad-428a-ac61-95a45e124b32",
                Delete => "de0d6ecd-8e0a-4253-88ff-74bc89ae3d45",
                Assign => "6503c040-6af4-4ed9-bf07-f2dd16678eab",
                Unassign => "6e519036-a70d-4c76-b679-bc8fb18194e2",
                Members => "224eff5e-2488-4b18-b3e7-f50d94421648",
                PublicShow => "de5502bf-009a-4639-86c1-fec349e46dcb",
                PublicMembers => "30aaaee3-4792-48dc-ab0d-cf501a575ac5",
                PublicNotes => "eb70323a-df61-4dd4-ad90-89c83c7cf26e",
            };
            ("NO_SUCH_ROLE", id, "No such role.")
        }
        NoSuchUserForRole { assigning: true } => {
            ("NO_SUCH_USER", "558ea170-f653-4700-94d0-5a818371d0df", "No such user.")
        }
        NoSuchUserForRole { assigning: false } => {
            ("NO_SUCH_USER", "2b730f78-1179-461b-88ad-d24c9af1a5ce", "No such user.")
        }
        NotAssigned => ("NOT_ASSIGNED", "b9060ac7-5c94-4da4-9f55-2047c953df44", "Not assigned."),
        RoleMembersDenied { assigning: true } => (
            "ACCESS_DENIED",
            "25b5bc31-dc79-4ebd-9bd2-c84978fd052c",
            "Only administrators change who holds this role.",
        ),
        RoleMembersDenied { assigning: false } => (
            "ACCESS_DENIED",
            "24636eee-e8c1-493e-94b2-e16ad401e262",
            "Only administrators change who holds this role.",
        ),
        NoSuchAnnouncement { deleting: false } => {
            ("NO_SUCH_ANNOUNCEMENT", "d3aae5a7-6372-4cb4-b61c-f511ffc2d7cc", "No such announcement.")
        }
        NoSuchAnnouncement { deleting: true } => {
            ("NO_SUCH_ANNOUNCEMENT", "ecad8040-a276-4e85-bda9-015a708d291e", "No such announcement.")
        }
        NoSuchAnnouncementToShow => {
            ("NO_SUCH_ANNOUNCEMENT", "b57b5e1d-4f49-404a-9edb-46b00268f121", "No such announcement.")
        }
        PinLimitExceeded => {
            ("PIN_LIMIT_EXCEEDED", "72dab508-c64d-498f-8740-a8eec1ba385a", "You can not pin notes any more.")
        }
        NoSuchFolder(action) => {
            let id = match action {
                FolderAction::MoveFile => "ea8fb7a5-af77-4a08-b608-c0218176cd73",
                FolderAction::CreateIn => "53326628-a00d-40a6-a3cd-8975105c0f95",
                FolderAction::Update => "f7974dac-2c0d-4a27-926e-23583b28e98e",
                FolderAction::Delete => "1069098f-c281-440f-b085-f9932edbe091",
                FolderAction::Show => "d74ab9eb-bb09-4bba-bf24-fb58f761e1e9",
                FolderAction::Upload => "3b1e8a4f-7d2c-4c6a-9e0f-5a8d2b7c1e90",
            };
            ("NO_SUCH_FOLDER", id, "No such folder.")
        }
        NoSuchParentFolder => {
            ("NO_SUCH_PARENT_FOLDER", "ce104e3a-faaf-49d5-b459-10ff0cbbcaa1", "No such parent folder.")
        }
        RecursiveNesting => (
            "RECURSIVE_NESTING",
            "dbeb024837894013aed44279f9199740",
            "It can not be structured like nesting folders recursively.",
        ),
        FolderNotEmpty => (
            "HAS_CHILD_FILES_OR_FOLDERS",
            "b0fc8a17-963c-405d-bfbc-859a487295e1",
            "This folder has child files or folders.",
        ),
        InvalidFileName(action) => {
            let id = match action {
                FileAction::Update => "395e7156-f9f0-475e-af89-53c3c23080c2",
                _ => "f449b209-0c60-4e51-84d5-29486263bfd4",
            };
            ("INVALID_FILE_NAME", id, "Invalid file name.")
        }
        NoFreeSpace => (
            "NO_FREE_SPACE",
            "d08dbc37-a6a9-463a-8c47-96c32ab5f064",
            "Cannot upload the file because you have no free space of drive.",
        ),
        MaxFileSizeExceeded => {
            return ApiError::client(
                "MAX_FILE_SIZE_EXCEEDED",
                "b9d8c348-33f0-4673-b9a9-5d4da058977a",
                "Cannot upload the file because it exceeds the maximum file size.",
            )
            .with_status(413)
        }
        UnallowedFileType => (
            "UNALLOWED_FILE_TYPE",
            "4becd248-7f2c-48c4-a9f0-75edc4f9a1ea",
            "Cannot upload the file because it is an unallowed file type.",
        ),
        SensitiveByRole => (
            "RESTRICTED_BY_ROLE",
            "7f59dccb-f465-75ab-5cf4-3ce44e3282f7",
            "This feature is restricted by your role.",
        ),
        NoSuchAvatar => ("NO_SUCH_AVATAR", "539f3a45-f215-4f81-a9a8-31293640207f", "No such avatar file."),
        NoSuchBanner => ("NO_SUCH_BANNER", "0d8f5629-f210-41c2-9433-735831a58595", "No such banner file."),
        AvatarNotImage => (
            "AVATAR_NOT_AN_IMAGE",
            "f419f9f8-2f4d-46b1-9fb4-49d3a2fd7191",
            "The file specified as an avatar is not an image.",
        ),
        NoSuchEmojiFile => ("NO_SUCH_FILE", "fc46b5a4-6b92-4c33-ac66-b806659bb5cf", "No such file."),
        NoSuchEmojiFileToUpdate => ("NO_SUCH_FILE", "14fb9fd9-0731-4e2f-aeb9-f09e4740333d", "No such file."),
        EmojiNotImage => {
            ("UNSUPPORTED_FILE_TYPE", "f7599d96-8750-af68-1633-9575d625c1a7", "Unsupported file type.")
        }
        DuplicateEmojiName => ("DUPLICATE_NAME", "f7a3462c-4e6e-4069-8421-b9bd4f4c3975", "Duplicate name."),
        SameNameEmojiExists => (
            "SAME_NAME_EMOJI_EXISTS",
            "7180fe9d-1ee3-bff9-647d-fe9896d2ffb8",
            "Emoji that have same name already exists.",
        ),
        NoSuchEmojiToUpdate => ("NO_SUCH_EMOJI", "684dec9d-a8c2-4364-9aa8-456c49cb1dc8", "No such emoji."),
        NoSuchEmojiToDelete => ("NO_SUCH_EMOJI", "be83669b-773a-44b7-b1f8-e5e5170ac3c2", "No such emoji."),
        NoSuchEmojiToCopy => ("NO_SUCH_EMOJI", "e2785b66-dca3-4087-9cac-b93c541cc425", "No such emoji."),
        NoSuchEmoji => ("NO_SUCH_EMOJI", "6a5e3be7-5ac3-44a6-a425-9937cd66f8e3", "No such emoji."),
        BannerNotImage => (
            "BANNER_NOT_AN_IMAGE",
            "75aedb19-2afd-4e6d-87fc-67941256fa60",
            "The file specified as a banner is not an image.",
        ),
    };
    let e = ApiError::client(code, id, message);
    match r {
        NameContainsProhibitedWords => e.with_status(422),
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_misskey_shape() {
        let b = ApiError::invalid_param("limit", "must be <= 100").body();
        assert_eq!(b["error"]["code"], "INVALID_PARAM");
        assert_eq!(b["error"]["kind"], "client");
        assert_eq!(b["error"]["info"]["param"], "limit");
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }
}
