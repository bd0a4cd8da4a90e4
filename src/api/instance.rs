//! The administrator's view and change of the instance settings: `admin/meta` and
//! `admin/update-meta`.

use super::endpoint::{Ctx, Out};
use super::params::AtMost;
use super::ApiError;
use crate::domain::settings::{camel, list_setting, text_setting, TextKind};
use crate::domain::{users as dom_users, words};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

/// The settings kept as they are given, with their Misskey name in camelCase: shown by `meta`
/// and `admin/meta` alike (each adds a few of its own).
pub const SHOWN: &[&str] = &[
    "name",
    "short_name",
    "description",
    "maintainer_name",
    "maintainer_email",
    "icon_url",
    "banner_url",
    "background_image_url",
    "server_error_image_url",
    "info_image_url",
    "not_found_image_url",
    "theme_color",
    "tos_url",
    "privacy_policy_url",
    "impressum_url",
    "inquiry_url",
    "repository_url",
    "feedback_url",
    "default_light_theme",
    "default_dark_theme",
];

/// Writes the [`SHOWN`] settings of the stored row (`db::meta::settings`) and the `more`
/// columns into `out`.
pub fn show(settings: &Value, more: &[&str], out: &mut Value) {
    for col in SHOWN.iter().chain(more) {
        out[camel(col)] = settings.get(*col).cloned().unwrap_or(Value::Null);
    }
}

fn list(settings: &Value, col: &str) -> Value {
    settings.get(col).filter(|v| v.is_array()).cloned().unwrap_or_else(|| json!([]))
}

#[derive(Deserialize, JsonSchema)]
pub struct NoParams {}

/// Everything an administrator sees of the instance (AdminMetaResponse). Features this server
/// does not have (captcha, e-mail, push, translation, URL previews, ads, charts) are reported
/// off; object storage and the federation mode as the configuration file sets them (they are
/// changed there, not here); the blocked and silenced hosts as set here (the configuration
/// file's apply as well); secrets are never answered.
pub async fn admin_meta(ctx: Ctx, _p: NoParams) -> Result<Out, ApiError> {
    let mut conn = ctx.db().await?;
    let m = crate::db::meta::settings(&mut conn).await?;
    let proxy = dom_users::instance_actor_id(&mut conn).await?;
    let config = &ctx.state.config;
    let url = &config.url;
    let s3 = &config.drive.s3;
    let fed = &config.federation;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let federation = match fed.mode {
        crate::config::FederationMode::All => "all",
        crate::config::FederationMode::Specified => "specified",
        crate::config::FederationMode::None => "none",
    };
    let mut out = json!({
        "cacheRemoteFiles": false,
        "cacheRemoteSensitiveFiles": false,
        "emailRequiredForSignup": false,
        "enableHcaptcha": false, "hcaptchaSiteKey": null, "hcaptchaSecretKey": null,
        "enableMcaptcha": false, "mcaptchaSiteKey": null, "mcaptchaInstanceUrl": null, "mcaptchaSecretKey": null,
        "enableRecaptcha": false, "recaptchaSiteKey": null, "recaptchaSecretKey": null,
        "enableTurnstile": false, "turnstileSiteKey": null, "turnstileSecretKey": null,
        "enableTestcaptcha": false,
        "googleAnalyticsMeasurementId": null,
        "swPublickey": null,
        "swPrivateKey": null,
        "mascotImageUrl": m.get("mascot_image_url").filter(|v| !v.is_null()).cloned()
            .unwrap_or_else(|| json!(format!("{url}/assets/ai.png"))),
        "enableEmail": false,
        "enableServiceWorker": false,
        "translatorAvailable": false,
        "silencedHosts": list(&m, "silenced_hosts"),
        "mediaSilencedHosts": [],
        "pinnedUsers": list(&m, "pinned_users"),
        "hiddenTags": list(&m, "hidden_tags"),
        "blockedHosts": list(&m, "blocked_hosts"),
        "sensitiveWords": list(&m, "sensitive_words"),
        "prohibitedWords": list(&m, "prohibited_words"),
        "prohibitedWordsForNameOfUser": list(&m, "prohibited_words_for_name_of_user"),
        "bannedEmailDomains": [],
        "preservedUsernames": list(&m, "preserved_usernames"),
        "sensitiveMediaDetection": "none",
        "sensitiveMediaDetectionSensitivity": "medium",
        "setSensitiveFlagAutomatically": false,
        "enableSensitiveMediaDetectionForVideos": false,
        "proxyAccountId": proxy,
    });
    // Split in two for the macro's recursion limit.
    let more = json!({
        "email": null, "smtpSecure": false, "smtpHost": null, "smtpPort": null, "smtpUser": null, "smtpPass": null,
        "useObjectStorage": !s3.endpoint.is_empty(),
        "objectStorageBaseUrl": opt(&s3.public_url),
        "objectStorageBucket": opt(&s3.bucket),
        "objectStoragePrefix": opt(&s3.prefix),
        "objectStorageEndpoint": opt(&s3.endpoint),
        "objectStorageRegion": opt(&s3.region),
        "objectStoragePort": null,
        "objectStorageAccessKey": opt(&s3.access_key),
        "objectStorageSecretKey": null,
        "objectStorageUseSSL": s3.endpoint.starts_with("https:"),
        "objectStorageUseProxy": false,
        "objectStorageSetPublicRead": s3.public_read,
        "objectStorageS3ForcePathStyle": s3.path_style,
        "enableIpLogging": false,
        "enableActiveEmailValidation": false,
        "enableVerifymailApi": false, "verifymailAuthKey": null,
        "enableTruemailApi": false, "truemailInstance": null, "truemailAuthKey": null,
        "enableChartsForRemoteUser": false,
        "enableChartsForFederatedInstances": false,
        "enableStatsForFederatedInstances": true,
        "enableServerMachineStats": false,
        "enableIdenticonGeneration": false,
        "manifestJsonOverride": "{}",
        "policies": serde_json::to_value(&*ctx.state.policies.get(&ctx.state.db).await?).map_err(ApiError::internal)?,
        "enableFanoutTimeline": false,
        "enableFanoutTimelineDbFallback": true,
        "perLocalUserUserTimelineCacheMax": 0,
        "perRemoteUserUserTimelineCacheMax": 0,
        "perUserHomeTimelineCacheMax": 0,
        "perUserListTimelineCacheMax": 0,
        "enableReactionsBuffering": false,
        "notesPerOneAd": 0,
        "deeplAuthKey": null,
        "deeplIsPro": false,
        "clientOptions": super::meta::CLIENT_OPTIONS.clone(),
        "disableRegistration": m.get("disable_registration").cloned().unwrap_or(json!(true)),
        "summalyProxy": null,
        "uri": url,
        "version": crate::VERSION,
        "urlPreviewEnabled": false,
        "urlPreviewAllowRedirect": false,
        "urlPreviewTimeout": 10000,
        "urlPreviewMaximumContentLength": 10485760,
        "urlPreviewRequireContentLength": true,
        "urlPreviewUserAgent": null,
        "urlPreviewSummaryProxyUrl": null,
        "federation": federation,
        "federationHosts": fed.allowed_hosts,
        "deliverSuspendedSoftware": [],
        "singleUserMode": false,
        "ugcVisibilityForVisitor": "all",
        "proxyRemoteFiles": true,
        "signToActivityPubGet": true,
        "allowExternalApRedirect": true,
        "enableRemoteNotesCleaning": false,
        "remoteNotesCleaningExpiryDaysForEachNotes": 90,
        "remoteNotesCleaningMaxProcessingDurationInMinutes": 60,
        "showRoleBadgesOfRemoteUsers": false,
    });
    if let (Some(o), Value::Object(more)) = (out.as_object_mut(), more) {
        o.extend(more);
    }
    show(&m, &["app192_icon_url", "app512_icon_url"], &mut out);
    Ok(out.into())
}

/// The settings an administrator changes here. Other `admin/update-meta` fields of Misskey are
/// accepted and ignored: their features are off on this server, or set in the configuration
/// file (object storage, the federation mode and its allowed hosts).
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateMetaParams {
    disable_registration: Option<bool>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    short_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    maintainer_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    maintainer_email: Option<Option<String>>,
    #[schemars(inner(length(max = 32)))]
    langs: Option<AtMost<64, String>>,
    /// http(s) URLs; null or "" removes one.
    #[serde(default, deserialize_with = "super::params::nullable")]
    icon_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    app192_icon_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    app512_icon_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    banner_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    background_image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    logo_image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    mascot_image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    server_error_image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    info_image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    not_found_image_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    tos_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    privacy_policy_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    impressum_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    inquiry_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    repository_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    feedback_url: Option<Option<String>>,
    /// `#rgb` or `#rrggbb` (with alpha too).
    #[serde(default, deserialize_with = "super::params::nullable")]
    theme_color: Option<Option<String>>,
    /// A theme as its JSON5 text.
    #[serde(default, deserialize_with = "super::params::nullable")]
    default_light_theme: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::params::nullable")]
    default_dark_theme: Option<Option<String>>,
    /// Shown to people signing up.
    server_rules: Option<AtMost<100, String>>,
    /// Users recommended to newcomers, as `@name` or `@name@host`.
    pinned_users: Option<AtMost<100, String>>,
    /// Hashtags left out of trends.
    hidden_tags: Option<AtMost<1000, String>>,
    /// Usernames only an administrator may hand out.
    preserved_usernames: Option<AtMost<1000, String>>,
    /// Words that keep a public note out of the public timelines: `word word` (all must occur)
    /// or `/regexp/flags`.
    sensitive_words: Option<AtMost<1000, String>>,
    /// Words that refuse a note, local or remote (same forms).
    prohibited_words: Option<AtMost<1000, String>>,
    /// Words a display name may not hold (staff excepted).
    prohibited_words_for_name_of_user: Option<AtMost<1000, String>>,
    /// Servers not federated with (each a host name, its subdomains included), beside those of
    /// the configuration file's `blocked_hosts`. Takes effect in every process within seconds.
    #[schemars(inner(length(max = 253)))]
    blocked_hosts: Option<AtMost<10000, String>>,
    /// Servers whose users' public notes stay off the public timelines and whose follows need
    /// approval (host names as above), beside the configuration file's `silenced_hosts`.
    #[schemars(inner(length(max = 253)))]
    silenced_hosts: Option<AtMost<10000, String>>,
}

pub async fn update_meta(ctx: Ctx, p: UpdateMetaParams) -> Result<Out, ApiError> {
    let mut cols: Vec<(&str, Value)> = vec![];
    if let Some(v) = p.disable_registration {
        cols.push(("disable_registration", json!(v)));
    }
    use TextKind::{Color, Text, Url};
    for (col, param, v, kind) in [
        ("name", "name", &p.name, Text(1024)),
        ("short_name", "shortName", &p.short_name, Text(64)),
        ("description", "description", &p.description, Text(8192)),
        ("maintainer_name", "maintainerName", &p.maintainer_name, Text(1024)),
        ("maintainer_email", "maintainerEmail", &p.maintainer_email, Text(1024)),
        ("icon_url", "iconUrl", &p.icon_url, Url),
        ("app192_icon_url", "app192IconUrl", &p.app192_icon_url, Url),
        ("app512_icon_url", "app512IconUrl", &p.app512_icon_url, Url),
        ("banner_url", "bannerUrl", &p.banner_url, Url),
        ("background_image_url", "backgroundImageUrl", &p.background_image_url, Url),
        ("logo_image_url", "logoImageUrl", &p.logo_image_url, Url),
        ("mascot_image_url", "mascotImageUrl", &p.mascot_image_url, Url),
        ("server_error_image_url", "serverErrorImageUrl", &p.server_error_image_url, Url),
        ("info_image_url", "infoImageUrl", &p.info_image_url, Url),
        ("not_found_image_url", "notFoundImageUrl", &p.not_found_image_url, Url),
        ("tos_url", "tosUrl", &p.tos_url, Url),
        ("privacy_policy_url", "privacyPolicyUrl", &p.privacy_policy_url, Url),
        ("impressum_url", "impressumUrl", &p.impressum_url, Url),
        ("inquiry_url", "inquiryUrl", &p.inquiry_url, Url),
        ("repository_url", "repositoryUrl", &p.repository_url, Url),
        ("feedback_url", "feedbackUrl", &p.feedback_url, Url),
        ("theme_color", "themeColor", &p.theme_color, Color),
        ("default_light_theme", "defaultLightTheme", &p.default_light_theme, Text(32768)),
        ("default_dark_theme", "defaultDarkTheme", &p.default_dark_theme, Text(32768)),
    ] {
        if let Some(v) = v {
            cols.push((col, json!(text_setting(param, v.as_deref(), kind)?)));
        }
    }
    if let Some(l) = &p.langs {
        let l = list_setting("langs", &l.0, 64, 32)?;
        cols.push(("lang_default", json!(l.first())));
    }
    for (col, param, v, chars) in [
        ("server_rules", "serverRules", p.server_rules.as_ref().map(|v| &v.0), 1000),
        ("pinned_users", "pinnedUsers", p.pinned_users.as_ref().map(|v| &v.0), 300),
        ("hidden_tags", "hiddenTags", p.hidden_tags.as_ref().map(|v| &v.0), 128),
        ("preserved_usernames", "preservedUsernames", p.preserved_usernames.as_ref().map(|v| &v.0), 128),
    ] {
        if let Some(v) = v {
            cols.push((col, json!(list_setting(param, v, usize::MAX, chars)?)));
        }
    }
    for (col, param, v) in [
        ("prohibited_words", "prohibitedWords", &p.prohibited_words),
        ("sensitive_words", "sensitiveWords", &p.sensitive_words),
        (
            "prohibited_words_for_name_of_user",
            "prohibitedWordsForNameOfUser",
            &p.prohibited_words_for_name_of_user,
        ),
    ] {
        if let Some(v) = v {
            cols.push((col, json!(words::checked(param, &v.0)?)));
        }
    }
    for (col, param, v) in [
        ("blocked_hosts", "blockedHosts", &p.blocked_hosts),
        ("silenced_hosts", "silencedHosts", &p.silenced_hosts),
    ] {
        if let Some(v) = v {
            cols.push((col, json!(crate::domain::federation::host_list(param, &v.0)?)));
        }
    }
    let mut conn = ctx.db().await?;
    crate::domain::settings::update(&mut conn, &ctx.me()?.id, &cols).await?;
    if p.blocked_hosts.is_some() || p.silenced_hosts.is_some() {
        crate::domain::federation::reload(&mut conn).await;
    }
    ctx.api.meta.clear();
    Ok(().into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_take_misskeys_names() {
        assert_eq!(crate::domain::settings::camel("app192_icon_url"), "app192IconUrl");
        assert_eq!(crate::domain::settings::camel("name"), "name");
        assert_eq!(crate::domain::settings::camel("server_rules"), "serverRules");
    }
}
